// Starting a node's sshd inside the node: its network namespace (ip netns exec, which also mounts the
// node's own /sys), then a private mount namespace and UTS namespace (unshare), where the node's private
// dirs are bind-mounted and its hostname set, then exec sshd. One process all the way: the pid we spawn
// is sshd's, and every SSH session it forks lives in the node's net, mount and UTS namespaces.
import {spawn} from 'node:child_process'
import {openSync, closeSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import net from 'node:net'
import {LabProblem, checkInterrupted} from './errors.js'

// Constant text: everything variable comes in as positional parameters, never spliced into the script.
// $1 lab dir, $2 hostname, $3 sshd binary, $4 sshd config, $5 sshd log, $6 the node's fstab (its bind
// mounts, made by one `mount -a`). A bind onto an ancestor of the lab dir (a lab dir under /tmp, which
// the node has its own of) comes last in the fstab; the lab dir is then bound back at its path, from the
// open working directory, so that sshd finds its config and keys.
export const BOOT_SCRIPT = `set -eu
lab=$1 name=$2 sshd=$3 cfg=$4 log=$5 fstab=$6
# Drop this namespace's copies of nsfs mounts (other labs' /run/netns/*): they would keep those
# network namespaces alive after their owners delete them.
umount -a -l -t nsfs 2>/dev/null || true
cd "$lab"
mount -a -T "$fstab"
if [ ! "$lab" -ef . ]; then
  mkdir -p "$lab"
  mount --no-canonicalize --bind . "$lab"
fi
cd /
hostname "$name"
exec "$sshd" -D -f "$cfg" -E "$log"
`

export interface BootSpec {
  netns: string
  hostname: string
  sshdConfig: string
  sshdLog: string
  bootLog: string // the script's own output (mount errors ...)
  labDir: string
  fstab: string // the node's bind mounts, see node-fs.ts
  tools: {ip: string; unshare: string; sshd: string} // sshd: absolute (sshd re-executes itself)
}

/** Spawns the node's sshd, detached (own session, survives this process). Returns its pid. */
export function spawnNode(b: BootSpec): {pid: number; exited: () => number | null | undefined} {
  const fd = openSync(b.bootLog, 'a')
  let exitCode: number | null | undefined
  try {
    const child = spawn(
      b.tools.ip,
      ['netns', 'exec', b.netns, b.tools.unshare, '--mount', '--uts', '--propagation', 'private',
        'sh', '-c', BOOT_SCRIPT, 'netprov-lab-node', b.labDir, b.hostname, b.tools.sshd, b.sshdConfig, b.sshdLog, b.fstab],
      {detached: true, stdio: ['ignore', fd, fd], env: {PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8'}},
    )
    child.on('error', () => (exitCode = 127))
    child.on('exit', (code, sig) => (exitCode = code ?? (sig ? 128 : null)))
    child.unref()
    if (!child.pid) throw new LabProblem('node-failed', `could not start ${b.tools.ip} for ${b.netns}`)
    return {pid: child.pid, exited: () => exitCode}
  } finally {
    closeSync(fd)
  }
}

/** True when something answers on address:port with an SSH banner within timeoutMs. */
export function sshAnswers(address: string, timeoutMs = 1000, port = 22): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({host: address, port})
    let buf = ''
    const done = (ok: boolean) => {
      sock.destroy()
      clearTimeout(timer)
      resolve(ok)
    }
    const timer = setTimeout(() => done(false), timeoutMs)
    sock.on('data', (d) => {
      buf += d.toString('latin1')
      if (buf.length >= 4) done(buf.startsWith('SSH-'))
    })
    sock.on('error', () => done(false))
    sock.on('close', () => done(false))
  })
}

/** Waits until the node's sshd answers; a LabProblem with the node's logs when it dies or times out. */
export async function waitForSsh(node: string, address: string, b: BootSpec, started: ReturnType<typeof spawnNode>, signal?: AbortSignal, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    checkInterrupted(signal)
    if (started.exited() !== undefined) throw await nodeFailure(node, `its sshd exited (code ${started.exited()})`, b)
    if (await sshAnswers(address, 500)) return
    if (Date.now() > deadline) throw await nodeFailure(node, `its sshd did not answer on ${address}:22 within ${timeoutMs / 1000}s`, b)
    await new Promise((r) => setTimeout(r, 20))
  }
}

async function nodeFailure(node: string, what: string, b: BootSpec): Promise<LabProblem> {
  const tail = async (f: string) => (await readFile(f, 'utf8').catch(() => '')).trim().split('\n').slice(-5).join('\n    ')
  const logs = [await tail(b.bootLog), await tail(b.sshdLog)].filter(Boolean).join('\n    ')
  return new LabProblem('node-failed', `node ${node}: ${what}${logs ? `:\n    ${logs}` : ''}`, [
    `see ${b.bootLog} and ${b.sshdLog}`,
    `check the config with: ip netns exec ${b.netns} /usr/sbin/sshd -t -f ${b.sshdConfig}`,
  ])
}
