import {Address6} from 'ip-address'

// The driver's output lines ("@@NV ...") as events. Pure.

export type DriverEvent =
  | {kind: 'step'; cid: string; label: string; exitCode: number; stdout: string; stderr: string}
  | {kind: 'netns'; cid: string; error: string}
  | {kind: 'recorder'; cid: string; mode: 'nft' | 'iptables' | 'none'}
  | {kind: 'seen'; cid: string; mode: 'nft' | 'iptables'; text: string}
  | {kind: 'ping'; label: string; exitCode: number; output: string}
  | {kind: 'noping'}
  | {kind: 'port'; label: string; state: 'open' | 'filtered' | 'rejected'; output: string}
  | {kind: 'noportprobe'}
  | {kind: 'left'; what: string; name: string}
  | {kind: 'removed'; what: string; name: string}
  | {kind: 'reaped'; run: string}
  | {kind: 'fatal' | 'warning'; message: string}
  | {kind: 'done'}

/** One spelling per address (IPv6 compressed), so what a recorder saw compares with what CNI reported. */
export function canonicalIp(addr: string): string {
  return addr.includes(':') && Address6.isValid(addr) ? new Address6(addr).correctForm() : addr
}

const unb64 = (s: string | undefined) => Buffer.from(s ?? '', 'base64').toString('utf8')

export function parseDriverOutput(stdout: string): DriverEvent[] {
  const out: DriverEvent[] = []
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('@@NV ')) continue
    const f = line.slice(5).split(' ')
    switch (f[0]) {
      case 'step':
        out.push({kind: 'step', cid: f[1]!, label: f[2]!, exitCode: Number(f[3]), stdout: unb64(f[4]), stderr: unb64(f[5])})
        break
      case 'netns':
        out.push({kind: 'netns', cid: f[1]!, error: unb64(f[2]).trim()})
        break
      case 'recorder':
        out.push({kind: 'recorder', cid: f[1]!, mode: f[2] === 'nft' || f[2] === 'iptables' ? f[2] : 'none'})
        break
      case 'seen':
        out.push({kind: 'seen', cid: f[1]!, mode: f[2] === 'iptables' ? 'iptables' : 'nft', text: unb64(f[3])})
        break
      case 'ping':
        out.push({kind: 'ping', label: f[1]!, exitCode: Number(f[2]), output: unb64(f[3])})
        break
      case 'port':
        out.push({kind: 'port', label: f[1]!, state: f[2] === 'open' || f[2] === 'filtered' ? f[2] : 'rejected', output: unb64(f[3])})
        break
      case 'noping':
      case 'noportprobe':
      case 'done':
        out.push({kind: f[0]})
        break
      case 'left':
        out.push({kind: 'left', what: f[1]!, name: f.slice(2).join(' ')})
        break
      case 'removed':
        out.push({kind: 'removed', what: f[1]!, name: f.slice(2).join(' ')})
        break
      case 'reaped':
        out.push({kind: 'reaped', run: f[1]!})
        break
      case 'fatal':
      case 'warning':
        out.push({kind: f[0], message: f.slice(1).join(' ')})
        break
    }
  }
  return out
}

/** Source addresses a pod's recorder saw, with their packet counts (null when the recorder keeps none). */
export function parseSeen(mode: 'nft' | 'iptables', text: string): Map<string, number | null> {
  const seen = new Map<string, number | null>()
  if (mode === 'iptables') {
    // /proc/net/xt_recent: "src=10.244.2.2 ttl: 63 last_seen: 4295 oldest_pkt: 2 4294, 4295" (one
    // timestamp per packet; IPv6 written out in full)
    for (const line of text.split('\n')) {
      const m = /^src=(\S+) .*oldest_pkt: \d+ ?(.*)$/.exec(line)
      if (m) seen.set(canonicalIp(m[1]!), m[2]!.trim() ? m[2]!.trim().split(/[, ]+/).length : null)
    }
    return seen
  }
  // nft list table: "elements = { 10.244.2.2 counter packets 2 bytes 168, ... }" (may span lines)
  for (const block of text.matchAll(/elements = \{([^}]*)\}/g)) {
    for (const el of block[1]!.split(',')) {
      const m = /^\s*([0-9a-fA-F.:]+)(?:\s+counter packets (\d+))?/.exec(el)
      if (m) seen.set(canonicalIp(m[1]!), m[2] === undefined ? null : Number(m[2]))
    }
  }
  return seen
}
