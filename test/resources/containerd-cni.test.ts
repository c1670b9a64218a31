import {execFileSync} from 'node:child_process'
import {describe, expect, it} from 'vitest'
import {CniEditError, editCniKeys} from '../../src/resources/containerd-cni.js'
import {scanToml} from '../../src/resources/toml-scan.js'
import {tomllib, tomllibErrors} from './toml-python.js'

// The line-based editor of containerd's config.toml: only the CNI dir keys may change, every other
// byte stays. Each case states the whole expected file.
const edit = (content: string, bin = '/opt/cni/bin', conf = '/etc/cni/net.d', v: 2 | 3 = 2) => editCniKeys(content, bin, conf, v)

// As `containerd config default` (1.7) writes it, shortened.
const V2 = `disabled_plugins = []
imports = []
oom_score = 0
root = "/var/lib/containerd"
version = 2

[plugins]

  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "registry.k8s.io/pause:3.8"

    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/opt/cni/bin"
      conf_dir = "/etc/cni/net.d"
      conf_template = ""
      ip_pref = ""
      max_conf_num = 1

    [plugins."io.containerd.grpc.v1.cri".containerd]
      default_runtime_name = "runc"
`

// As containerd 2.x writes it (single quotes), with a multi-line array.
const V3 = `version = 3
root = '/var/lib/containerd'

[plugins]
  [plugins.'io.containerd.cri.v1.runtime']
    enable_selinux = false

    [plugins.'io.containerd.cri.v1.runtime'.cni]
      bin_dirs = [
        '/opt/cni/bin', # the plugins
      ]
      conf_dir = '/etc/cni/net.d'
      max_conf_num = 1

    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      default_runtime_name = 'runc'
`

describe('containerd config.toml: version 2', () => {
  it('already right: not one byte changes', () => {
    const r = edit(V2)
    expect(r.content).toBe(V2)
    expect(r.before).toEqual({version: 2, binDirs: ['/opt/cni/bin'], confDir: '/etc/cni/net.d'})
  })

  it('other dirs: only the two values change, quoting kept', () => {
    const r = edit(V2, '/usr/lib/cni', '/etc/cni/other')
    expect(r.content).toBe(V2.replace('bin_dir = "/opt/cni/bin"', 'bin_dir = "/usr/lib/cni"').replace('conf_dir = "/etc/cni/net.d"', 'conf_dir = "/etc/cni/other"'))
  })

  it('values compare as TOML strings, not text: an escape or a literal string that means the same is left alone', () => {
    const text = V2.replace('bin_dir = "/opt/cni/bin"', 'bin_dir = "/opt/cni/\\u0062in"').replace('conf_dir = "/etc/cni/net.d"', "conf_dir = '/etc/cni/net.d'")
    expect(edit(text).content).toBe(text)
  })

  it('missing keys are added after the last key of the table, with its indentation; comments stay', () => {
    const text = `version = 2
[plugins."io.containerd.grpc.v1.cri".cni]
    max_conf_num = 1 # one is enough
# the next table
[plugins."io.containerd.grpc.v1.cri".containerd]
`
    expect(edit(text).content).toBe(`version = 2
[plugins."io.containerd.grpc.v1.cri".cni]
    max_conf_num = 1 # one is enough
    bin_dir = "/opt/cni/bin"
    conf_dir = "/etc/cni/net.d"
# the next table
[plugins."io.containerd.grpc.v1.cri".containerd]
`)
  })

  it('a missing table is appended at the end', () => {
    const text = `version = 2\n\n[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "pause"`
    expect(edit(text).content).toBe(`${text}\n\n[plugins."io.containerd.grpc.v1.cri".cni]\n  bin_dir = "/opt/cni/bin"\n  conf_dir = "/etc/cni/net.d"\n`)
  })

  it('a value with a trailing comment: the value changes, the comment stays', () => {
    const text = `version = 2\n[plugins."io.containerd.grpc.v1.cri".cni]\nbin_dir="/x"   # where plugins live\nconf_dir = "/etc/cni/net.d"\n`
    expect(edit(text).content).toBe(`version = 2\n[plugins."io.containerd.grpc.v1.cri".cni]\nbin_dir="/opt/cni/bin"   # where plugins live\nconf_dir = "/etc/cni/net.d"\n`)
  })

  it('a header written with spaces and other quotes is the same table', () => {
    const text = `version = 2\n[ plugins . 'io.containerd.grpc.v1.cri' . "cni" ]\n  bin_dir = "/x"\n  conf_dir = "/etc/cni/net.d"\n`
    expect(edit(text).content).toBe(text.replace('"/x"', '"/opt/cni/bin"'))
  })

  it('CRLF files get CRLF lines; a file without a final newline gets one before the insert', () => {
    const crlf = 'version = 2\r\n[plugins."io.containerd.grpc.v1.cri".cni]\r\n  max_conf_num = 1\r\n'
    expect(edit(crlf).content).toBe('version = 2\r\n[plugins."io.containerd.grpc.v1.cri".cni]\r\n  max_conf_num = 1\r\n  bin_dir = "/opt/cni/bin"\r\n  conf_dir = "/etc/cni/net.d"\r\n')
    const noEol = 'version = 2\n[plugins."io.containerd.grpc.v1.cri".cni]\n  max_conf_num = 1'
    expect(edit(noEol).content).toBe(`${noEol}\n  bin_dir = "/opt/cni/bin"\n  conf_dir = "/etc/cni/net.d"\n`)
  })

  it('text that only looks like the table inside a multi-line string is not the table', () => {
    const text = `version = 2\nnote = """\n[plugins."io.containerd.grpc.v1.cri".cni]\nbin_dir = "/x"\n"""\n`
    expect(edit(text).content).toBe(`${text}\n[plugins."io.containerd.grpc.v1.cri".cni]\n  bin_dir = "/opt/cni/bin"\n  conf_dir = "/etc/cni/net.d"\n`)
  })

  it('reports a disabled CRI plugin', () => {
    expect(edit('version = 2\ndisabled_plugins = ["cri"]\n').criDisabled).toBe(true)
    expect(edit('version = 2\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n').criDisabled).toBe(true)
    expect(edit(V2).criDisabled).toBe(false)
  })
})

describe('containerd config.toml: version 3', () => {
  it('already right: unchanged, a multi-line array included', () => {
    expect(edit(V3).content).toBe(V3)
    expect(edit(V3).before).toEqual({version: 3, binDirs: ['/opt/cni/bin'], confDir: '/etc/cni/net.d'})
  })

  it('another bin dir: the array is rewritten on its line, in the file\'s quoting style; nothing else moves', () => {
    const r = edit(V3, '/usr/libexec/cni')
    expect(r.content).toBe(V3.replace("bin_dirs = [\n        '/opt/cni/bin', # the plugins\n      ]", "bin_dirs = ['/usr/libexec/cni']"))
  })

  it('the deprecated bin_dir is set too when the file has it (and only then)', () => {
    const text = `version = 3\n[plugins."io.containerd.cri.v1.runtime".cni]\n  bin_dir = "/x"\n`
    expect(edit(text).content).toBe(`version = 3\n[plugins."io.containerd.cri.v1.runtime".cni]\n  bin_dir = "/opt/cni/bin"\n  bin_dirs = ['/opt/cni/bin']\n  conf_dir = '/etc/cni/net.d'\n`)
  })

  it('a version-2 key name in a version-3 file is not mistaken for the list', () => {
    const text = `version = 3\n[plugins.'io.containerd.cri.v1.runtime'.cni]\n  bin_dirs = '/opt/cni/bin'\n  conf_dir = '/etc/cni/net.d'\n`
    expect(edit(text).content).toBe(text.replace("bin_dirs = '/opt/cni/bin'", "bin_dirs = ['/opt/cni/bin']"))
  })
})

describe('containerd config.toml: new and refused files', () => {
  it('no file, an empty file or comments only: a minimal one (version as asked)', () => {
    expect(edit('', '/opt/cni/bin', '/etc/cni/net.d', 3).content).toBe("version = 3\n\n[plugins.'io.containerd.cri.v1.runtime'.cni]\n  bin_dirs = ['/opt/cni/bin']\n  conf_dir = '/etc/cni/net.d'\n")
    expect(edit('# nothing yet\n').content).toBe('# nothing yet\n\nversion = 2\n\n[plugins."io.containerd.grpc.v1.cri".cni]\n  bin_dir = "/opt/cni/bin"\n  conf_dir = "/etc/cni/net.d"\n')
  })

  const refused = (text: string) => {
    try {
      edit(text)
    } catch (e) {
      expect(e).toBeInstanceOf(CniEditError)
      return (e as Error).message
    }
    throw new Error('not refused')
  }

  it('version 1 (no version line, as Docker\'s containerd.io ships it) and unknown versions', () => {
    expect(refused('disabled_plugins = ["cri"]\n')).toMatch(/config version 1 \(no version line\) is not supported.*containerd config migrate/)
    expect(refused('version = 4\n')).toMatch(/config version 4 is not supported/)
  })

  it('CNI keys given as dotted keys or an inline table, or the table twice', () => {
    expect(refused('version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n  cni.bin_dir = "/x"\n')).toBe(
      'line 3: cannot edit safely: plugins."io.containerd.grpc.v1.cri".cni is defined with dotted keys (cni.bin_dir = ...); set cni.bin_dir/conf_dir by hand or use table syntax ([plugins."io.containerd.grpc.v1.cri".cni])',
    )
    expect(refused('version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n  cni = {bin_dir = "/x"}\n')).toMatch(/^line 3: cannot edit safely: plugins."io.containerd.grpc.v1.cri".cni is an inline table; /)
    expect(refused('version = 2\n[plugins."io.containerd.grpc.v1.cri".cni]\n[plugins."io.containerd.grpc.v1.cri".cni]\n')).toMatch(/appears 2 times \(lines 2, 3\)/)
    expect(refused('version = 2\n[plugins."io.containerd.grpc.v1.cri".cni]\n  bin_dir.x = "/x"\n')).toMatch(/^line 3: cannot edit safely: plugins."io.containerd.grpc.v1.cri".cni.bin_dir is defined with dotted keys/)
  })

  // The review's case: appending [plugins."io.containerd.grpc.v1.cri".cni] to any of these makes a file
  // TOML parsers reject ("Cannot declare ... twice"), which a restarted containerd would not load.
  it('a table above the CNI table given inline, as a value or with dotted keys, at any level: refused, naming it', () => {
    const sandbox = 'sandbox_image = "registry.k8s.io/pause:3.9"'
    const cases: [string, string][] = [
      [`version = 2\nplugins = { "io.containerd.grpc.v1.cri" = { ${sandbox} } }\n`, 'line 2: cannot edit safely: plugins is an inline table'],
      [`version = 2\n[plugins]\n"io.containerd.grpc.v1.cri" = { ${sandbox} }\n`, 'line 3: cannot edit safely: plugins."io.containerd.grpc.v1.cri" is an inline table'],
      [`version = 2\nplugins."io.containerd.grpc.v1.cri".${sandbox}\n`, 'line 2: cannot edit safely: plugins is defined with dotted keys (plugins."io.containerd.grpc.v1.cri".sandbox_image = ...)'],
      [`version = 2\n[plugins]\n  "io.containerd.grpc.v1.cri".${sandbox}\n`, 'line 3: cannot edit safely: plugins."io.containerd.grpc.v1.cri" is defined with dotted keys'],
      ['version = 2\nplugins = 1\n', 'line 2: cannot edit safely: plugins is a value, not a table'],
      ['version = 2\n[[plugins]]\n', 'line 2: cannot edit safely: plugins is an array of tables ([[plugins]])'],
      // an inline table above an existing CNI table (the file is invalid already): refused all the same
      [`version = 2\nplugins = { "io.containerd.grpc.v1.cri" = { ${sandbox} } }\n[plugins."io.containerd.grpc.v1.cri".cni]\n  bin_dir = "/x"\n`, 'line 2: cannot edit safely: plugins is an inline table'],
      // version 3
      ["version = 3\n[plugins]\n  'io.containerd.cri.v1.runtime' = { enable_selinux = false }\n", 'line 3: cannot edit safely: plugins."io.containerd.cri.v1.runtime" is an inline table'],
      ["version = 3\nplugins = { 'io.containerd.cri.v1.runtime' = { cni = { conf_dir = '/x' } } }\n", 'line 2: cannot edit safely: plugins is an inline table'],
      ["version = 3\n[plugins]\n  'io.containerd.cri.v1.runtime'.enable_selinux = false\n", 'line 3: cannot edit safely: plugins."io.containerd.cri.v1.runtime" is defined with dotted keys'],
    ]
    for (const [text, message] of cases) {
      const m = refused(text)
      expect(m.startsWith(message), `${text}\n=> ${m}`).toBe(true)
      expect(m).toMatch(/; set cni\.bin_dirs?\/conf_dir by hand or use table syntax \(\[plugins\.".*"\.cni\]\)$/)
    }
  })

  it('a file that is not valid TOML is refused, not made worse', () => {
    expect(refused('version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n[plugins."io.containerd.grpc.v1.cri"]\n')).toBe('it is not valid TOML (line 3: [plugins."io.containerd.grpc.v1.cri"] is defined twice)')
    expect(refused('version = 2\n[plugins."io.containerd.grpc.v1.cri".cni]\n  conf_dir = "/a"\n  conf_dir = "/b"\n')).toMatch(/^it is not valid TOML \(line 4: plugins."io.containerd.grpc.v1.cri".cni.conf_dir is defined twice\)$/)
  })

  it('the refusal message names keys, never values (a file may hold credentials)', () => {
    const m = refused('version = 2\n[plugins]\n"io.containerd.grpc.v1.cri" = { registry = { configs = { "r.example" = { auth = { password = "hunter2" } } } } }\n')
    expect(m).not.toContain('hunter2')
  })

  it('malformed TOML is refused with its line', () => {
    expect(refused('version = 2\n[plugins\n')).toMatch(/cannot read it as TOML \(line 2: /)
    expect(refused('version = 2\nbin_dir = "open\n')).toMatch(/line 2: unterminated string/)
  })
})

describe('TOML scanner', () => {
  it('statements, their tables and value spans', () => {
    const text = `a = 1 # one\n[t."x.y"]\nk = ["a", 'b'] \n[[arr]]\nd = 1979-05-27 07:32:00Z\ni = {x = 1, y = [2]}\n`
    const st = scanToml(text)
    expect(st.map((s) => `${s.kind} ${s.table.join('/')} ${s.key.join('.')}`)).toEqual(['keyval  a', 'table t/x.y ', 'keyval t/x.y k', 'array-table arr ', 'keyval arr d', 'keyval arr i'])
    const k = st[2]!
    expect(text.slice(k.valueStart, k.valueEnd)).toBe(`["a", 'b']`)
    expect(k.value).toEqual({type: 'array', items: [{type: 'string', value: 'a', literal: false}, {type: 'string', value: 'b', literal: true}]})
    expect(text.slice(st[4]!.valueStart, st[4]!.valueEnd)).toBe('1979-05-27 07:32:00Z')
  })
})

// Every case: either the edit is refused, or the result is valid TOML (tomllib) with the CNI keys set.
describe('containerd config.toml: refused, or valid TOML with the right keys', () => {
  const sandbox = 'sandbox_image = "registry.k8s.io/pause:3.9"'
  const CASES: [string, 2 | 3][] = [
    [V2, 2],
    [V3, 3],
    ['', 2],
    ['', 3],
    ['# comments only\n', 2],
    [`version = 2\nplugins = { "io.containerd.grpc.v1.cri" = { ${sandbox} } }\n`, 2],
    [`version = 2\n[plugins]\n"io.containerd.grpc.v1.cri" = { ${sandbox} }\n`, 2],
    [`version = 2\n[plugins]\n"io.containerd.grpc.v1.cri".${sandbox}\n`, 2],
    [`version = 2\nplugins."io.containerd.grpc.v1.cri".${sandbox}\n`, 2],
    [`version = 2\n[plugins]\n"io.containerd.grpc.v1.cri".cni.bin_dir = "/x"\n`, 2],
    [`version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n${sandbox}\n`, 2],
    [`version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n${sandbox}\ncni = {}\n`, 2],
    [`version = 2\n[plugins]\n[plugins."io.containerd.grpc.v1.cri"]\n${sandbox}\n[plugins."io.containerd.grpc.v1.cri".cni]\n`, 2],
    [`version = 2\n[plugins."io.containerd.grpc.v1.cri".cni.extra]\nx = 1\n`, 2], // the CNI table only implied by a sub-table
    [`version = 2\n[plugins."io.containerd.grpc.v1.cri".cni]\nbin_dir = 5\nconf_dir = ["/a"]\n`, 2], // wrong types are replaced
    [`version = 2\n[plugins."io.containerd.grpc.v1.cri".registry.configs."r.example".auth]\npassword = "hunter2"\n`, 2],
    [`version = 2\n[[plugins."io.containerd.grpc.v1.cri".containerd.runtimes]]\n`, 2],
    ["version = 3\n[plugins.'io.containerd.cri.v1.runtime'.cni]\nbin_dir = '/x'\n", 3],
    ["version = 3\n[plugins]\n'io.containerd.cri.v1.runtime' = {}\n", 3],
    ["version = 3\n[plugins.'io.containerd.cri.v1.images']\nsnapshotter = 'overlayfs'\n", 3],
    ["version = 3\n[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]\nruntime_type = 'io.containerd.runc.v2'\n", 3],
    ['version = 2\r\n[plugins."io.containerd.grpc.v1.cri".cni]\r\n  max_conf_num = 1', 2],
  ]

  it.skipIf(!tomllib)('tomllib reads every edited file, and it holds the CNI keys', () => {
    const results = CASES.map(([text, v]) => {
      try {
        return {text, v, out: editCniKeys(text, '/opt/cni/bin', '/etc/cni/net.d', v).content}
      } catch (e) {
        expect(e).toBeInstanceOf(CniEditError)
        return {text, v, out: null}
      }
    })
    const edited = results.filter((r) => r.out !== null)
    expect(edited.length).toBeGreaterThanOrEqual(14)
    const verdicts = tomllibErrors(edited.map((r) => r.out!))
    expect(edited.map((r, i) => [r.text, verdicts[i]]).filter(([, err]) => err !== null)).toEqual([])
    // The keys, as tomllib reads them.
    const py = `import json, sys, tomllib
out = []
for t, v in json.load(sys.stdin):
    p = tomllib.loads(t)["plugins"]["io.containerd.grpc.v1.cri" if v == 2 else "io.containerd.cri.v1.runtime"]["cni"]
    out.append([p.get("bin_dir" if v == 2 else "bin_dirs"), p.get("conf_dir")])
print(json.dumps(out))`
    const keys = JSON.parse(execFileSync('python3', ['-c', py], {input: JSON.stringify(edited.map((r) => [r.out, r.v])), encoding: 'utf8'})) as unknown[]
    for (const [i, k] of keys.entries()) expect([edited[i]!.text, k]).toEqual([edited[i]!.text, [edited[i]!.v === 2 ? '/opt/cni/bin' : ['/opt/cni/bin'], '/etc/cni/net.d']])
  })
})
