// SSH material of a lab: a client key, one host key per node, known_hosts pinned to those host keys,
// an sshd config per node and an ssh_config for humans (`ssh -F <dir>/ssh_config node1`).
import {readFile} from 'node:fs/promises'
import {run, tryRun} from './run.js'
import type {LabNode, LabState} from './state.js'

export async function generateKey(file: string, comment: string): Promise<string> {
  await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file])
  return (await readFile(`${file}.pub`, 'utf8')).trim()
}

/** OpenSSH version of the sshd binary as [major, minor], or undefined when it cannot be told. */
export async function sshdVersion(sshd = '/usr/sbin/sshd'): Promise<[number, number] | undefined> {
  const r = await tryRun([sshd, '-V'], {timeoutMs: 5000})
  const m = /OpenSSH_(\d+)\.(\d+)/.exec(r.stderr + r.stdout)
  return m ? [Number(m[1]), Number(m[2])] : undefined
}

export function renderSshdConfig(lab: LabState, node: LabNode, version?: [number, number]): string {
  const lines = [
    `# sshd of node ${node.name} in netprov lab ${lab.name}; started by \`netprov lab up\` inside ${node.netns}.`,
    `ListenAddress ${node.address}:22`,
    `HostKey ${node.hostKey}`,
    `PidFile ${node.dir}/sshd.pid`,
    `AuthorizedKeysFile ${lab.ssh.authorizedKeysFile}`,
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    // The keys live in the lab dir, wherever --dir put it (even under a world-writable /tmp).
    'StrictModes no',
    'UseDNS no',
    'PrintMotd no',
    'PrintLastLog no',
    'X11Forwarding no',
    'AllowAgentForwarding no',
    // netprov works on many nodes at once and may multiplex; tests open connections back to back.
    'MaxStartups 200:30:400',
    'MaxSessions 100',
    'LoginGraceTime 30',
    'LogLevel VERBOSE',
    'AcceptEnv LANG LC_*',
    // scp speaks SFTP since OpenSSH 9.0.
    'Subsystem sftp internal-sftp',
  ]
  // OpenSSH 9.8+ penalises sources with failed logins; a lab's only source is the host running tests.
  if (version && (version[0] > 9 || (version[0] === 9 && version[1] >= 8))) lines.push('PerSourcePenalties no')
  return lines.join('\n') + '\n'
}

/** known_hosts: each node's host key under its name and address, so StrictHostKeyChecking=yes works. */
export function renderKnownHosts(nodes: {name: string; address: string; hostPublicKey: string}[]): string {
  return nodes.map((n) => `${n.name},${n.address} ${n.hostPublicKey.split(/\s+/).slice(0, 2).join(' ')}`).join('\n') + '\n'
}

/** ssh_config for `ssh -F <dir>/ssh_config node1` (and scp/sftp -F). */
export function renderSshConfig(lab: LabState): string {
  const out = [`# netprov lab ${lab.name}: ssh -F ${lab.ssh.config} node1`, '']
  for (const n of lab.nodes) {
    out.push(
      `Host ${n.name} ${n.address}`,
      `  HostName ${n.address}`,
      '  User root',
      `  IdentityFile ${lab.ssh.identityFile}`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${lab.ssh.knownHostsFile}`,
      '  GlobalKnownHostsFile /dev/null',
      '  StrictHostKeyChecking yes',
      '  BatchMode yes',
      '  ConnectTimeout 5',
      '',
    )
  }
  return out.join('\n')
}

/** The ssh argv (without the remote command) that reaches `node` with the lab's key and pinned host keys. */
export function sshArgv(lab: LabState, node: LabNode): string[] {
  return [
    'ssh',
    '-i', lab.ssh.identityFile,
    '-o', 'IdentitiesOnly=yes',
    '-o', 'BatchMode=yes',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', `UserKnownHostsFile=${lab.ssh.knownHostsFile}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'ConnectTimeout=5',
    '-o', 'LogLevel=ERROR',
    `root@${node.address}`,
  ]
}
