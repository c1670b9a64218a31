// Reading the host's network state: routes (for subnet clashes), named namespaces and links (for a lab's parts).
import {isLabLink, isLabNetns} from './names.js'
import {run, tryRun} from './run.js'
import type {HostRoute} from './subnet.js'

const parseJson = <T>(text: string): T[] => {
  const t = text.trim()
  return t ? (JSON.parse(t) as T[]) : []
}

/** Every IPv4 and IPv6 route of the host, in all tables (`ip -j route show table all`). */
export async function readHostRoutes(): Promise<HostRoute[]> {
  const [r4, r6] = await Promise.all([
    run(['ip', '-j', '-4', 'route', 'show', 'table', 'all']),
    run(['ip', '-j', '-6', 'route', 'show', 'table', 'all']),
  ])
  return [...parseJson<HostRoute>(r4.stdout), ...parseJson<HostRoute>(r6.stdout)]
}

export async function listNetns(): Promise<string[]> {
  const r = await tryRun(['ip', '-j', 'netns', 'list'])
  return r.exitCode === 0 ? parseJson<{name: string}>(r.stdout).map((n) => n.name) : []
}

export async function listLinks(): Promise<string[]> {
  return parseJson<{ifname: string}>((await run(['ip', '-j', 'link', 'show'])).stdout).map((l) => l.ifname)
}

/** What of lab `name` exists on the host right now, found by name alone. */
export async function labParts(name: string): Promise<{netns: string[]; links: string[]}> {
  const [netns, links] = await Promise.all([listNetns(), listLinks()])
  return {netns: netns.filter((n) => isLabNetns(name, n)).sort(), links: links.filter((l) => isLabLink(name, l)).sort()}
}

/** Runs ip commands in one `ip -batch` call (`-force`: keep going past errors, used when tearing down). */
export async function ipBatch(lines: string[], opts: {netns?: string; force?: boolean} = {}): Promise<void> {
  if (lines.length === 0) return
  const argv = ['ip', ...(opts.netns ? ['-n', opts.netns] : []), ...(opts.force ? ['-force'] : []), '-batch', '-']
  if (opts.force) await tryRun(argv, {input: lines.join('\n') + '\n'})
  else await run(argv, {input: lines.join('\n') + '\n'})
}
