import {chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {LocalTransport} from '../../src/transport/local.js'
import {parseConflist} from '../../src/verify/conflist.js'
import {parseDriverOutput} from '../../src/verify/driver-output.js'
import {teardownArchive, teardownArgv, teardownChecks} from '../../src/verify/teardown.js'
import {newNodeRun, setupArchive, setupArgv, setupChecks} from '../../src/verify/test-pods.js'
import {cluster} from '../helpers/cluster.js'

// The node-side driver itself, run here (as root: it makes real network namespaces) against fake
// plugins that log their environment and stdin: the libcni protocol exactly as the driver speaks it.
const root = process.getuid?.() === 0
const T = mkdtempSync(join(tmpdir(), 'np-driver-'))
const bin = join(T, 'bin')
const ipamBase = join(T, 'ipam')
const log = join(T, 'log')
mkdirSync(bin)
mkdirSync(log)

// Each call: log "COMMAND CONTAINERID NETNS IFNAME PATH ARGS" and stdin; fakebr keeps a host-local-like
// reservation file named by IP holding the container id, and "forgets" to release pod b's on DEL.
const plugin = (name: string, result: string) => `#!/bin/sh
n=$(ls ${log} | wc -l)
printf '%s %s %s %s %s %s\\n' "$CNI_COMMAND" "$CNI_CONTAINERID" "$CNI_NETNS" "$CNI_IFNAME" "$CNI_PATH" "$CNI_ARGS" > ${log}/$(printf %03d "$n")-${name}
cat >> ${log}/$(printf %03d "$n")-${name}
case $CNI_COMMAND in
  ADD) ip=10.9.0.$(( $(ls ${log} | wc -l) + 1 ))
       if [ ${name} = fakebr ]; then mkdir -p ${ipamBase}/net; printf '%s\\r\\neth0' "$CNI_CONTAINERID" > ${ipamBase}/net/$ip; fi
       ${result} ;;
  DEL) case $CNI_CONTAINERID in *-a) [ ${name} = fakebr ] && grep -l "$CNI_CONTAINERID" ${ipamBase}/net/* 2>/dev/null | xargs -r rm -f ;; esac ;;
  VERSION) echo '{"cniVersion":"1.0.0","supportedVersions":["0.3.1","1.0.0"]}' ;;
esac
exit 0
`
const result = (addr: string) => `printf '{"cniVersion":"1.0.0","interfaces":[{"name":"br9"},{"name":"eth0","sandbox":"%s"}],"ips":[{"address":"%s","gateway":"10.9.0.1","interface":1}]}' "$CNI_NETNS" ${addr}`
writeFileSync(join(bin, 'fakebr'), plugin('fakebr', result('"$ip/24"')))
writeFileSync(join(bin, 'fakeport'), plugin('fakeport', result('10.9.0.99/24')))
writeFileSync(join(bin, 'loopback'), plugin('loopback', `printf '{"cniVersion":"0.3.1","interfaces":[{"name":"lo","sandbox":"%s"}],"ips":[{"address":"127.0.0.1/8","interface":0}]}' "$CNI_NETNS"`))
for (const f of readdirSync(bin)) chmodSync(join(bin, f), 0o755)

const c = cluster(1, {cni: {...cluster(1).cni, binDir: bin}})
Object.assign(c.nodes[0]!, {podCIDRs: ['10.9.0.0/24'], gateways: ['10.9.0.1/24']})
const list = parseConflist(JSON.stringify({name: 'net', cniVersion: '1.0.0', plugins: [{type: 'fakebr', bridge: 'br9', ipam: {type: 'host-local', dataDir: ipamBase}}, {type: 'fakeport', capabilities: {portMappings: true}}]})).list!
const run = newNodeRun(c, c.nodes[0]!, list, `t${process.pid.toString(16)}`)
run.stateDir = join(T, 'state', 'run')
const local = new LocalTransport('local')
const calls = () => readdirSync(log).sort().map((f) => {
  const [env, ...stdin] = readFileSync(join(log, f), 'utf8').split('\n')
  return {plugin: f.slice(4), env: env!.split(' '), stdin: stdin.join('\n')}
})

afterAll(async () => {
  // whatever happened above: no namespace of this test survives
  for (const p of run.pods) if (existsSync(`/run/netns/${p.netns}`)) await local.exec(['ip', 'netns', 'del', p.netns])
  rmSync(T, {recursive: true, force: true})
})

describe.skipIf(!root)('the driver speaks CNI as a runtime does', () => {
  it('setup: lo first, then the chain in order with name/cniVersion/prevResult injected, then CHECK with the cached result', async () => {
    const r = await local.exec(setupArgv(run), {stdin: setupArchive(run)})
    expect(r.stderr).toBe('')
    const checks = setupChecks(run, parseDriverOutput(r.stdout))
    expect(checks.map((x) => `${x.check} ${x.status}`)).toEqual(['cni ADD pod-a pass', 'cni result pod-a pass', 'cni CHECK pod-a pass', 'cni ADD pod-b pass', 'cni result pod-b pass', 'cni CHECK pod-b pass'])
    const a = calls().filter((x) => x.env[1] === run.pods[0]!.cid)
    expect(a.map((x) => `${x.env[0]} ${x.plugin} ${x.env[3]}`)).toEqual(['ADD loopback lo', 'ADD fakebr eth0', 'ADD fakeport eth0', 'CHECK fakebr eth0', 'CHECK fakeport eth0'])
    expect(a[1]!.env).toEqual(['ADD', run.pods[0]!.cid, `/run/netns/${run.pods[0]!.netns}`, 'eth0', bin, `IgnoreUnknown=1;K8S_POD_NAMESPACE=netprov-verify;K8S_POD_NAME=${run.pods[0]!.netns};K8S_POD_INFRA_CONTAINER_ID=${run.pods[0]!.cid}`])
    expect(JSON.parse(a[0]!.stdin)).toEqual({cniVersion: '0.3.1', name: 'cni-loopback', type: 'loopback'})
    const bridgeConf = JSON.parse(a[1]!.stdin)
    expect(bridgeConf).toMatchObject({type: 'fakebr', name: 'net', cniVersion: '1.0.0'})
    expect(bridgeConf.prevResult).toBeUndefined()
    const portConf = JSON.parse(a[2]!.stdin)
    expect(portConf).toMatchObject({type: 'fakeport', name: 'net', runtimeConfig: {portMappings: []}})
    expect(portConf.prevResult.ips[0].address).toMatch(/^10\.9\.0\.(?!99\/)\d+\/24$/) // fakebr's own output, not the final one
    expect(JSON.parse(a[3]!.stdin).prevResult.ips[0].address).toBe('10.9.0.99/24') // the final (cached) result
    expect(run.pods.every((p) => p.ready && p.recorder === 'nft')).toBe(true)
    expect((await local.exec(['ip', 'netns', 'list'])).stdout).toContain(run.pods[1]!.netns)
  })

  it('teardown: DEL in reverse order with the cached result, namespaces gone, the leaked reservation named and removed, the IPAM dir it created removed', async () => {
    const before = readdirSync(log).length
    const r = await local.exec(teardownArgv(run), {stdin: teardownArchive(run)})
    const events = parseDriverOutput(r.stdout)
    const b = calls().slice(before).filter((x) => x.env[1] === run.pods[1]!.cid)
    expect(b.map((x) => `${x.env[0]} ${x.plugin}`)).toEqual(['DEL loopback', 'DEL fakeport', 'DEL fakebr'])
    expect(JSON.parse(b[2]!.stdin).prevResult.ips[0].address).toBe('10.9.0.99/24')
    expect(teardownChecks(run, events, true).map((x) => `${x.check} ${x.status}: ${x.detail}`)).toEqual([
      'cni DEL pod-a pass: fakeport -> fakebr, then lo: in reverse order with the cached result',
      'cni DEL pod-b pass: fakeport -> fakebr, then lo: in reverse order with the cached result',
      expect.stringMatching(/^cleanup fail: DEL left IPAM reservation 10\.9\.0\.\d+ behind; verify removed it \(a runtime would leak it\)$/),
    ])
    expect((await local.exec(['ip', 'netns', 'list'])).stdout).not.toContain(run.stateDir.split('/').at(-1)!)
    for (const p of run.pods) expect(existsSync(`/run/netns/${p.netns}`)).toBe(false)
    expect(existsSync(join(ipamBase, 'net'))).toBe(false)
    expect(existsSync(run.stateDir)).toBe(false)
  })

  it('teardown again (a second Ctrl-C, a retry) is harmless', async () => {
    const r = await local.exec(teardownArgv(run), {stdin: teardownArchive(run)})
    expect(teardownChecks(run, parseDriverOutput(r.stdout), false)).toMatchObject([{check: 'cleanup', status: 'pass'}])
  })
})
