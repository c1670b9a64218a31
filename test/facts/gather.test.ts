import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import type {Fact} from '../../src/facts/fact.js'
import {gather, gatherScript, splitOutput} from '../../src/facts/gather.js'
import {dirFact, fileFact} from '../../src/facts/system.js'
import {LocalTransport} from '../../src/transport/local.js'

const echo = (id: string, text: string, code = 0): Fact<{out: string; code: number}> => ({
  id,
  argv: ['sh', '-c', `printf '%s' "$1"; exit ${code}`, 'sh', text],
  parse: (out, c) => ({out, code: c}),
})

describe('gather: every fact in one round trip', () => {
  it('frames each output exactly, with its exit code, in one exec', async () => {
    const t = new LocalTransport('local')
    const tricky = 'line1\n@@deadbeef 1\n\nno newline at end'
    const values = await gather(t, [echo('a', 'hello\n'), echo('b', tricky, 3), echo('c', '')])
    expect(t.roundTrips).toBe(1)
    expect(values.get('a')).toEqual({out: 'hello\n', code: 0})
    expect(values.get('b')).toEqual({out: tricky, code: 3})
    expect(values.get('c')).toEqual({out: '', code: 0})
  })

  it('reads files exactly (binary-safe) and tells absent from empty', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'np-gather-'))
    writeFileSync(join(dir, 'a'), 'x\n\ny  \n')
    writeFileSync(join(dir, 'empty'), '')
    const values = await gather(new LocalTransport('local'), [fileFact(join(dir, 'a')), fileFact(join(dir, 'empty')), fileFact(join(dir, 'missing')), dirFact('d', dir), dirFact('nodir', join(dir, 'nope'))])
    expect(values.get(`file:${join(dir, 'a')}`)).toBe('x\n\ny  \n')
    expect(values.get(`file:${join(dir, 'empty')}`)).toBe('')
    expect(values.get(`file:${join(dir, 'missing')}`)).toBeNull()
    expect(values.get('d')).toEqual(['a', 'empty'])
    expect(values.get('nodir')).toBeNull()
  })

  it('detects truncated output', () => {
    const script = gatherScript([echo('a', 'x')], 'n1')
    expect(script).toContain('@@%s')
    expect(() => splitOutput('@@n1 0\nx', 'n1', 1)).toThrow(/did not finish/)
    expect(() => splitOutput('', 'n1', 1)).toThrow(/did not start/)
  })
})
