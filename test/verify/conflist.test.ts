import {describe, expect, it} from 'vitest'
import {renderConflist} from '../../src/resources/cni-config.js'
import {LOOPBACK_PREFIX, completeConfig, configPrefix, parseConflist, pluginTypes, versionAtLeast} from '../../src/verify/conflist.js'
import {cluster} from '../helpers/cluster.js'

const c = cluster(2)

describe('the installed conflist, read the way libcni reads it', () => {
  it("netprov's own conflist parses: name, version, plugins and the binaries it runs", () => {
    const {list, problems} = parseConflist(renderConflist(c, c.nodes[0]!))
    expect(problems).toEqual([])
    expect(list).toMatchObject({name: 'netprov', cniVersion: '1.0.0', disableCheck: false})
    expect(pluginTypes(list!)).toEqual(['bridge', 'host-local', 'portmap'])
  })

  it.each([
    ['{', /not valid JSON/],
    ['[]', /not a JSON object/],
    ['{"cniVersion":"1.0.0","plugins":[{"type":"bridge"}]}', /no "name"/],
    ['{"name":"n","plugins":[{"type":"bridge"}]}', /no "cniVersion"/],
    ['{"name":"n","cniVersion":"1.0","plugins":[{"type":"bridge"}]}', /is not a version/],
    ['{"name":"n","cniVersion":"1.0.0"}', /no "plugins"/],
    ['{"name":"n","cniVersion":"1.0.0","plugins":[]}', /no "plugins"/],
    ['{"name":"n","cniVersion":"1.0.0","plugins":[{"bridge":"x"}]}', /plugins\[0\] has no "type"/],
    ['{"name":"n","cniVersion":"1.0.0","plugins":[{"type":"../../bin/sh"}]}', /is not a plugin file name/],
    ['{"name":"n","cniVersion":"1.0.0","plugins":[{"type":"bridge","ipam":{"type":"a b"}}]}', /ipam type "a b"/],
    ['{"name":"-n","cniVersion":"1.0.0","plugins":[{"type":"bridge"}]}', /not a valid network name/],
  ])('%s is refused', (text, why) => {
    const r = parseConflist(text)
    expect(r.list).toBeUndefined()
    expect(r.problems.join('; ')).toMatch(why)
  })

  it('disableCheck may be a boolean or libcni\'s string form', () => {
    expect(parseConflist('{"name":"n","cniVersion":"1.0.0","disableCheck":"true","plugins":[{"type":"bridge"}]}').list?.disableCheck).toBe(true)
    expect(parseConflist('{"name":"n","cniVersion":"1.0.0","disableCheck":true,"plugins":[{"type":"bridge"}]}').list?.disableCheck).toBe(true)
  })
})

describe('config injection (libcni buildOneConfig)', () => {
  const list = parseConflist('{"name":"net1","cniVersion":"1.0.0","plugins":[{"type":"bridge","name":"other","cniVersion":"0.3.1","prevResult":{"stale":1},"ipam":{"type":"host-local"}},{"type":"portmap","capabilities":{"portMappings":true}}]}').list!

  it("overrides each plugin's name and cniVersion with the list's and drops a prevResult it carried", () => {
    const conf = JSON.parse(completeConfig(configPrefix(list, list.plugins[0]!)))
    expect(conf).toEqual({type: 'bridge', ipam: {type: 'host-local'}, name: 'net1', cniVersion: '1.0.0'})
  })

  it('appends the previous result as prevResult; the text is valid JSON whatever the result looks like', () => {
    const prev = '{\n    "cniVersion": "1.0.0",\n    "ips": [{"address": "10.244.1.2/24"}]\n}'
    const conf = JSON.parse(completeConfig(configPrefix(list, list.plugins[1]!), prev))
    expect(conf.prevResult).toEqual(JSON.parse(prev))
    expect(conf.name).toBe('net1')
  })

  it('gives portmap the runtimeConfig a runtime always passes for its capability (no mappings)', () => {
    expect(JSON.parse(completeConfig(configPrefix(list, list.plugins[1]!))).runtimeConfig).toEqual({portMappings: []})
    expect(JSON.parse(completeConfig(configPrefix(list, list.plugins[0]!))).runtimeConfig).toBeUndefined()
  })

  it("runs loopback with containerd's built-in network (cni-loopback, 0.3.1)", () => {
    expect(JSON.parse(completeConfig(LOOPBACK_PREFIX))).toEqual({cniVersion: '0.3.1', name: 'cni-loopback', type: 'loopback'})
  })

  it('CHECK exists from 0.4.0 on', () => {
    expect(versionAtLeast('1.0.0', '0.4.0')).toBe(true)
    expect(versionAtLeast('0.4.0', '0.4.0')).toBe(true)
    expect(versionAtLeast('0.3.1', '0.4.0')).toBe(false)
  })
})
