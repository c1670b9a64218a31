import {execa} from 'execa'
import {mkdtempSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {buildProgram, parseOutcome, rollbackSteps} from '../../src/apply/script.js'
import {tar} from '../../src/apply/tar.js'
import type {Change} from '../../src/plan/types.js'

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

  it('rolls back the failed change and the completed ones, newest first', () => {
    const ch = (n: number): Change => ({action: 'create', kind: 'k', id: String(n), before: null, after: n, steps: [], undo: [{op: 'remove', path: `/u${n}`}]})
    expect(rollbackSteps([ch(0), ch(1), ch(2)], {done: [0, 1], failed: 2, ok: false}).map((s) => s.index)).toEqual([2, 1, 0])
  })
})
