import type {DriverEvent} from './driver-output.js'
import type {Ping} from './ping-plan.js'
import {type Check, fail, pass, skip} from './types.js'

// Ping results and what the receiving pods' recorders saw -> the connectivity and no-NAT checks. Pure.

export interface PingOutcome {
  exitCode: number
  output: string
}

/** "2 packets transmitted, 1 received" -> "1/2 replies". */
export function replies(output: string): string {
  const m = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(output)
  return m ? `${m[2]}/${m[1]} replies` : output.trim().split('\n').at(-1) ?? ''
}

export function pingOutcomes(events: readonly DriverEvent[]): Map<string, PingOutcome> | 'no-ping' {
  if (events.some((e) => e.kind === 'noping')) return 'no-ping'
  const out = new Map<string, PingOutcome>()
  for (const e of events) if (e.kind === 'ping') out.set(e.label, {exitCode: e.exitCode, output: e.output})
  return out
}

const PATH_FIX = 'a route, a forward chain or rp_filter on the path drops it: see the failed checks of both nodes'

/**
 * `seen`: per receiving pod ("<node> <cid>"), the source addresses its recorder counted, or undefined when it could
 * not be read. `testPodIps`: every test pod address of this run (a source that is none of them is NAT).
 */
export function connectivityChecks(pings: readonly Ping[], outcomes: Map<string, PingOutcome> | 'no-ping' | undefined, seen: ReadonlyMap<string, ReadonlyMap<string, number | null> | undefined>, testPodIps: ReadonlySet<string>): Check[] {
  const out: Check[] = []
  for (const p of pings) {
    const dst = p.receiver ? `${p.to}'s test pod ${p.target}` : `the gateway ${p.target}`
    const o = outcomes === 'no-ping' ? undefined : outcomes?.get(p.label)
    if (outcomes === 'no-ping') out.push(skip(p.from, p.check, `no ping on ${p.from}: cannot send test traffic`))
    else if (!o) out.push(fail(p.from, p.check, `no answer from the probe for ${p.sender.ips[0]} -> ${dst}`))
    else if (o.exitCode === 0) out.push(pass(p.from, p.check, `${p.sender.ips.find((x) => x.includes(':') === (p.family === 6))} -> ${dst}: ${replies(o.output)}`))
    else out.push(fail(p.from, p.check, `${p.sender.ips.find((x) => x.includes(':') === (p.family === 6))} -> ${dst}: no reply (${replies(o.output)})`, PATH_FIX))
    if (p.noNat && p.receiver) out.push(noNatCheck(p, o, seen.get(`${p.to} ${p.receiver.cid}`), testPodIps))
  }
  return out
}

function noNatCheck(p: Ping, o: PingOutcome | undefined, seen: ReadonlyMap<string, number | null> | undefined, testPodIps: ReadonlySet<string>): Check {
  const src = p.sender.ips.find((x) => x.includes(':') === (p.family === 6))!
  const name = p.noNat!
  if (p.receiver!.recorder === 'none') return skip(p.from, name, `${p.to} has neither nft nor iptables (with xt_recent): cannot see the source address on the receiving side`)
  if (!seen) return skip(p.from, name, `could not read what ${p.to}'s test pod received`)
  const count = seen.get(src)
  if (count !== undefined) return pass(p.from, name, `${p.to}'s test pod saw the request from ${src}, the sender's own pod address${count ? ` (${count} packets)` : ''}`)
  const foreign = [...seen.keys()].filter((a) => !testPodIps.has(a))
  if (foreign.length) {
    return fail(p.from, name, `${p.to}'s test pod saw requests from ${foreign.join(', ')}, not from ${src}: the source address is rewritten (NAT) between the pods`, `remove the MASQUERADE/SNAT rule that matches pod-to-pod traffic on ${p.from} (masquerade only traffic leaving the cluster's pod CIDR; the bridge plugin needs ipMasq: false)`)
  }
  if (o && o.exitCode === 0) return fail(p.from, name, `a reply came back but ${p.to}'s test pod never saw a request from ${src}: something else answers for ${p.target}`, `look for a duplicate address or a proxy answering for ${p.target}`)
  return skip(p.from, name, `no request reached ${p.to}'s test pod (see "${p.check}")`)
}
