// The lab's pure parts: names, subnets, route clashes, prerequisites, rendered files. No root needed.
import {mkdtempSync, writeFileSync, chmodSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parse} from 'yaml'
import {describe, expect, it} from 'vitest'
import {renderClusterFile} from '../../src/lab/cluster-file.js'
import {LabProblem} from '../../src/lab/errors.js'
import {bridgeName, hostVethName, isLabLink, isLabNetns, netnsName, validateLabDir, validateLabName} from '../../src/lab/names.js'
import {checkPrerequisites} from '../../src/lab/prereqs.js'
import {renderKnownHosts, renderSshdConfig} from '../../src/lab/ssh-files.js'
import type {LabState} from '../../src/lab/state.js'
import {clashingRoutes, hostAddress, maxNodes, nodeAddress, parseSubnet, pickSubnet} from '../../src/lab/subnet.js'

const reason = (fn: () => unknown) => {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(LabProblem)
    return (e as LabProblem).reason
  }
  throw new Error('expected a LabProblem')
}

describe('lab names', () => {
  it('accepts short lowercase names and refuses the rest', () => {
    for (const ok of ['lab', 'a', 'ci2', 'abcdefgh']) expect(validateLabName(ok)).toBe(ok)
    for (const bad of ['', 'Lab', '1lab', 'abcdefghi', 'la-b', 'la b', 'lab;rm', '../x']) expect(reason(() => validateLabName(bad))).toBe('bad-name')
  })

  it('derives interface names the kernel accepts (<= 15 chars) that never match another lab', () => {
    expect(bridgeName('abcdefgh')).toBe('npbr-abcdefgh')
    expect(hostVethName('abcdefgh', 250)).toBe('npabcdefgh-250')
    expect(hostVethName('abcdefgh', 250).length).toBeLessThanOrEqual(15)
    expect(netnsName('lab', 'node1')).toBe('np-lab-node1')
    expect(isLabNetns('a', 'np-a-node1')).toBe(true)
    expect(isLabNetns('a', 'np-ab-node1')).toBe(false)
    expect(isLabLink('a', 'npa-3')).toBe(true)
    expect(isLabLink('a', 'npa1-3')).toBe(false)
    expect(isLabLink('br', 'npbr-3')).toBe(true) // lab "br"'s veth ...
    expect(isLabLink('br', 'npbr-x')).toBe(false) // ... is not lab "x"'s bridge
    expect(isLabLink('x', 'npbr-x')).toBe(true)
  })

  it('refuses lab dirs that would break the generated configs', () => {
    expect(validateLabDir('/var/tmp/my-lab_1')).toBe('/var/tmp/my-lab_1')
    expect(validateLabDir('rel/dir', '/base')).toBe('/base/rel/dir')
    for (const bad of ['/', '/tmp/a b', '/tmp/$(x)', '/tmp/"q"']) expect(reason(() => validateLabDir(bad))).toBe('bad-dir')
  })
})

describe('lab subnets', () => {
  it('places the host on .1 and node i on .(10+i)', () => {
    const s = parseSubnet('172.31.250.0/24')
    expect(hostAddress(s)).toBe('172.31.250.1')
    expect(nodeAddress(s, 1)).toBe('172.31.250.11')
    expect(nodeAddress(s, 3)).toBe('172.31.250.13')
    expect(maxNodes(s)).toBe(244)
    expect(maxNodes(parseSubnet('10.1.0.0/16'))).toBe(65524)
  })

  it('refuses malformed, non-canonical, public, too small or cluster-overlapping subnets', () => {
    for (const bad of ['x', '172.31.250.0', '172.31.250.0/33', '172.31.250.5/24', '8.8.8.0/24', '192.0.2.0/24', '172.31.0.0/8', '172.31.250.0/30', '10.244.3.0/24', '10.100.0.0/24', 'fd00::/64']) {
      expect(reason(() => parseSubnet(bad)), bad).toBe('bad-subnet')
    }
  })

  it('finds clashes with host routes, but not with the default route', () => {
    const s = parseSubnet('172.31.250.0/24')
    const routes = [
      {dst: 'default', dev: 'eth0'},
      {dst: '0.0.0.0/0', dev: 'wg0'},
      {dst: '192.0.2.0/24', dev: 'eth0'},
      {dst: 'fd00::/64', dev: 'eth0'},
      {dst: '172.31.0.0/16', dev: 'vpn0'},
      {dst: '172.31.250.77', dev: 'lo', table: 'local', type: 'local'},
    ]
    expect(clashingRoutes(s, routes).map((r) => r.dst)).toEqual(['172.31.0.0/16', '172.31.250.77'])
    expect(clashingRoutes(parseSubnet('172.30.1.0/24'), routes)).toEqual([])
  })

  it('picks the first free /24 of 172.31.0.0/16 from a start, skipping the default lab subnet', () => {
    expect(pickSubnet(() => true, 0)?.cidr).toBe('172.31.0.0/24')
    expect(pickSubnet(() => true, 250)?.cidr).toBe('172.31.251.0/24')
    expect(pickSubnet((s) => s.cidr === '172.31.3.0/24', 200)?.cidr).toBe('172.31.3.0/24')
    expect(pickSubnet(() => false)).toBeUndefined()
  })
})

describe('lab prerequisites', () => {
  it('needs root', () => {
    expect(reason(() => checkPrerequisites({uid: 1000}))).toBe('not-root')
  })

  it('names the Debian packages of missing programs', () => {
    const bin = mkdtempSync(join(tmpdir(), 'np-lab-bin-'))
    for (const t of ['ssh-keygen', 'ssh', 'unshare', 'nsenter', 'mount', 'hostname']) {
      writeFileSync(join(bin, t), '#!/bin/sh\n')
      chmodSync(join(bin, t), 0o755)
    }
    try {
      checkPrerequisites({uid: 0, searchPath: bin})
      throw new Error('expected a LabProblem')
    } catch (e) {
      expect((e as LabProblem).reason).toBe('missing-tools')
      expect((e as LabProblem).message).toMatch(/ip, sshd, nft/)
      for (const pkg of ['iproute2', 'openssh-server', 'nftables']) expect((e as LabProblem).message).toContain(pkg)
      expect((e as LabProblem).suggestions[0]).toBe('apt-get install -y iproute2 openssh-server nftables')
    }
  })
})

describe('lab files', () => {
  const lab = {
    name: 'lab',
    dir: '/run/netprov-lab/lab',
    subnet: '172.31.250.0/24',
    bridge: 'npbr-lab',
    clusterFile: '/run/netprov-lab/lab/netprov.yaml',
    ssh: {user: 'root', identityFile: '/run/netprov-lab/lab/ssh/id_ed25519', knownHostsFile: '/run/netprov-lab/lab/ssh/known_hosts', authorizedKeysFile: '/run/netprov-lab/lab/ssh/authorized_keys', config: '/run/netprov-lab/lab/ssh_config'},
    nodes: [1, 2, 3].map((i) => ({name: `node${i}`, index: i, role: i === 1 ? 'control-plane' : 'worker', address: `172.31.250.${10 + i}`, podCIDR: `10.244.${i}.0/24`, dir: `/run/netprov-lab/lab/nodes/node${i}`, hostKey: `/run/netprov-lab/lab/nodes/node${i}/ssh_host_ed25519_key`})),
  } as unknown as LabState

  it('writes a cluster file per the spec', () => {
    const text = renderClusterFile(lab)
    expect(text).toContain('strictHostKeyChecking: "yes"')
    expect(parse(text)).toEqual({
      apiVersion: 'netprov.io/v1alpha1',
      kind: 'Cluster',
      metadata: {name: 'lab'},
      spec: {
        podCIDR: '10.244.0.0/16',
        serviceCIDR: '10.96.0.0/12',
        ssh: {user: 'root', identityFile: lab.ssh.identityFile, knownHostsFile: lab.ssh.knownHostsFile, strictHostKeyChecking: 'yes'},
      },
      nodes: [
        {name: 'node1', address: '172.31.250.11', role: 'control-plane', podCIDR: '10.244.1.0/24'},
        {name: 'node2', address: '172.31.250.12', role: 'worker', podCIDR: '10.244.2.0/24'},
        {name: 'node3', address: '172.31.250.13', role: 'worker', podCIDR: '10.244.3.0/24'},
      ],
    })
  })

  it('writes an sshd config that listens on the node only and takes keys from the lab dir', () => {
    const cfg = renderSshdConfig(lab, lab.nodes[1]!, [9, 2])
    expect(cfg).toMatch(/^ListenAddress 172\.31\.250\.12:22$/m)
    expect(cfg).toMatch(/^AuthorizedKeysFile \/run\/netprov-lab\/lab\/ssh\/authorized_keys$/m)
    expect(cfg).toMatch(/^PermitRootLogin prohibit-password$/m)
    expect(cfg).toMatch(/^UsePAM no$/m)
    expect(cfg).toMatch(/^PidFile \/run\/netprov-lab\/lab\/nodes\/node2\/sshd.pid$/m)
    expect(cfg).not.toContain('PerSourcePenalties')
    expect(renderSshdConfig(lab, lab.nodes[1]!, [10, 0])).toMatch(/^PerSourcePenalties no$/m)
  })

  it('pins each node by name and address in known_hosts', () => {
    expect(renderKnownHosts([{name: 'node1', address: '172.31.250.11', hostPublicKey: 'ssh-ed25519 AAAAkey node1.lab'}])).toBe('node1,172.31.250.11 ssh-ed25519 AAAAkey\n')
  })
})
