import {describe, expect, it} from 'vitest'
import {TomlScanError, checkTables, scanToml} from '../../src/resources/toml-scan.js'
import {tomllib, tomllibErrors} from './toml-python.js'

// checkTables against Python's tomllib (a strict TOML 1.0 parser), when python3 >= 3.11 is here:
// the same verdict, valid or not, on every snippet. The snippets are about tables and keys only.
const ours = (text: string): string | null => {
  try {
    checkTables(scanToml(text))
    return null
  } catch (e) {
    if (e instanceof TomlScanError) return e.message
    throw e
  }
}

const SNIPPETS = [
  // valid
  '[a.b]\nx = 1\n[a]\ny = 1\n', // a super-table after its sub-table
  '[a]\nb.c = 1\nb.d = 2\n', // dotted keys in one section
  '[plugins]\n"cri".sandbox = "x"\n[plugins."cri".cni]\nbin_dir = "/a"\n', // a sub-table of a dotted table
  '[a.b.c]\nx = 1\n[a]\nb.d = 1\n', // dotted keys into an implicit table
  '[a.b.c]\n[a]\nb.e = 1\n[a.b.f]\n',
  '[[a]]\nx = 1\n[a.b]\ny = 1\n[[a]]\nx = 2\n[a.b]\ny = 2\n', // each element has its own sub-tables
  '[[a]]\nb.c = 1\n[a.b.d]\n',
  '[x]\na.b = 1\n[y]\n[x.a.c]\n',
  'a.b = 1\n[a.c]\n',
  'a = {b = 1}\nc = [1, {d = 2}]\n',
  '[t]\n"x.y" = 1\nx.y = 2\n', // a quoted dot is part of the key
  '',
  // invalid
  '[a]\n[a]\n',
  '[a]\nx = 1\n[ "a" ]\n',
  '[a]\nb.c = 1\n[a.b]\nd = 1\n',
  '[a.b]\nx = 1\n[a]\nb = 1\n',
  '[a.b]\nx = 1\n[a]\nb.y = 2\n',
  'a = [1]\n[[a]]\n',
  '[[a]]\nx = 1\n[b]\n[a]\n',
  'a.b = 1\n[a]\n',
  'a = {b = 1}\n[a.c]\n',
  'a = {b = 1}\na.c = 2\n',
  '[x]\na.b = 1\n[z]\n[x]\n',
  '[x]\na.b = 1\n[y]\n[x.a]\n',
  'a = 1\na = 2\n',
  'a = 1\n[a.b]\n',
  'a = 1\n[[a]]\n',
  '[a]\nx = 1\n[[a]]\n',
  'plugins = { "io.containerd.grpc.v1.cri" = { sandbox_image = "p" } }\n[plugins."io.containerd.grpc.v1.cri".cni]\nbin_dir = "/a"\n',
  '[plugins]\n"io.containerd.grpc.v1.cri" = { sandbox_image = "p" }\n[plugins."io.containerd.grpc.v1.cri".cni]\n',
  "[plugins.'io.containerd.cri.v1.runtime']\ncni = {conf_dir = '/x'}\n[plugins.'io.containerd.cri.v1.runtime'.cni]\n",
  '[t]\nk = 1\nk.x = 2\n',
]

describe('TOML table rules (checkTables)', () => {
  it.skipIf(!tomllib)('agrees with tomllib on every snippet', () => {
    const theirs = tomllibErrors(SNIPPETS)
    const verdicts = SNIPPETS.map((t, i) => [t, ours(t) === null, theirs[i] === null])
    expect(verdicts.filter(([, a, b]) => a !== b)).toEqual([])
    expect(theirs.filter((x) => x === null).length).toBe(12) // the snippets above say which is which
  })

  it('names the line and what is wrong', () => {
    expect(ours('[a]\nx = 1\n[a]\n')).toBe('line 3: [a] is defined twice')
    expect(ours('a = {b = 1}\n[a.c]\n')).toBe('line 2: [a.c] is defined twice')
    expect(ours('a = {b = 1}\na.c = 2\n')).toBe('line 2: a.c: a is an inline table or array, which cannot be extended')
    expect(ours('[a.b]\nx = 1\n[a]\nb.y = 2\n')).toBe('line 4: b.y: a.b is a table defined elsewhere; dotted keys cannot add to it')
    expect(ours('a = 1\na = 2\n')).toBe('line 2: a is defined twice')
    expect(ours('a = 1\n[a.b]\n')).toBe('line 2: [a.b]: a key on its path is a value, not a table')
  })
})
