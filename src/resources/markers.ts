// How netprov recognises what it owns on a node (no local state file):
// its own route protocol number, a header line in the text files it writes, a key in its JSON files.

/** Route protocol number for netprov's routes (`ip route ... proto 147`); unassigned in iproute2's rt_protos. */
export const ROUTE_PROTO = '147'

export const FILE_HEADER = '# Managed by netprov: do not edit, `netprov apply` overwrites changes.'

/** Top-level key in the CNI conflist (JSON has no comments); libcni ignores unknown keys. */
export const JSON_MARKER_KEY = 'managedBy'
export const JSON_MARKER_VALUE = 'netprov'

export function hasHeader(content: string): boolean {
  return content.split('\n').slice(0, 3).some((l) => l.trim() === FILE_HEADER)
}

export function hasJsonMarker(content: string): boolean {
  try {
    return (JSON.parse(content) as Record<string, unknown>)[JSON_MARKER_KEY] === JSON_MARKER_VALUE
  } catch {
    return false
  }
}

// netprov's own state on a node: a lock (held for the length of an apply) and a generation
// stamp rewritten by every apply, so an apply can tell that another one ran since it read the node.
export const STATE_DIR = '/var/lib/netprov'
export const LOCK_DIR = '/run/netprov'
export const GENERATION_FILE = `${STATE_DIR}/generation`
