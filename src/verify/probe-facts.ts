import type {Fact} from '../facts/fact.js'
import type {FwTable} from './firewall-model.js'
import {iptablesTables} from './iptables-save.js'
import {parseNftRuleset} from './nft-ruleset.js'

// Facts only verify reads, gathered in the same single round trip as the plan's facts.
// Ids start with "verify." so they never collide with a resource's facts.

export interface PluginProbe {
  state: 'missing' | 'not-executable' | 'ran'
  exitCode?: number
  stdout?: string // what CNI_COMMAND=VERSION printed
}

// For each name: missing / not-executable, or the plugin's VERSION answer (base64, with its exit code).
const VERSION_SCRIPT = String.raw`d=$1; shift
t=; command -v timeout >/dev/null 2>&1 && t='timeout 10'
for p; do
  f=$d/$p
  if [ ! -e "$f" ]; then printf '%s missing\n' "$p"; continue; fi
  if [ ! -f "$f" ] || [ ! -x "$f" ]; then printf '%s not-executable\n' "$p"; continue; fi
  r=$( { printf '{"cniVersion":"1.0.0"}' | CNI_COMMAND=VERSION $t "$f" 2>/dev/null; printf '\n@@rc %d' "$?"; } | base64 -w0)
  printf '%s ran %s\n' "$p" "$r"
done
exit 0`

export function parsePluginProbes(stdout: string): Record<string, PluginProbe> {
  const out: Record<string, PluginProbe> = {}
  for (const line of stdout.split('\n')) {
    const m = /^(\S+) (missing|not-executable|ran)(?: (\S*))?$/.exec(line)
    if (!m) continue
    if (m[2] !== 'ran') {
      out[m[1]!] = {state: m[2] as PluginProbe['state']}
      continue
    }
    const text = Buffer.from(m[3] ?? '', 'base64').toString('utf8')
    const rc = /\n@@rc (\d+)$/.exec(text)
    out[m[1]!] = {state: 'ran', exitCode: rc ? Number(rc[1]) : 1, stdout: rc ? text.slice(0, rc.index) : text}
  }
  return out
}

export function pluginVersionsFact(binDir: string, names: readonly string[]): Fact<Record<string, PluginProbe>> {
  return {id: 'verify.plugin-versions', argv: ['sh', '-c', VERSION_SCRIPT, 'sh', binDir, ...names], parse: parsePluginProbes}
}

export type FirewallRead = {state: 'absent'} | {state: 'error'; message: string} | {state: 'ok'; tables: FwTable[]}

// iptables-save, plus iptables-legacy-save when legacy tables exist next to nft ones (both filter
// forwarded packets). Reading never loads a module: legacy is read only when its tables are listed.
const IPTABLES_SCRIPT = String.raw`s=$1 l=$2 names=$3 found=
if command -v "$s" >/dev/null 2>&1; then found=1; echo "@@ $s"; "$s" 2>&1; fi
if command -v "$l" >/dev/null 2>&1 && [ "$(readlink -f "$(command -v "$l")")" != "$(readlink -f "$(command -v "$s" 2>/dev/null)" 2>/dev/null)" ] && [ -r "$names" ] && grep -q . "$names"; then found=1; echo "@@ $l"; "$l" 2>&1; fi
[ -n "$found" ] || exit 3`

export function parseSections(stdout: string): Record<string, string> {
  const out: Record<string, string> = {}
  let cur: string | null = null
  for (const line of stdout.split('\n')) {
    const m = /^@@ (\S+)$/.exec(line)
    if (m) out[(cur = m[1]!)] = ''
    else if (cur) out[cur] += line + '\n'
  }
  return out
}

export function iptablesFact(family: 4 | 6): Fact<FirewallRead> {
  const [s, l, names] = family === 4 ? ['iptables-save', 'iptables-legacy-save', '/proc/net/ip_tables_names'] : ['ip6tables-save', 'ip6tables-legacy-save', '/proc/net/ip6_tables_names']
  return {
    id: `verify.iptables${family}`,
    argv: ['sh', '-c', IPTABLES_SCRIPT, 'sh', s, l, names],
    parse: (stdout, code) => (code === 3 ? {state: 'absent'} : {state: 'ok', tables: iptablesTables(parseSections(stdout), family)}),
  }
}

export function parseNftFact(stdout: string, code: number): FirewallRead {
  if (code === 3) return {state: 'absent'}
  if (code !== 0) return {state: 'error', message: stdout.trim().split('\n')[0] ?? `exit ${code}`}
  try {
    return {state: 'ok', tables: parseNftRuleset(stdout)}
  } catch (e) {
    return {state: 'error', message: `nft -j output not understood: ${(e as Error).message}`}
  }
}

export const nftFact: Fact<FirewallRead> = {
  id: 'verify.nft',
  argv: ['sh', '-c', 'command -v nft >/dev/null 2>&1 || exit 3; nft -j list ruleset 2>&1'],
  parse: parseNftFact,
}
