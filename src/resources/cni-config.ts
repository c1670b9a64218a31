import type {Cluster, NodeSpec} from '../config/types.js'
import {dirFact} from '../facts/system.js'
import {familyOf} from '../net/cidr.js'
import type {Finding} from '../plan/types.js'
import {JSON_MARKER_KEY, JSON_MARKER_VALUE, hasJsonMarker} from './markers.js'
import {managedFile} from './managed-file.js'
import type {Context} from './resource.js'

export const CNI_VERSION = '1.0.0'

/**
 * The conflist: bridge on the node's bridge with host-local IPAM over the node's pod CIDR(s),
 * gateway = the bridge address (the bridge plugin refuses any other), ipMasq false (host-gw keeps pod
 * source addresses), hairpin for pods reaching themselves through a service, then portmap.
 * loopback is not chained here: runtimes call it on its own for `lo` (containerd's default).
 */
export function renderConflist(cluster: Cluster, node: NodeSpec): string {
  const ranges = node.podCIDRs.map((subnet, i) => [{subnet, gateway: node.gateways[i]!.split('/')[0]}])
  const routes = node.podCIDRs.map((c) => ({dst: familyOf(c) === 6 ? '::/0' : '0.0.0.0/0'}))
  const conf = {
    cniVersion: CNI_VERSION,
    name: cluster.cni.networkName,
    [JSON_MARKER_KEY]: JSON_MARKER_VALUE,
    plugins: [
      {
        type: 'bridge',
        bridge: cluster.bridge.name,
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        mtu: cluster.bridge.mtu,
        ipam: {type: 'host-local', ranges, routes},
      },
      {type: 'portmap', capabilities: {portMappings: true}},
    ],
  }
  return JSON.stringify(conf, null, 2) + '\n'
}

export const confPath = (cluster: Cluster) => `${cluster.cni.confDir}/${cluster.cni.confFile}`

const CONFIG_EXT = /\.(conflist|conf|json)$/

/** Runtimes (libcni, containerd's go-cni) load the lexically first config file: anything before ours wins. */
export function earlierConfigs(ctx: Context): Finding[] {
  const names = ctx.facts.confDir ?? []
  const ours = ctx.cluster.cni.confFile
  return names
    .filter((n) => CONFIG_EXT.test(n) && n !== ours && n < ours)
    .map((n) => ({
      severity: 'warning' as const,
      kind: 'cni-config',
      id: `${ctx.cluster.cni.confDir}/${n}`,
      message: `${n} sorts before ${ours}: a container runtime would use it instead of netprov's network`,
      fix: `move ${n} out of ${ctx.cluster.cni.confDir} if it is not wanted (netprov leaves it alone)`,
    }))
}

const file = managedFile({
  kind: 'cni-config',
  path: confPath,
  render: ({cluster, node}) => renderConflist(cluster, node),
  owned: hasJsonMarker,
})

export const cniConfig = {
  ...file,
  dependsOn: ['bridge'], // a conflist pointing at a device that is not netprov's bridge breaks every pod ADD
  facts: (cluster: Cluster, node: NodeSpec) => [...file.facts!(cluster, node), dirFact('confDir', cluster.cni.confDir)],
  actual(ctx: Context) {
    const a = file.actual(ctx)
    return {owned: a.owned, findings: [...a.findings, ...earlierConfigs(ctx)]}
  },
}
