import {execa} from 'execa'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {bootstrapArgv, buildProgram, parseOutcome} from '../../src/apply/script.js'
import {tar} from '../../src/apply/tar.js'

describe('apply program', () => {
  it('tar: GNU tar unpacks what we write, byte for byte, modes kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'np-tar-'))
    const big = Buffer.alloc(70_001, 7)
    writeFileSync(join(dir, 'a.tar'), tar([{name: 'x', data: Buffer.from('hello\n')}, {name: 'big', data: big, mode: 0o755}, {name: 'empty', data: Buffer.alloc(0)}]))
    await execa('tar', ['-xf', join(dir, 'a.tar'), '-C', dir])
    expect(readFileSync(join(dir, 'x'), 'utf8')).toBe('hello\n')
    expect(readFileSync(join(dir, 'big')).equals(big)).toBe(true)
    expect(statSync(join(dir, 'big')).mode & 0o777).toBe(0o755)
    expect(readFileSync(join(dir, 'empty')).length).toBe(0)
  })

  it('carries file content in the archive, never in the script', () => {
    const p = buildProgram([{index: 0, steps: [{op: 'write', path: '/etc/x', content: "evil'$(rm -rf /)\n", mode: '644'}]}], {holder: 'me', newGeneration: 'g', lockWaitSeconds: 0})
    expect(p.script).not.toContain('rm -rf')
    expect(p.script).toContain("put 0 f0 /etc/x 644 ''")
    expect(Buffer.concat(p.archive).includes(Buffer.from("evil'$(rm -rf /)"))).toBe(true)
  })

  it('checks the generation only when asked', () => {
    const base = {holder: 'me', newGeneration: 'g2', lockWaitSeconds: 0}
    expect(buildProgram([], {...base, expectedGeneration: 'g1'}).script).toMatch(/if \[ "\$gen" != g1 \]/)
    expect(buildProgram([], {...base, expectedGeneration: null}).script).toMatch(/!= none/)
    expect(buildProgram([], base).script).not.toMatch(/\$gen/)
  })

  it('reads markers: done, failed, locked, stale', () => {
    expect(parseOutcome('@@NP begin 0\n@@NP done 0\n@@NP begin 1\n@@NP fail 1 2\n')).toEqual({done: [0], failed: 1, ok: false})
    expect(parseOutcome('@@NP locked root@a pid 3\n')).toMatchObject({locked: 'root@a pid 3'})
    expect(parseOutcome('@@NP stale abc\n')).toMatchObject({stale: 'abc'})
    expect(parseOutcome('@@NP done 0\n@@NP ok\n')).toMatchObject({ok: true})
  })

  it('runs for real: a failed step rolls back the failed and the completed changes on the node, newest first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'np-prog-'))
    const changes = [
      {index: 0, steps: [{op: 'write' as const, path: `${dir}/a`, content: 'A\n', mode: '600'}], undo: [{op: 'remove' as const, path: `${dir}/a`}]},
      {index: 1, steps: [{op: 'exec' as const, argv: ['sh', '-c', 'echo B > "$1"', 'sh', `${dir}/b`]}], undo: [{op: 'exec' as const, argv: ['sh', '-c', 'echo "undo 1" >> "$1"; rm "$2"', 'sh', `${dir}/log`, `${dir}/b`]}]},
      {index: 2, steps: [{op: 'exec' as const, argv: ['sh', '-c', 'echo "half done" > "$1"', 'sh', `${dir}/c`]}, {op: 'exec' as const, argv: ['sh', '-c', 'echo boom >&2; exit 7']}], undo: [{op: 'exec' as const, argv: ['sh', '-c', 'echo "undo 2" >> "$1"; rm -f "$2"', 'sh', `${dir}/log`, `${dir}/c`]}]},
      {index: 3, steps: [{op: 'exec' as const, argv: ['touch', `${dir}/never`]}], undo: []},
    ]
    const p = buildProgram(changes, {holder: 't', expectedGeneration: null, newGeneration: 'g', lockWaitSeconds: 0})
    writeFileSync(join(dir, 'program.tar'), Buffer.concat(p.archive))
    // A private mount namespace with tmpfs over /run and /var/lib: the host's own state dirs are never touched.
    const [, , boot] = bootstrapArgv()
    const r = await execa('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', `mount -t tmpfs none /run && mount -t tmpfs none /var/lib && ${boot}`], {inputFile: join(dir, 'program.tar'), reject: false})
    expect(r.exitCode).toBe(1)
    expect(parseOutcome(String(r.stdout))).toEqual({done: [0, 1], failed: 2, rolledBack: 'ok', ok: false})
    expect(String(r.stderr)).toContain('boom')
    expect(existsSync(`${dir}/a`)).toBe(false)
    expect(existsSync(`${dir}/b`)).toBe(false)
    expect(existsSync(`${dir}/c`)).toBe(false)
    expect(existsSync(`${dir}/never`)).toBe(false)
    expect(readFileSync(`${dir}/log`, 'utf8')).toBe('undo 2\nundo 1\n')
  })

  it('runs for real: a change whose first step fails is not undone (what it met is not netprov\'s); earlier changes are', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'np-prog-'))
    const changes = [
      {index: 0, steps: [{op: 'exec' as const, argv: ['touch', `${dir}/made`]}], undo: [{op: 'remove' as const, path: `${dir}/made`}]},
      {index: 1, steps: [{op: 'exec' as const, argv: ['sh', '-c', 'echo "File exists" >&2; exit 2']}], undo: [{op: 'exec' as const, argv: ['touch', `${dir}/undo-1-ran`]}]},
    ]
    const p = buildProgram(changes, {holder: 't', newGeneration: 'g', lockWaitSeconds: 0})
    writeFileSync(join(dir, 'p.tar'), Buffer.concat(p.archive))
    const [, , boot] = bootstrapArgv()
    const r = await execa('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', `mount -t tmpfs none /run && mount -t tmpfs none /var/lib && ${boot}`], {inputFile: join(dir, 'p.tar'), reject: false})
    expect(parseOutcome(String(r.stdout))).toMatchObject({done: [0], failed: 1, rolledBack: 'ok'})
    expect(existsSync(`${dir}/undo-1-ran`)).toBe(false)
    expect(existsSync(`${dir}/made`)).toBe(false)
  })

  it('runs for real: writes never go through a symlink at the temp path, and a directory at the target is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'np-prog-'))
    writeFileSync(`${dir}/victim`, 'precious\n', {mode: 0o600})
    symlinkSync(`${dir}/victim`, `${dir}/conf.netprov-tmp`)
    mkdirSync(`${dir}/adir`)
    const run = async (path: string) => {
      const p = buildProgram([{index: 0, steps: [{op: 'write', path, content: 'new\n', mode: '644'}]}], {holder: 't', newGeneration: 'g', lockWaitSeconds: 0})
      writeFileSync(join(dir, 'p.tar'), Buffer.concat(p.archive))
      const [, , boot] = bootstrapArgv()
      return execa('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', `mount -t tmpfs none /run && mount -t tmpfs none /var/lib && ${boot}`], {inputFile: join(dir, 'p.tar'), reject: false})
    }
    expect((await run(`${dir}/conf`)).exitCode).toBe(0)
    expect(readFileSync(`${dir}/victim`, 'utf8')).toBe('precious\n')
    expect(readFileSync(`${dir}/conf`, 'utf8')).toBe('new\n')
    const r = await run(`${dir}/adir`)
    expect(r.exitCode).toBe(1)
    expect(String(r.stderr)).toContain('is a directory')
  })
})
