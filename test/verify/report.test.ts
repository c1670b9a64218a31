import {execa} from 'execa'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {renderJunit, xmlEscape} from '../../src/verify/junit.js'
import {renderVerify} from '../../src/verify/render-human.js'
import {reportOrder} from '../../src/verify/verify.js'
import {type Check, type VerifyReport, fail, pass, skip, summarizeChecks} from '../../src/verify/types.js'

const hasPython = spawnSync('python3', ['-c', '1']).status === 0

const checks: Check[] = [
  pass('node1', 'in sync', 'no pending changes'),
  fail('node1', 'forward policy', 'iptables filter FORWARD: policy DROP & nothing accepts <10.244.0.0/16>', 'iptables -P FORWARD ACCEPT'),
  pass('node1', 'rp_filter', 'warning: strict on eth0', 'sysctl -w net.ipv4.conf.eth0.rp_filter=2'),
  skip('node2', 'firewall ports', 'not checked "yet"'),
  pass('node2', 'ping node2 -> node1', 'ok\u0007'),
]
const report = (cs: Check[]): VerifyReport => {
  const summary = summarizeChecks(cs)
  return {ok: summary.fail === 0, checks: cs, summary, nodes: [{name: 'node1', roundTrips: 4, ms: 1}, {name: 'node2', roundTrips: 4, ms: 1}], connectivity: true, durationMs: 2345}
}

describe('human report', () => {
  it('one line per check under its node, ✓ ✗ –, fixes for failures and warnings, a verdict line', () => {
    expect(renderVerify(report(checks), {addresses: {node1: '172.31.250.11'}, debug: true})).toBe(
      [
        'node1 (172.31.250.11): 1 failed',
        '  ✓ in sync: no pending changes',
        '  ✗ forward policy: iptables filter FORWARD: policy DROP & nothing accepts <10.244.0.0/16>',
        '      fix: iptables -P FORWARD ACCEPT',
        '  ✓ rp_filter: warning: strict on eth0',
        '      fix: sysctl -w net.ipv4.conf.eth0.rp_filter=2',
        '',
        'node2: ok',
        '  – firewall ports: not checked "yet"',
        '  ✓ ping node2 -> node1: ok\\x07', // control characters from nodes are shown, never sent to the terminal
        '',
        '  node1: 4 ssh round trips',
        '  node2: 4 ssh round trips',
        '',
        'Verify failed: 3 passed, 1 failed, 1 skipped on 2 node(s) in 2.3s.',
      ].join('\n'),
    )
    expect(renderVerify(report([checks[0]!])).split('\n').at(-1)).toBe('Verify passed: 1 passed, 0 failed, 0 skipped on 2 node(s) in 2.3s.')
  })
})

describe('JUnit XML', () => {
  it('one testsuite per node, one testcase per check; failures carry detail and fix, skips their reason', () => {
    const xml = renderJunit(report(checks))
    expect(xml).toContain('<testsuites name="netprov verify" tests="5" failures="1" errors="0" skipped="1" time="2.345">')
    expect(xml).toContain('<testsuite name="node1" tests="3" failures="1" errors="0" skipped="0">')
    expect(xml).toContain(
      '    <testcase classname="netprov.verify.node1" name="forward policy">\n      <failure message="iptables filter FORWARD: policy DROP &amp; nothing accepts &lt;10.244.0.0/16&gt;" type="fail">iptables filter FORWARD: policy DROP &amp; nothing accepts &lt;10.244.0.0/16&gt;\nfix: iptables -P FORWARD ACCEPT</failure>\n    </testcase>',
    )
    expect(xml).toContain('<skipped message="not checked &quot;yet&quot;"/>')
    expect(xml).not.toContain('\u0007') // not representable in XML 1.0
  })

  it.skipIf(!hasPython)('is well-formed XML (checked with python3\'s parser)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'np-junit-')), 'v.xml')
    writeFileSync(file, renderJunit(report(checks)))
    const r = await execa('python3', ['-c', 'import sys, xml.dom.minidom as m; d = m.parse(sys.argv[1]); print(len(d.getElementsByTagName("testcase")))', file], {reject: false})
    expect(r.stderr).toBe('')
    expect(r.stdout.trim()).toBe('5')
  })

  it('escapes every XML special character', () => {
    expect(xmlEscape(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;')
  })
})

describe('report order', () => {
  it('per node in the file\'s order: state checks, test pods, cleanup, pings, ports; otherwise as made', () => {
    const made = [
      pass('node2', 'in sync', ''), pass('node1', 'in sync', ''), pass('node1', 'cni conflist', ''), // state (3)
      pass('node1', 'cni ADD pod-a', ''), pass('node2', 'firewall port tcp 22', ''), pass('node1', 'firewall port tcp 22', ''),
      pass('node1', 'cleanup', ''), pass('node1', 'cni DEL pod-a', ''), pass('node1', 'ping node1 -> node2', ''), pass('node1', 'no-nat node1 -> node2', ''),
    ]
    expect(reportOrder(made, ['node1', 'node2'], 3).map((c) => `${c.node} ${c.check}`)).toEqual([
      'node1 in sync', 'node1 cni conflist', 'node1 cni ADD pod-a', 'node1 cni DEL pod-a', 'node1 cleanup', 'node1 ping node1 -> node2', 'node1 no-nat node1 -> node2', 'node1 firewall port tcp 22',
      'node2 in sync', 'node2 firewall port tcp 22',
    ])
  })
})
