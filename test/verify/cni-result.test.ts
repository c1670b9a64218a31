import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {type PodExpectation, checkAddResult, describeCniError} from '../../src/verify/cni-result.js'
import {parseDriverOutput} from '../../src/verify/driver-output.js'

// The final ADD result of bridge -> portmap, captured from a lab node (plugins 1.1.1).
const setup = parseDriverOutput(readFileSync(new URL('fixtures/driver-setup.out', import.meta.url), 'utf8'))
const add = setup.find((e) => e.kind === 'step' && e.label === 'ADD:1')
const result = add && add.kind === 'step' ? add.stdout : ''
const want: PodExpectation = {cniVersion: '1.0.0', netnsPath: '/run/netns/netprov-verify-83ceec23-a', ifname: 'eth0', podCIDRs: ['10.244.1.0/24'], gateways: ['10.244.1.1/24'], bridge: 'v-net-0'}
const edit = (f: (r: Record<string, any>) => void) => {
  const r = JSON.parse(result)
  f(r)
  return JSON.stringify(r)
}

describe('ADD result against the CNI result format and the node', () => {
  it('the real result passes: the address in the pod CIDR, gateway = bridge address, the veth named for cleanup', () => {
    expect(checkAddResult(result, want)).toEqual({problems: [], ips: ['10.244.1.39'], hostInterfaces: ['vethd0d77c95']})
  })

  it.each([
    ['an address outside the pod CIDR', (r: any) => (r.ips[0].address = '10.244.2.5/24'), /outside the node's pod CIDR 10.244.1.0\/24/],
    ['another prefix length', (r: any) => (r.ips[0].address = '10.244.1.39/16'), /has prefix \/16/],
    ['a gateway that is not the bridge', (r: any) => (r.ips[0].gateway = '10.244.1.254'), /gateway 10.244.1.254 is not the bridge address 10.244.1.1/],
    ['no gateway', (r: any) => delete r.ips[0].gateway, /no gateway/],
    ['no ips', (r: any) => (r.ips = []), /no "ips"/],
    ['the gateway address itself', (r: any) => (r.ips[0].address = '10.244.1.1/24'), /got the gateway address/],
    ['no sandbox interface', (r: any) => (r.interfaces = r.interfaces.slice(0, 2)), /no interface eth0 with sandbox/],
    ['a bad interface index', (r: any) => (r.ips[0].interface = 7), /points at no interface/],
    ['the bridge missing', (r: any) => (r.interfaces[0].name = 'cni0'), /bridge v-net-0 is not among/],
    ['another cniVersion', (r: any) => (r.cniVersion = '0.4.0'), /cniVersion is "0.4.0"/],
    ['a malformed address', (r: any) => (r.ips[0].address = '10.244.1.300/24'), /not an address in CIDR form/],
  ])('%s fails', (_what, change, problem) => {
    expect(checkAddResult(edit(change), want).problems.join('; ')).toMatch(problem)
  })

  it('dual-stack: one address per family, each in its pod CIDR with its gateway', () => {
    const dual = {...want, podCIDRs: ['10.244.1.0/24', 'fd00:10:244:1::/64'], gateways: ['10.244.1.1/24', 'fd00:10:244:1::1/64']}
    const ok = edit((r) => r.ips.push({interface: 2, address: 'fd00:10:244:1:0::2/64', gateway: 'fd00:10:244:1::1'}))
    expect(checkAddResult(ok, dual)).toMatchObject({problems: [], ips: ['10.244.1.39', 'fd00:10:244:1::2']})
    expect(checkAddResult(result, dual).problems).toEqual(['0 IPv6 addresses (want exactly one in fd00:10:244:1::/64)'])
  })

  it('output that is not a result', () => {
    expect(checkAddResult('', want).problems).toEqual(['the result is not JSON: (empty)'])
  })
})

describe('plugin errors', () => {
  it('reads the CNI error object {code, msg, details}', () => {
    expect(describeCniError('{"cniVersion":"1.0.0","code":11,"msg":"busy","details":"try later"}', '', 1)).toBe('error 11 (try again later): busy: try later')
    expect(describeCniError('{"code":999,"msg":"failed to set bridge addr: \\"v-net-0\\" already has an IP address different from 10.244.2.1/24"}', '', 1)).toMatch(/^error 999 \(internal error\): failed to set bridge addr/)
    expect(describeCniError('{"code":120,"msg":"mine"}', '', 1)).toBe('error 120 (plugin-specific): mine')
  })

  it('falls back to the text, or names a binary that is not there', () => {
    expect(describeCniError('', 'panic: boom\n', 2)).toBe('exit 2: panic: boom')
    expect(describeCniError('', 'failed to find plugin "portmap" in path [/opt/cni/bin]\n', 127)).toBe('failed to find plugin "portmap" in path [/opt/cni/bin]')
  })
})
