import type {Check, VerifyReport} from './types.js'

// JUnit XML for CI: one testsuite per node, one testcase per check; a failed check is a <failure> with
// its detail and fix, a skipped one <skipped>. Pure.

// XML 1.0 cannot carry most control characters, even escaped.
const clean = (s: string) => s.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD]/gu, '')
export const xmlEscape = (s: string) => clean(s).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&apos;')

function testcase(c: Check): string {
  const head = `    <testcase classname="netprov.verify.${xmlEscape(c.node)}" name="${xmlEscape(c.check)}">`
  const body =
    c.status === 'fail'
      ? `      <failure message="${xmlEscape(c.detail)}" type="fail">${xmlEscape(c.fix ? `${c.detail}\nfix: ${c.fix}` : c.detail)}</failure>`
      : c.status === 'skip'
        ? `      <skipped message="${xmlEscape(c.detail)}"/>`
        : `      <system-out>${xmlEscape(c.detail)}</system-out>`
  return [head, body, '    </testcase>'].join('\n')
}

export function renderJunit(r: VerifyReport): string {
  const nodes = [...new Set(r.checks.map((c) => c.node))]
  const count = (cs: readonly Check[], s: Check['status']) => cs.filter((c) => c.status === s).length
  const suites = nodes.map((n) => {
    const cs = r.checks.filter((c) => c.node === n)
    return [`  <testsuite name="${xmlEscape(n)}" tests="${cs.length}" failures="${count(cs, 'fail')}" errors="0" skipped="${count(cs, 'skip')}">`, ...cs.map(testcase), '  </testsuite>'].join('\n')
  })
  const time = (r.durationMs / 1000).toFixed(3)
  return ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="netprov verify" tests="${r.checks.length}" failures="${r.summary.fail}" errors="0" skipped="${r.summary.skip}" time="${time}">`, ...suites, '</testsuites>', ''].join('\n')
}
