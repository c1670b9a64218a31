// Cluster-wide CIDR checks: spec.podCIDR and spec.serviceCIDR parse, are canonical, follow the
// dual-stack rule (one CIDR per family), and do not overlap each other.
import {type Cidr, familyName, overlaps, parseCidr} from './cidr.js'
import type {Diagnostics} from './diagnostics.js'
import {type Path, toDisplay} from './paths.js'
import {listed, type OneOrTwo} from './raw.js'

export interface Located<T> {
  value: T
  path: Path
  implicit?: boolean // a default value, not written in the file
}

/** "spec.serviceCIDR 10.96.0.0/12", and say so when the file does not write it. */
export function shown(c: Located<Cidr>): string {
  return `${toDisplay(c.path)} ${c.value.text}${c.implicit ? ' (the default)' : ''}`
}

/** Parses one CIDR or a [v4, v6] list; the result is ordered IPv4 first. Bad entries are reported and left out. */
export function cidrList(value: OneOrTwo | undefined, path: Path, diags: Diagnostics, implicit = false): Array<Located<Cidr>> {
  const out: Array<Located<Cidr>> = []
  for (const [text, at] of listed(value, path)) {
    const c = parseCidr(text)
    if (typeof c === 'string') {
      diags.at(at, `${toDisplay(at)}: ${c}`)
      continue
    }
    const twin = out.find((o) => o.value.family === c.family)
    if (twin) {
      diags.at(at, `${toDisplay(path)} lists two ${familyName(c.family)} CIDRs (${twin.value.text} and ${c.text}); a dual-stack list has one IPv4 and one IPv6 CIDR`)
      continue
    }
    out.push({value: c, path: at, implicit})
  }
  return out.sort((a, b) => a.value.family - b.value.family)
}

export function checkPodVsService(pods: Array<Located<Cidr>>, services: Array<Located<Cidr>>, diags: Diagnostics): void {
  for (const s of services) {
    for (const p of pods) {
      if (overlaps(s.value, p.value))
        diags.at(s.path, `${shown(s)} overlaps ${shown(p)}; the service and pod networks must be disjoint`)
    }
  }
}
