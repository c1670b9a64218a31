// Names and paths of everything a lab makes. All of them derive from the lab name, so `down` can find
// the parts of a lab even when its lab.json is gone (a crash half-way through `up`).
import path from 'node:path'
import {LabProblem} from './errors.js'

/** Where labs are registered: `<LAB_ROOT>/<name>` is the lab dir, or a symlink to it when --dir was given. */
export const LAB_ROOT = '/run/netprov-lab'
export const DEFAULT_LAB_NAME = 'lab'

// Short, because interface names are limited to 15 chars: bridge `npbr-<lab>` (<= 13), host veth
// `np<lab>-<index>` (<= 14). No '-' in it, so `np-<lab>-` prefixes never match another lab's.
const LAB_NAME = /^[a-z][a-z0-9]{0,7}$/
// Anything that ends up in sshd_config, ssh_config, YAML and mount arguments: no spaces, quotes or shell syntax.
const SAFE_PATH = /^\/[A-Za-z0-9_./-]*$/

export const MAX_NODES = 250

const FORBIDDEN_DIR_PARENTS = ['/proc', '/sys', '/dev', '/run/netns']

export function validateLabName(name: string): string {
  if (!LAB_NAME.test(name)) {
    throw new LabProblem('bad-name', `invalid lab name "${name}": use 1-8 characters, a lowercase letter then lowercase letters or digits`, [
      'pick a name like "lab", "dev" or "ci2" (it becomes part of interface names, which the kernel limits to 15 characters)',
    ])
  }
  return name
}

export function validateNodeCount(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > MAX_NODES) {
    throw new LabProblem('bad-nodes', `invalid node count ${n}: a lab has 1 to ${MAX_NODES} nodes`)
  }
  return n
}

export function validateLabDir(dir: string, cwd = process.cwd()): string {
  const abs = path.resolve(cwd, dir)
  if (!SAFE_PATH.test(abs) || abs === '/' || abs.split('/').includes('..')) {
    throw new LabProblem('bad-dir', `invalid lab dir "${dir}": use an absolute or relative path of letters, digits and _ . / - only (it is written into sshd and ssh configs)`)
  }
  const under = FORBIDDEN_DIR_PARENTS.find((p) => abs === p || abs.startsWith(`${p}/`))
  if (under) throw new LabProblem('bad-dir', `invalid lab dir "${dir}": not under ${under}`)
  return abs
}

export const netnsName = (lab: string, node: string) => `np-${lab}-${node}`
export const bridgeName = (lab: string) => `npbr-${lab}`
export const hostVethName = (lab: string, index: number) => `np${lab}-${index}`
export const nodeName = (index: number) => `node${index}`
export const defaultLabDir = (lab: string) => path.join(LAB_ROOT, lab)

/** The parts of lab `lab` that exist on this host can be recognised by name alone. */
export function isLabNetns(lab: string, netns: string): boolean {
  return netns.startsWith(`np-${lab}-`)
}
export function isLabLink(lab: string, ifname: string): boolean {
  return ifname === bridgeName(lab) || new RegExp(`^np${lab}-\\d+$`).test(ifname)
}
