import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {checkPluginVersion} from '../../src/verify/cni-result.js'
import {dedupeTables, forwardFix, forwardVerdicts, type PodNet} from '../../src/verify/forward-policy.js'
import {parseRule} from '../../src/verify/iptables-save.js'
import {iptablesFact, nftFact, parsePluginProbes, pluginVersionsFact} from '../../src/verify/probe-facts.js'

// Facts verify adds to the gather round trip, on output captured from a lab node (plugins 1.1.1) and
// from network namespaces with Docker's iptables rules (iptables 1.8.9 nf_tables) and nft 1.0.6.
const captured = (f: string) => readFileSync(new URL(`fixtures/${f}`, import.meta.url), 'utf8')
const pods: PodNet = {family: 4, cidrs: ['10.244.0.0/16'], bridge: 'v-net-0'}

describe('plugin VERSION probe', () => {
  it('is one argv: the fixed script, then binDir and the names as positional arguments', () => {
    const f = pluginVersionsFact('/opt/cni/bin', ['bridge', 'x; rm -rf /'])
    expect(f.argv.slice(0, 2)).toEqual(['sh', '-c'])
    expect(f.argv.slice(3)).toEqual(['sh', '/opt/cni/bin', 'bridge', 'x; rm -rf /'])
    expect(f.argv[2]).not.toContain('bridge')
  })

  it('parses found, missing and non-executable plugins with their VERSION answers', () => {
    const p = parsePluginProbes(captured('plugin-versions.out'))
    expect(p.bridge).toMatchObject({state: 'ran', exitCode: 0})
    expect(JSON.parse(p.bridge!.stdout!).supportedVersions).toContain('1.0.0')
    expect(p.nosuch).toEqual({state: 'missing'})
    expect(p.notexec).toEqual({state: 'not-executable'})
    expect(checkPluginVersion(p.portmap, '1.0.0')).toMatchObject({ok: true})
    expect(checkPluginVersion(p.loopback, '0.3.1')).toMatchObject({ok: true})
  })

  it('ValidateNetworkList logic: the conflist version must be among supportedVersions', () => {
    const answer = (o: unknown, rc = 0) => ({state: 'ran' as const, exitCode: rc, stdout: typeof o === 'string' ? o : JSON.stringify(o)})
    expect(checkPluginVersion(answer({cniVersion: '0.4.0', supportedVersions: ['0.3.1', '0.4.0']}), '1.0.0')).toEqual({ok: false, detail: 'does not support cniVersion 1.0.0: it supports 0.3.1, 0.4.0'})
    expect(checkPluginVersion(answer({code: 4, msg: 'required env variables [CNI_COMMAND] missing'}, 1), '1.0.0').detail).toBe('VERSION failed: error 4 (invalid necessary environment variables): required env variables [CNI_COMMAND] missing')
    expect(checkPluginVersion(answer('Segmentation fault'), '1.0.0').detail).toMatch(/not JSON/)
    expect(checkPluginVersion(answer(''), '0.1.0')).toMatchObject({ok: true}) // pre-VERSION plugins: 0.1.0 only
    expect(checkPluginVersion(answer(''), '1.0.0')).toMatchObject({ok: false})
    expect(checkPluginVersion({state: 'missing'}, '1.0.0')).toEqual({ok: false, detail: 'not found'})
    expect(checkPluginVersion(undefined, '1.0.0')).toMatchObject({ok: false})
  })
})

describe('forward chains: default DROP with nothing accepting pod traffic', () => {
  const ipt = (file: string) => {
    const r = iptablesFact(4).parse(captured(file), 0)
    if (r.state !== 'ok') throw new Error('not parsed')
    return r.tables
  }
  const nft = (file: string) => {
    const r = nftFact.parse(captured(file), 0)
    if (r.state !== 'ok') throw new Error(r.state === 'error' ? r.message : 'absent')
    return r.tables
  }

  it("Docker's FORWARD DROP (iptables-save) drops pods: its accepts are only for docker0", () => {
    const v = forwardVerdicts(ipt('iptables-docker.out'), pods)
    expect(v).toEqual([{where: 'iptables filter FORWARD', dropping: true, why: 'policy DROP and no rule accepts 10.244.0.0/16 (or traffic through v-net-0)'}])
    expect(forwardFix(v[0]!, pods)).toMatch(/^iptables -I FORWARD -s 10.244.0.0\/16 -j ACCEPT && iptables -I FORWARD -d 10.244.0.0\/16 -j ACCEPT/)
  })

  it('an accept for the pod CIDR in a chain FORWARD jumps to (DOCKER-USER) is found', () => {
    const v = forwardVerdicts(ipt('iptables-docker-pods-accepted.out'), pods)
    expect(v[0]).toMatchObject({dropping: false})
    expect(v[0]!.why).toMatch(/^policy DROP, but pod traffic accepted by: -d 10.244.0.0\/16 -j ACCEPT/)
  })

  it('the same rules seen through nft are iptables-nft tables: the iptables-save view is kept', () => {
    const fromNft = nft('nft-iptables-nft-docker.json')
    expect(fromNft.map((t) => t.name)).toEqual(['ip filter'])
    expect(dedupeTables(ipt('iptables-docker.out'), fromNft).map((t) => `${t.backend} ${t.name}`)).toEqual(['iptables filter'])
  })

  it('nft: a firewalld-style final reject drops pods; a policy-drop chain that accepts the pod CIDR does not', () => {
    const v = forwardVerdicts(nft('nft-firewalld-and-pods.json'), pods)
    expect(v).toEqual([
      {where: 'nft inet firewalld chain filter_FORWARD', dropping: true, why: '"reject" drops everything before any rule accepts 10.244.0.0/16'},
      {where: 'nft ip podfw chain forward_pods', dropping: false, why: 'policy DROP, but pod traffic accepted by: ip saddr 10.244.0.0/16 accept'},
    ])
    expect(forwardFix(v[0]!, pods)).toContain('nft insert rule inet firewalld filter_FORWARD ip saddr 10.244.0.0/16 accept')
    // the inet table also filters IPv6 pod traffic; the ip table does not
    expect(forwardVerdicts(nft('nft-firewalld-and-pods.json'), {family: 6, cidrs: ['fd00:10:244::/56'], bridge: 'v-net-0'}).map((x) => x.where)).toEqual(['nft inet firewalld chain filter_FORWARD'])
  })

  it('rules whose other matches restrict them (ports, negations, other bridges) are not counted as accepting pods', () => {
    const accepts = (line: string) => forwardVerdicts([{backend: 'iptables', family: 4, name: 'filter', chains: new Map([['FORWARD', {name: 'FORWARD', policy: 'drop', forward: true, rules: [parseRule(line.split(' '))]}]])}], pods)[0]!.dropping === false
    expect(accepts('-s 10.244.0.0/16 -j ACCEPT')).toBe(true)
    expect(accepts('-s 10.244.1.0/24 -m conntrack --ctstate NEW -j ACCEPT')).toBe(true)
    expect(accepts('-i v-net-0 -j ACCEPT')).toBe(true)
    expect(accepts('-i v-net+ -j ACCEPT')).toBe(true)
    expect(accepts('-j ACCEPT')).toBe(true)
    expect(accepts('-s 10.244.0.0/16 -p tcp -m tcp --dport 80 -j ACCEPT')).toBe(false)
    expect(accepts('! -s 10.244.0.0/16 -j ACCEPT')).toBe(false)
    expect(accepts('-o docker0 -j ACCEPT')).toBe(false)
    expect(accepts('-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT')).toBe(false)
    expect(accepts('-s 192.168.0.0/16 -j ACCEPT')).toBe(false)
  })

  it('no firewall tool on the node, or nft failing, is reported as such', () => {
    expect(iptablesFact(4).parse('', 3)).toEqual({state: 'absent'})
    expect(nftFact.parse('', 3)).toEqual({state: 'absent'})
    expect(nftFact.parse('Error: JSON support not compiled-in\n', 1)).toEqual({state: 'error', message: 'Error: JSON support not compiled-in'})
    expect(iptablesFact(4).parse('@@ iptables-save\n', 0)).toEqual({state: 'ok', tables: []})
  })
})
