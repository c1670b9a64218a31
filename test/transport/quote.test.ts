import {execa} from 'execa'
import {describe, expect, it} from 'vitest'
import {quoteArg, quoteArgv} from '../../src/transport/quote.js'

const NASTY = ['plain', '', 'two words', "it's", '$(touch /tmp/pwned)', '`id`', 'a;b', 'x|y', '&&', '\n', 'new\nline', '"double"', "'", "''", '\\', '*', '~', '#c', '-rf', '$HOME', '!event', 'tab\there', 'é ü 漢']

describe('quoteArgv', () => {
  it('keeps safe words bare and quotes everything else', () => {
    expect(quoteArg('10.244.1.0/24')).toBe('10.244.1.0/24')
    expect(quoteArg('a b')).toBe("'a b'")
    expect(quoteArg("it's")).toBe(`'it'\\''s'`)
    expect(quoteArg('')).toBe("''")
  })

  it('round-trips every argument through a real POSIX shell unchanged', async () => {
    for (const shell of ['sh', 'bash']) {
      const line = quoteArgv(['printf', '%s\\0', ...NASTY])
      const r = await execa(shell, ['-c', line], {encoding: 'buffer'})
      const got = Buffer.from(r.stdout).toString('utf8').split('\0').slice(0, -1)
      expect(got, shell).toEqual(NASTY)
    }
  })

  it('refuses NUL bytes and empty commands', () => {
    expect(() => quoteArg('a\0b')).toThrow(/NUL/)
    expect(() => quoteArgv([])).toThrow(/empty/)
  })
})
