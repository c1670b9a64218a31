import {describe, expect, it} from 'vitest'
import {applyNode} from '../../src/apply/apply-node.js'
import {planNode} from '../../src/plan/planner.js'
import {RESOURCES} from '../../src/resources/index.js'
import {FakeTransport} from '../../src/transport/fake.js'
import {cluster} from '../helpers/cluster.js'
import {convergedFacts, localFacts} from '../helpers/facts.js'

// applyNode's decisions over a fake transport: what the node "prints" drives the outcome.
const c = cluster(3)
const node = c.nodes[0]!
const local = localFacts(c)

/** A node that runs the program with `programOut` and then, when read, always shows `facts`. */
function fakeNode(programOut: string, gatherFacts: () => string) {
  return new FakeTransport('node1', (argv) => {
    const script = argv[2] ?? ''
    if (script.includes('tar -xf -')) return {exitCode: programOut.includes('@@NP ok') ? 0 : 1, stdout: programOut, stderr: 'ip: boom\n'}
    return {exitCode: 0, stdout: gatherFacts(), stderr: ''}
  })
}

function plannedDrift() {
  const f = convergedFacts(c, node)
  f.routes = f.routes.filter((r) => r.dst !== '10.244.3.0/24')
  return planNode(c, node, f, local, RESOURCES)
}

const opts = {cluster: c, node, local, resources: RESOURCES, lockWaitSeconds: 0, report: () => {}, verifyTries: 2}

describe('applyNode', () => {
  it('nothing to do: no round trip at all', async () => {
    const t = fakeNode('', () => '')
    const r = await applyNode({...opts, plan: planNode(c, node, convergedFacts(c, node), local, RESOURCES), transport: t})
    expect(r.status).toBe('unchanged')
    expect(t.roundTrips).toBe(0)
  })

  it('a node that still differs after apply is an error naming node, kind, id, wanted and found', async () => {
    // The node is read by the real gather script, with an `ip` that shows an empty node: the route
    // netprov just "added" is still missing. (The rest of the script only reads.)
    const {execa} = await import('execa')
    const {mkdtempSync, writeFileSync} = await import('node:fs')
    const bin = mkdtempSync('/tmp/np-fake-ip-')
    // the machine has node1's address, and nothing else of what netprov wants
    const addr = '[{"ifname":"eth0","addr_info":[{"family":"inet","local":"172.31.250.11","prefixlen":24,"scope":"global"}]}]'
    writeFileSync(`${bin}/ip`, `#!/bin/sh\ncase "$*" in *addr*) echo '${addr}';; *) echo '[]';; esac\n`, {mode: 0o755})
    const t = new FakeTransport('node1', async (argv) => {
      const script = argv[2] ?? ''
      if (script.includes('tar -xf -')) return {exitCode: 0, stdout: '@@NP begin 0\n@@NP done 0\n@@NP ok\n', stderr: ''}
      const r = await execa('sh', ['-c', script], {reject: false, stripFinalNewline: false, env: {PATH: `${bin}:${process.env.PATH}`}})
      return {exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr)}
    })
    const r = await applyNode({...opts, plan: plannedDrift(), transport: t})
    expect(r.status).toBe('failed')
    expect(r.error?.code).toBe('NOT_CONVERGED')
    expect(r.error?.message).toMatch(/^node node1: still differs after apply: .*route 10\.244\.3\.0\/24 \(create; wanted via 172\.31\.250\.13, found nothing\)/)
    expect(t.roundTrips).toBe(1 + 2) // the program, then one read per verify try
  })

  it('a failed step is rolled back by the program on the node, in the same round trip, and reported with the step and stderr', async () => {
    const t = new FakeTransport('node1', () => ({exitCode: 1, stdout: '@@NP begin 0\n@@NP fail 0 2\n@@NP rolledback ok\n', stderr: 'ip route replace: RTNETLINK answers: Network is unreachable\n'}))
    const r = await applyNode({...opts, plan: plannedDrift(), transport: t})
    expect(r.status).toBe('failed')
    expect(r.error?.message).toBe('node node1: create route 10.244.3.0/24 failed: ip route replace: RTNETLINK answers: Network is unreachable')
    expect(r.rolledBack).toBe(true)
    expect(t.roundTrips).toBe(1)
  })

  it('a program that cannot start says why and changed nothing', async () => {
    const t = new FakeTransport('node1', () => ({exitCode: 1, stdout: '@@NP bootfail cannot create a temp dir in /var/lib/netprov\n', stderr: 'mktemp: failed to create directory via template: Read-only file system\n'}))
    const r = await applyNode({...opts, plan: plannedDrift(), transport: t})
    expect(r.error?.message).toBe('node node1: the apply program could not start: cannot create a temp dir in /var/lib/netprov (mktemp: failed to create directory via template: Read-only file system); nothing was changed')
  })

  it('a lost connection is not rolled back (the node finishes its program on its own)', async () => {
    const t = new FakeTransport('node1', () => ({exitCode: 255, stdout: '@@NP begin 0\n', stderr: ''}))
    const r = await applyNode({...opts, plan: plannedDrift(), transport: t})
    expect(r.error?.code).toBe('CONNECTION_LOST')
    expect(t.roundTrips).toBe(1)
  })

  it('a held lock and a changed generation change nothing and say why', async () => {
    const locked = await applyNode({...opts, plan: plannedDrift(), transport: new FakeTransport('node1', () => ({exitCode: 75, stdout: '@@NP locked ops@ci pid 42 since 2026-12-03T10:00:00Z\n', stderr: ''}))})
    expect(locked.status).toBe('locked')
    expect(locked.error?.message).toBe('node node1: locked by another netprov run (ops@ci pid 42 since 2026-12-03T10:00:00Z)')
    const stale = await applyNode({...opts, plan: plannedDrift(), transport: new FakeTransport('node1', () => ({exitCode: 76, stdout: '@@NP stale abc\n', stderr: ''}))})
    expect(stale.status).toBe('stale')
  })
})
