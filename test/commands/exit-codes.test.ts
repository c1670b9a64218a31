import {describe, expect, it} from 'vitest'
import {netprov} from '../e2e/cli.js'

// Usage errors exit 1 (never 2: plan --detailed-exitcode uses 2 for "changes pending"), and under
// --json they are one JSON object on stdout. No node is involved: flags are checked first.
const FILE = 'examples/two-nodes.yaml'

describe('exit codes and JSON of usage errors', () => {
  it.each([
    [['plan', '-f', FILE, '--detailed-exitcode', '--bogus'], /Nonexistent flag: --bogus/],
    [['plan', '-f', FILE, '--node'], /Flag --node expects a value/],
    [['apply', '-f', FILE, '--lock-timeout', '-5'], /greater than or equal to 0/],
    [['verify', '-f', FILE, '--no-such-flag'], /Nonexistent flag/],
  ])('%j exits 1 with the reason', async (args, reason) => {
    const r = await netprov(args)
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toMatch(reason)
  })

  it('--json turns a usage error into one JSON object, not oclif internals', async () => {
    const r = await netprov(['validate', '-f', FILE, '--json', 'extra-arg'])
    expect(r.exitCode).toBe(1)
    expect(JSON.parse(r.stdout)).toEqual({ok: false, error: 'UsageError', code: 'USAGE', message: 'Unexpected argument: extra-arg', suggestions: ["see the command's --help"]})
  })

  // (checked before any node is contacted: the example's addresses are not ours to reach)
  it('an --out that cannot be a file is a usage error before any node is read, in JSON too', async () => {
    const r = await netprov(['plan', '-f', FILE, '--json', '--out', '/tmp'])
    expect(r.exitCode).toBe(1)
    expect(JSON.parse(r.stdout)).toMatchObject({ok: false, code: 'USAGE', message: 'cannot write the plan to /tmp: it is a directory'})
    const r2 = await netprov(['plan', '-f', FILE, '--out', '/nonexistent-dir/p.plan'])
    expect(r2.stderr).toMatch(/no directory \/nonexistent-dir/)
  })

  it('a plan file must be a regular, well-formed file; a planted clusterFile is not echoed', async () => {
    const {mkdtempSync, writeFileSync} = await import('node:fs')
    const {execa} = await import('execa')
    const dir = mkdtempSync('/tmp/np-planfile-')
    await execa('mkfifo', [`${dir}/fifo`])
    for (const bad of ['/dev/zero', `${dir}/fifo`]) {
      const r = await netprov(['apply', bad, '--yes', '--json'], {timeoutMs: 20_000})
      expect(r.exitCode, bad).toBe(1)
      expect(JSON.parse(r.stdout).message, bad).toMatch(/not a regular file/)
    }
    const plan = {formatVersion: '1.0', clusterFile: '/etc/passwd', clusterDigest: 'x', nodes: [{name: 'a', factsDigest: 'd', changes: [], findings: []}]}
    writeFileSync(`${dir}/dup.plan`, JSON.stringify({...plan, nodes: [...plan.nodes, ...plan.nodes]}))
    expect((await netprov(['apply', `${dir}/dup.plan`, '--yes'])).stderr).toMatch(/a node appears twice in the plan file/)
    writeFileSync(`${dir}/passwd.plan`, JSON.stringify(plan))
    const r = await netprov(['apply', `${dir}/passwd.plan`, '--yes'])
    expect(r.stderr).toMatch(/names the cluster file \/etc\/passwd, which is not a valid cluster file; nothing was changed/)
    expect(r.stderr).not.toMatch(/root:/)
  })
})
