import {execa} from 'execa'
import {createHash} from 'node:crypto'
import {existsSync, lstatSync, mkdirSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {SshSettings} from '../config/types.js'
import {ConnectError, NodeTimeoutError} from '../errors.js'
import {stdinInput, streamLines} from './local.js'
import {quoteArgv} from './quote.js'
import type {ExecOptions, ExecResult, Transport} from './transport.js'

/**
 * The system's OpenSSH client, so ~/.ssh/config, agents, ProxyJump and ControlMaster work as users expect.
 * One master connection per node is shared by every round trip of this run and of the next run within
 * ControlPersist (plan then apply), through sockets in a private directory.
 */
export class SshTransport implements Transport {
  roundTrips = 0
  /** `multiplex: false`: a connection of its own for every call, never a shared master (see `fresh`). */
  constructor(readonly node: string, private readonly ssh: SshSettings, private readonly controlDir = controlDirectory(), private readonly multiplex = true) {}

  /** The same node over new connections only: proves that a new SSH connection gets through (firewall confirm). */
  fresh(): SshTransport {
    return new SshTransport(this.node, this.ssh, this.controlDir, false)
  }

  /** The ssh(1) arguments up to and including the destination. Exported for tests. */
  sshArgs(): string[] {
    const s = this.ssh
    const persist = process.env.NETPROV_SSH_CONTROL_PERSIST ?? '60'
    const args = [
      '-o', 'BatchMode=yes',
      '-o', `ConnectTimeout=${s.connectTimeoutSeconds}`,
      '-o', `StrictHostKeyChecking=${s.strictHostKeyChecking}`,
      '-o', `UserKnownHostsFile=${s.knownHostsFile}`,
      '-o', 'ServerAliveInterval=15',
      '-o', 'ServerAliveCountMax=3',
      '-p', String(s.port),
      '-l', s.user,
    ]
    if (!this.multiplex) args.push('-o', 'ControlMaster=no', '-o', 'ControlPath=none') // not even a master from ~/.ssh/config
    else if (persist !== 'no') {
      // %C alone keys on user, host and port: a run with another known_hosts file or key must not
      // ride on a master connection that was verified under other settings.
      const settings = createHash('sha256').update(JSON.stringify([s.knownHostsFile, s.strictHostKeyChecking, s.identityFile, s.become])).digest('hex').slice(0, 12)
      args.push('-o', 'ControlMaster=auto', '-o', `ControlPath=${join(this.controlDir, `${settings}-%C`)}`, '-o', `ControlPersist=${persist}`)
    }
    // A missing default key is not an error: the agent or ~/.ssh/config may provide one.
    if (existsSync(s.identityFile)) args.push('-i', s.identityFile)
    args.push('--', s.host)
    return args
  }

  /** The remote command line: argv quoted once, behind `sudo -n` for non-root users. */
  remoteCommand(argv: readonly string[]): string {
    const full = this.ssh.become === 'sudo' ? ['sudo', '-n', '--', ...argv] : argv
    return quoteArgv(full)
  }

  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    this.roundTrips++
    const child = execa('ssh', [...this.sshArgs(), this.remoteCommand(argv)], {
      input: stdinInput(options.stdin) ?? '',
      reject: false,
      stripFinalNewline: false,
      encoding: 'utf8',
      // Its own process group: a Ctrl-C at the terminal reaches netprov, which decides what to stop,
      // instead of killing every ssh mid-program.
      detached: true,
    })
    if (options.onLine) streamLines(child.stdout!, options.onLine)
    // Our own deadline: with ControlMaster the master process holds the session's stdio, so killing
    // the ssh client alone never ends the pipes. Kill it and drop our ends of the pipes.
    let timedOut = false
    const timer = options.timeoutMs
      ? setTimeout(() => {
          timedOut = true
          child.kill('SIGKILL')
          for (const s of [child.stdin, child.stdout, child.stderr]) s?.destroy()
        }, options.timeoutMs)
      : undefined
    const r = await child.finally(() => clearTimeout(timer))
    if (timedOut) throw new NodeTimeoutError(this.node, options.what ?? 'a command', Math.round(options.timeoutMs! / 1000))
    if (r.code === 'ENOENT' || (r.failed && r.exitCode === undefined)) {
      throw new ConnectError(this.node, `cannot run ssh: ${r.shortMessage}`, ['install the OpenSSH client: apt-get install openssh-client'])
    }
    const stderr = String(r.stderr)
    if (r.exitCode === 255) {
      const known = classifySshFailure(stderr)
      if (known) {
        const fixes = known.fix(this.ssh)
        // An explicitly named key that is not there is the likeliest cause of a refused login.
        if (/permission denied/.test(known.cause) && !existsSync(this.ssh.identityFile)) fixes.unshift(`the key file ${this.ssh.identityFile} does not exist (ssh.identityFile)`)
        throw new ConnectError(this.node, known.cause, fixes)
      }
    }
    return {exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr}
  }

  async close(): Promise<void> {}
}

interface SshFailure {
  cause: string
  fix: (s: SshSettings) => string[]
}

const FAILURES: [RegExp, SshFailure][] = [
  [/REMOTE HOST IDENTIFICATION HAS CHANGED/, {cause: 'the host key changed (possible man-in-the-middle, or the node was reinstalled)', fix: (s) => [`if the change is expected: ssh-keygen -f ${s.knownHostsFile} -R ${s.host}`]}],
  [/Host key verification failed|No .* host key is known/, {cause: 'host key not known or not trusted', fix: (s) => [`add the node's host key to ${s.knownHostsFile} (e.g. ssh-keyscan ${s.host}, checked out of band)`, 'or set ssh.strictHostKeyChecking: accept-new to trust it on first use']}],
  [/Permission denied/, {cause: 'authentication failed (permission denied)', fix: (s) => [`check that ${s.user}@${s.host} accepts the key ${s.identityFile} (ssh-copy-id) or your agent's keys`]}],
  [/Connection refused/, {cause: 'connection refused (is sshd running on that port?)', fix: (s) => [`check sshd on ${s.host} port ${s.port}`]}],
  [/Connection timed out|Operation timed out|timed out during banner/, {cause: 'connection timed out', fix: (s) => [`check that ${s.host} is up and reachable, or raise ssh.connectTimeoutSeconds`]}],
  [/No route to host|Network is unreachable/, {cause: 'no route to host', fix: (s) => [`check the address ${s.host} and this machine's routes`]}],
  [/Could not resolve hostname/, {cause: 'host name does not resolve', fix: (s) => [`check ssh.host (${s.host}) or DNS`]}],
  [/Connection closed|Connection reset|kex_exchange_identification|Broken pipe/, {cause: 'the connection was closed by the node', fix: () => ['check sshd logs on the node (MaxStartups, firewall, fail2ban)']}],
]

export function classifySshFailure(stderr: string): SshFailure | undefined {
  for (const [re, failure] of FAILURES) if (re.test(stderr)) return failure
  return /^ssh: |^kex_|^Bad owner|^Load key/m.test(stderr)
    ? {cause: stderr.trim().split('\n').at(-1)!, fix: () => ['run the same ssh command by hand to see the full error']}
    : undefined
}

/** A private directory for ControlMaster sockets; refused when someone else could reach into it. */
export function controlDirectory(): string {
  const base = process.env.XDG_RUNTIME_DIR && existsSync(process.env.XDG_RUNTIME_DIR) ? process.env.XDG_RUNTIME_DIR : tmpdir()
  const dir = join(base, `netprov-ssh-${process.getuid?.() ?? 'u'}`)
  mkdirSync(dir, {recursive: true, mode: 0o700})
  const st = lstatSync(dir)
  if (!st.isDirectory() || (process.getuid && st.uid !== process.getuid()) || (st.mode & 0o077) !== 0) {
    throw new ConnectError('*', `control socket directory ${dir} is not private to this user`, [`remove ${dir} and run again`])
  }
  return dir
}
