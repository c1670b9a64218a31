import type {TestLab} from './lab.js'

// A "pod" for end-to-end tests: a network namespace on a node that gets its address by running the
// conflist netprov installed through the real bridge + host-local plugins (what a runtime would do).
export interface TestPod {
  node: string
  netns: string
  ip: string
}

async function bridgeConf(lab: TestLab, node: string): Promise<string> {
  const r = await lab.exec(node, ['cat', '/etc/cni/net.d/10-netprov.conflist'])
  if (r.exitCode !== 0) throw new Error(`${node}: no conflist: ${r.stderr}`)
  const list = JSON.parse(r.stdout) as {name: string; cniVersion: string; plugins: Record<string, unknown>[]}
  return JSON.stringify({...list.plugins[0], name: list.name, cniVersion: list.cniVersion})
}

async function cni(lab: TestLab, node: string, command: 'ADD' | 'DEL', netns: string): Promise<string> {
  const env = [`CNI_COMMAND=${command}`, `CNI_CONTAINERID=${netns}`, `CNI_NETNS=/run/netns/${netns}`, 'CNI_IFNAME=eth0', 'CNI_PATH=/opt/cni/bin']
  const r = await lab.exec(node, ['env', ...env, '/opt/cni/bin/bridge'], {input: await bridgeConf(lab, node)})
  if (r.exitCode !== 0) throw new Error(`${node}: CNI ${command} failed: ${r.stdout} ${r.stderr}`)
  return r.stdout
}

export async function startPod(lab: TestLab, node: string, netns: string): Promise<TestPod> {
  const add = await lab.exec(node, ['ip', 'netns', 'add', netns])
  if (add.exitCode !== 0) throw new Error(`${node}: ip netns add: ${add.stderr}`)
  const result = JSON.parse(await cni(lab, node, 'ADD', netns)) as {ips: {address: string}[]}
  return {node, netns, ip: result.ips[0]!.address.split('/')[0]!}
}

export async function stopPod(lab: TestLab, pod: TestPod): Promise<void> {
  await cni(lab, pod.node, 'DEL', pod.netns).catch(() => {})
  await lab.exec(pod.node, ['ip', 'netns', 'del', pod.netns])
}

export async function ping(lab: TestLab, from: TestPod, to: string): Promise<boolean> {
  const r = await lab.exec(from.node, ['ip', 'netns', 'exec', from.netns, 'ping', '-c', '1', '-W', '2', to])
  return r.exitCode === 0
}
