// What a lab needs on the host: root, and a few programs from Debian packages.
import {accessSync, constants} from 'node:fs'
import path from 'node:path'
import {LabProblem} from './errors.js'

/** Program -> the Debian package that ships it. */
export const REQUIRED_TOOLS: Record<string, string> = {
  ip: 'iproute2',
  sshd: 'openssh-server',
  nft: 'nftables',
  'ssh-keygen': 'openssh-client',
  ssh: 'openssh-client',
  unshare: 'util-linux',
  nsenter: 'util-linux',
  mount: 'mount',
  hostname: 'hostname',
}

const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin']

/** Absolute path of `tool` in `dirs` (default: PATH plus the sbin dirs, which a non-root PATH often lacks). */
export function findTool(tool: string, dirs: string[] = [...(process.env.PATH ?? '').split(':'), ...SBIN]): string | undefined {
  for (const dir of dirs.filter(Boolean)) {
    const p = path.join(dir, tool)
    try {
      accessSync(p, constants.X_OK)
      return p
    } catch {}
  }
  return undefined
}

/** Throws a LabProblem unless we run as root with every required program installed.
 *  `searchPath` (tests) replaces PATH and the sbin dirs; `only` checks just those programs. */
export function checkPrerequisites(opts: {uid?: number; searchPath?: string; only?: string[]} = {}): {tools: Record<string, string>} {
  const uid = opts.uid ?? process.getuid?.() ?? 0
  if (uid !== 0) {
    throw new LabProblem('not-root', 'netprov lab needs root: it creates network namespaces, a bridge, veth pairs and mounts', [
      'run it as root, e.g. `sudo netprov lab up`',
    ])
  }
  const tools: Record<string, string> = {}
  const missing: string[] = []
  for (const tool of opts.only ?? Object.keys(REQUIRED_TOOLS)) {
    const found = opts.searchPath === undefined ? findTool(tool) : findTool(tool, opts.searchPath.split(':'))
    if (found) tools[tool] = found
    else missing.push(tool)
  }
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map((t) => REQUIRED_TOOLS[t]!))]
    throw new LabProblem('missing-tools', `netprov lab needs ${missing.join(', ')}, not found (Debian packages: ${pkgs.join(', ')})`, [
      `apt-get install -y ${pkgs.join(' ')}`,
      'the lab uses iproute2 (ip netns, bridge, veth), openssh-server (sshd on every node) and nftables (the nodes\' firewall)',
    ])
  }
  return {tools}
}
