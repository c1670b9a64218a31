import {execa} from 'execa'
import {copyFileSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {readLocalFacts, sha256File} from '../../src/facts/local.js'
import {cluster} from '../helpers/cluster.js'

// Only real executables from inside the plugin source are ever sent to nodes.
const withSource = (pluginSource: string, plugins: string[]) => cluster(1, {cni: {...cluster(1).cni, pluginSource, plugins}})

describe('local plugin facts', () => {
  it('hashes the real plugins of a directory source', async () => {
    const f = await readLocalFacts(withSource('/usr/lib/cni', ['bridge', 'nosuch']))
    expect(f.plugins.bridge).toEqual({path: '/usr/lib/cni/bridge', sha256: sha256File('/usr/lib/cni/bridge')})
    expect(f.plugins.nosuch).toBeNull()
    expect(f.problems).toEqual({nosuch: 'not found'})
  })

  it('refuses what is not an executable, and symlinks leading out of the source', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'np-src-'))
    writeFileSync(join(dir, 'secret'), '-----BEGIN OPENSSH PRIVATE KEY-----\n')
    mkdirSync(join(dir, 'sub'))
    const outside = mkdtempSync(join(tmpdir(), 'np-out-'))
    copyFileSync('/usr/lib/cni/bridge', join(outside, 'bridge'))
    symlinkSync(join(outside, 'bridge'), join(dir, 'bridge'))
    copyFileSync('/usr/lib/cni/portmap', join(dir, 'portmap-real'))
    symlinkSync(join(dir, 'portmap-real'), join(dir, 'portmap'))
    writeFileSync(join(dir, 'script'), '#!/bin/sh\necho {}\n')
    const f = await readLocalFacts(withSource(dir, ['secret', 'sub', 'bridge', 'portmap', 'script']))
    expect(f.problems).toEqual({
      secret: 'is not an executable (neither ELF nor a #! script)',
      sub: 'is not a regular file',
      bridge: `is a symlink to ${join(outside, 'bridge')}, outside the plugin source`,
    })
    expect(f.plugins.portmap?.sha256).toBe(sha256File('/usr/lib/cni/portmap'))
    expect(f.plugins.script).not.toBeNull()
  })

  it('refuses symlinks inside a .tgz (they would point at this machine\'s files)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'np-tgz-'))
    mkdirSync(join(dir, 'in'))
    copyFileSync('/usr/lib/cni/loopback', join(dir, 'in', 'loopback'))
    symlinkSync('/etc/hostname', join(dir, 'in', 'bridge'))
    await execa('tar', ['-czf', join(dir, 'p.tgz'), '-C', join(dir, 'in'), '.'])
    const f = await readLocalFacts(withSource(join(dir, 'p.tgz'), ['loopback', 'bridge']))
    expect(f.plugins.loopback?.sha256).toBe(sha256File('/usr/lib/cni/loopback'))
    expect(f.problems).toEqual({bridge: 'is a symlink in the archive'})
  })
})
