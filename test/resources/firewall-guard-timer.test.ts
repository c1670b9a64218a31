import {execa} from 'execa'
import {describe, expect, it} from 'vitest'
import {armSteps, guardDir} from '../../src/resources/firewall-guard.js'
import {cluster} from '../helpers/cluster.js'

// The guard's "stop the old timer" must never kill anything but its own timer: a stale timer.pid (after a
// reboot, or PID reuse) names someone else's process. Run for real in a private mount namespace with a
// tmpfs over /var/lib, so the host's own /var/lib/netprov is never touched.
const node = cluster(1).nodes[0]!
const d = guardDir('nftables')
const prepare = armSteps('nftables', node, [], '')[0]!
const inPrivateVarLib = (script: string) =>
  execa('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', `mount -t tmpfs none /var/lib && ${script}`], {reject: false})

describe('stopping an earlier timer', () => {
  it('leaves an unrelated process alone when timer.pid names it, and refuses 1 and garbage', async () => {
    if (prepare.op !== 'exec') throw new Error('PREPARE is an exec step')
    const prep = `sh -c '${prepare.argv[2]!.replaceAll("'", `'\\''`)}' sh ${d}`
    for (const pid of ['"$victim"', '1', '-1', 'abc', '']) {
      const r = await inPrivateVarLib(`setsid sleep 61 & victim=$!; sleep 0.2; mkdir -p ${d}; echo ${pid} > ${d}/timer.pid; ${prep}; sleep 0.2; kill -0 $victim && echo ALIVE; kill $victim`)
      expect(String(r.stdout), pid).toContain('ALIVE')
    }
  })

  it("stops the guard's own timer (its command line names the guard dir)", async () => {
    if (prepare.op !== 'exec') throw new Error('PREPARE is an exec step')
    const prep = `sh -c '${prepare.argv[2]!.replaceAll("'", `'\\''`)}' sh ${d}`
    const r = await inPrivateVarLib(`mkdir -p ${d}; setsid sh -c 'sleep 62' sh ${d} & t=$!; sleep 0.2; echo $t > ${d}/timer.pid; ${prep}; sleep 0.2; kill -0 $t 2>/dev/null && echo ALIVE || echo STOPPED`)
    expect(String(r.stdout)).toContain('STOPPED')
  })
})
