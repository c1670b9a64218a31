import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {beforeAll, describe, expect, it} from 'vitest'

// `netprov validate` end to end, in a child process, from the compiled CLI (npm run build first).
const root = fileURLToPath(new URL('../..', import.meta.url))
const bin = join(root, 'bin', 'run.js')

function netprov(args: string[], cwd = root): {code: number | null; stdout: string; stderr: string} {
  // a timeout, so a cluster file that blocks (a FIFO) fails the test instead of hanging it
  const r = spawnSync(process.execPath, [bin, ...args], {cwd, encoding: 'utf8', timeout: 30_000, env: {...process.env, CI: 'true', NO_COLOR: '1'}})
  if (r.error) throw r.error
  return {code: r.status, stdout: r.stdout, stderr: r.stderr}
}

const BAD = `spec:
  podCidr: 10.244.0.0/16
  podCIDR: 10.244.0.0/16
  bridge: {mtu: big}
nodes:
  - {name: node1, address: 172.31.250.11, role: worker, podCIDR: 10.244.1.5/24}
`

let dir: string
beforeAll(() => {
  if (!existsSync(join(root, 'dist', 'commands', 'validate.js'))) throw new Error('build first: npm run build')
  dir = mkdtempSync(join(tmpdir(), 'netprov-validate-'))
  writeFileSync(join(dir, 'bad.yaml'), BAD)
  const fifo = spawnSync('mkfifo', [join(dir, 'fifo.yaml')])
  if (fifo.status !== 0) throw new Error(`mkfifo: ${fifo.stderr}`)
})

describe('netprov validate', () => {
  it('a valid file: exit 0 and a one-line summary', () => {
    const r = netprov(['validate', '-f', 'examples/three-nodes.yaml'])
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe('examples/three-nodes.yaml: valid — cluster "lab", 3 nodes, pod CIDR 10.244.0.0/16\n')
    expect(r.code).toBe(0)
  })

  it('every example is valid', () => {
    for (const f of ['two-nodes.yaml', 'three-nodes.yaml', 'dual-stack.yaml']) {
      const r = netprov(['validate', '--file', `examples/${f}`])
      expect(r.code, r.stderr).toBe(0)
    }
  })

  it('reads ./netprov.yaml by default', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'netprov-default-'))
    writeFileSync(join(cwd, 'netprov.yaml'), 'spec: {podCIDR: 10.244.0.0/16}\nnodes: [{name: a, address: 172.31.250.11, role: worker}]\n')
    const r = netprov(['validate'], cwd)
    expect(r.stdout).toBe('netprov.yaml: valid — cluster "lab", 1 node, pod CIDR 10.244.0.0/16\n')
    expect(r.code).toBe(0)
  })

  it('an invalid file: exit 1, every diagnostic on stderr as FILE:LINE:COL: message, nothing on stdout', () => {
    const file = join(dir, 'bad.yaml')
    const r = netprov(['validate', '-f', file])
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr.split('\n')).toEqual([
      `${file}:2:3: unknown key "podCidr" in spec (did you mean "podCIDR"?)`,
      `${file}:4:17: spec.bridge.mtu must be an integer (got "big")`,
      `${file}:6:66: nodes[0].podCIDR: 10.244.1.5/24 has host bits set; did you mean 10.244.1.0/24?`,
      `${file}: invalid — 3 problems`,
      '',
    ])
  })

  it('a missing file: exit 1 and says so', () => {
    const r = netprov(['validate', '-f', 'no/such/cluster.yaml'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('no/such/cluster.yaml: cannot read the cluster file: no such file')
  })

  // Not regular files: refused before a byte is read, so nothing blocks or eats memory.
  it.each([
    ['a FIFO', 'fifo.yaml', 'is a named pipe (FIFO), not a regular file; netprov reads the cluster file from a regular file only (a pipe could block forever)'],
    ['/dev/zero', '/dev/zero', 'is a character device, not a regular file; netprov reads the cluster file from a regular file only'],
    ['a directory', '.', 'is a directory, not a cluster file'],
  ])('%s: exit 1, FILE: cannot read the cluster file: ...', (_, name, message) => {
    const file = name.startsWith('/') ? name : join(dir, name)
    const r = netprov(['validate', '-f', file])
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(`${file}: cannot read the cluster file: ${message}\n${file}: invalid — 1 problem\n`)
  })

  it('a file over 1 MiB: exit 1 with its size', () => {
    const file = join(dir, 'big.yaml')
    writeFileSync(file, '#'.repeat(3 * 1024 * 1024) + '\n')
    const r = netprov(['validate', '-f', file])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`${file}: cannot read the cluster file: is 3 MiB (3145729 bytes); a cluster file may be at most 1 MiB`)
  })

  it('--json on a valid file prints the normalised cluster', () => {
    const r = netprov(['validate', '-f', 'examples/three-nodes.yaml', '--json'])
    expect(r.code).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out).toMatchObject({ok: true, name: 'lab', podCIDRs: ['10.244.0.0/16'], bridge: {name: 'v-net-0', mtu: 1500}, file: join(root, 'examples/three-nodes.yaml')})
    expect(out.nodes.map((n: {name: string; podCIDRs: string[]; gateways: string[]; podCIDRAllocated: boolean}) => [n.name, n.podCIDRs, n.gateways, n.podCIDRAllocated])).toEqual([
      ['node1', ['10.244.1.0/24'], ['10.244.1.1/24'], false],
      ['node2', ['10.244.2.0/24'], ['10.244.2.1/24'], false],
      ['node3', ['10.244.13.0/24'], ['10.244.13.1/24'], true],
    ])
    expect(out.nodes[1].ssh).toMatchObject({host: '172.31.250.12', port: 2222, strictHostKeyChecking: 'accept-new'})
    expect(out.firewall.extraPorts).toEqual([
      {from: 8472, to: 8472, protocol: 'udp', roles: ['control-plane', 'worker']},
      {from: 9100, to: 9101, protocol: 'tcp', roles: ['worker']},
    ])
  })

  it('--json on an invalid file: exit 1, {ok:false, diagnostics} on stdout', () => {
    const file = join(dir, 'bad.yaml')
    const r = netprov(['validate', '-f', file, '--json'])
    expect(r.code).toBe(1)
    const out = JSON.parse(r.stdout)
    expect(out).toMatchObject({ok: false, code: 'CONFIG_INVALID'})
    expect(out.diagnostics).toEqual([
      {file, line: 2, col: 3, path: '/spec/podCidr', message: 'unknown key "podCidr" in spec (did you mean "podCIDR"?)'},
      {file, line: 4, col: 17, path: '/spec/bridge/mtu', message: 'spec.bridge.mtu must be an integer (got "big")'},
      {file, line: 6, col: 66, path: '/nodes/0/podCIDR', message: 'nodes[0].podCIDR: 10.244.1.5/24 has host bits set; did you mean 10.244.1.0/24?'},
    ])
  })

  it('--json on a missing file: exit 1, a diagnostic with line 0', () => {
    const r = netprov(['validate', '-f', 'no/such/cluster.yaml', '--json'])
    expect(r.code).toBe(1)
    expect(JSON.parse(r.stdout).diagnostics).toEqual([{file: 'no/such/cluster.yaml', line: 0, col: 0, message: expect.stringContaining('no such file')}])
  })

  it('warnings go to stderr and do not fail', () => {
    const file = join(dir, 'warn.yaml')
    writeFileSync(file, 'spec: {podCIDR: [10.244.0.0/16, "fd00:10:244::/56"]}\nnodes: [{name: a, address: 172.31.250.11, role: worker}]\n')
    const r = netprov(['validate', '-f', file])
    expect(r.code).toBe(0)
    expect(r.stderr).toContain(`${file}:2:28: warning: a has no IPv6 address`)
    expect(r.stdout).toContain('valid — cluster "lab", 1 node, pod CIDRs 10.244.0.0/16, fd00:10:244::/56')
  })

  it('--help teaches: summary, description, flags and examples', () => {
    const r = netprov(['validate', '--help'])
    expect(r.code).toBe(0)
    for (const s of ['Check a cluster file without touching any node', '-f, --file=FILE', '--json', 'FILE:LINE:COL', 'EXAMPLES', 'validate -f clusters/lab.yaml']) expect(r.stdout).toContain(s)
  })
})
