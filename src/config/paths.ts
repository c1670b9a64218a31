// A location inside the cluster file's data, as a list of keys and indexes, and its two spellings:
// a JSON pointer for machines (/nodes/1/podCIDR) and a dotted path for people (nodes[1].podCIDR).

export type Path = ReadonlyArray<string | number>

export function toPointer(path: Path): string {
  return path.map((s) => '/' + String(s).replaceAll('~', '~0').replaceAll('/', '~1')).join('')
}

export function fromPointer(pointer: string): Path {
  if (pointer === '') return []
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
}

/** nodes[1].ssh.port; keys that are not identifiers are quoted: extraArgs["max-pods"]. */
export function toDisplay(path: Path): string {
  let out = ''
  for (const s of path) {
    if (typeof s === 'number' || /^[0-9]+$/.test(s)) out += `[${s}]`
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s)) out += out === '' ? s : `.${s}`
    else out += `[${JSON.stringify(s)}]`
  }
  return out
}
