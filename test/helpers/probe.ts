import {parseDocument} from 'yaml'
import {readFileSync, writeFileSync} from 'node:fs'
import type {TestLab} from './lab.js'

// What a peer sees of a node's firewall. With nothing listening, an allowed TCP port answers at once
// ("connection refused", a RST) and an allowed UDP port with ICMP port-unreachable; a dropped one
// never answers (timeout).
export type Seen = 'open' | 'filtered'

export async function probeTcp(lab: TestLab, from: string, address: string, port: number): Promise<Seen> {
  const r = await lab.exec(from, ['timeout', '3', 'bash', '-c', 'exec 3<>"/dev/tcp/$0/$1"', address, String(port)])
  if (r.exitCode === 124) return 'filtered'
  if (r.exitCode === 0 || /Connection refused/.test(r.stderr)) return 'open'
  throw new Error(`probe ${from} -> ${address}:${port}/tcp: exit ${r.exitCode}: ${r.stderr}`)
}

export async function probeUdp(lab: TestLab, from: string, address: string, port: number): Promise<Seen> {
  // Two datagrams: the first ICMP error may be rate-limited away; socat reads the refusal on the second.
  const r = await lab.exec(from, ['timeout', '5', 'socat', '-T', '2', '-', `UDP:${address}:${port}`], {input: 'x\n'})
  if (/Connection refused/.test(r.stderr)) return 'open'
  if (r.exitCode === 0 || r.exitCode === 124) return 'filtered'
  throw new Error(`probe ${from} -> ${address}:${port}/udp: exit ${r.exitCode}: ${r.stderr}`)
}

/** A copy of the lab's cluster file with `spec` keys set (dotted paths), written next to it. */
export function clusterVariant(lab: TestLab, name: string, set: Record<string, unknown>): string {
  const doc = parseDocument(readFileSync(lab.clusterFile, 'utf8'))
  for (const [path, value] of Object.entries(set)) doc.setIn(path.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)), value)
  const file = `${lab.dir}/${name}.yaml`
  writeFileSync(file, doc.toString())
  return file
}
