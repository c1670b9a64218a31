import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {parseAddresses, parseLinks, parseRoutes} from '../../src/facts/ip.js'
import {parseBinaries, parseSysctls} from '../../src/facts/system.js'

// Output captured from `ip -j ...` on a lab node (iproute2 6.1, kernel 6.x) with a bridge,
// a stale address, one netprov route (proto 147) and one foreign route.
const captured = (f: string) => readFileSync(new URL(f, import.meta.url), 'utf8')

describe('fact parsers on captured output', () => {
  it('links: kind, mtu, admin state', () => {
    const links = parseLinks(captured('links.json'))
    expect(links.find((l) => l.name === 'v-net-0')).toEqual({name: 'v-net-0', kind: 'bridge', mtu: 1500, up: true})
    expect(links.find((l) => l.name === 'eth0')).toMatchObject({kind: 'veth', up: true})
    expect(links.find((l) => l.name === 'eth0p')).toMatchObject({up: false})
    expect(links.find((l) => l.name === 'lo')).toMatchObject({kind: null})
  })

  it('addresses: every family and scope', () => {
    const addrs = parseAddresses(captured('addrs.json'))
    expect(addrs.filter((a) => a.dev === 'v-net-0').map((a) => a.cidr)).toEqual(expect.arrayContaining(['10.244.1.1/24', '10.244.9.1/24', 'fd00:10:244:1::1/64']))
    expect(addrs.find((a) => a.cidr.startsWith('fe80'))).toMatchObject({scope: 'link', family: 6})
  })

  it('routes: protocol numbers stay numbers, gateways become via', () => {
    const routes = parseRoutes(4)(captured('routes4.json'))
    expect(routes).toContainEqual({dst: '10.244.2.0/24', via: '172.31.250.12', dev: 'eth0', protocol: '147', family: 4})
    expect(routes).toContainEqual({dst: '10.244.3.0/24', via: '172.31.250.13', dev: 'eth0', protocol: 'static', family: 4})
    expect(routes.find((r) => r.dst === '10.244.1.0/24')).toMatchObject({protocol: 'kernel', via: null, dev: 'v-net-0'})
    expect(parseRoutes(6)(captured('routes6.json')).every((r) => r.family === 6)).toBe(true)
  })

  it('routes read with ip -N: numbers, and only the kernel\'s fixed protocols named (rt_protos cannot rename 147)', () => {
    const routes = parseRoutes(4)(captured('routes4-numeric.json'))
    expect(routes.find((r) => r.dst === '10.244.2.0/24')!.protocol).toBe('147')
    expect(routes.find((r) => r.dst === '10.244.3.0/24')!.protocol).toBe('static')
    expect(routes.find((r) => r.dst === '172.31.250.0/24')!.protocol).toBe('kernel')
  })

  it('routes: host routes get a prefix length', () => {
    expect(parseRoutes(4)('[{"dst":"10.0.0.5","gateway":"10.0.0.1","protocol":"boot"}]')[0]!.dst).toBe('10.0.0.5/32')
  })

  it('sysctls from grep -H over /proc/sys', () => {
    expect(parseSysctls('net/ipv4/ip_forward:0\nnet/bridge/bridge-nf-call-iptables:1\nnet/ipv4/conf/all/rp_filter:2\n')).toEqual({
      'net.ipv4.ip_forward': '0',
      'net.bridge.bridge-nf-call-iptables': '1',
      'net.ipv4.conf.all.rp_filter': '2',
    })
  })

  it('binaries: mode and sha256 per name', () => {
    const h = 'a'.repeat(64)
    expect(parseBinaries(`755 ${h}  bridge\n644 ${h}  host-local\ngarbage\n`)).toEqual({bridge: {mode: '755', sha256: h}, 'host-local': {mode: '644', sha256: h}})
  })

  it('rejects output that is not JSON', () => {
    expect(() => parseLinks('Error: something')).toThrow(/not JSON/)
  })
})
