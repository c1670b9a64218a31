// Strings in netprov's documents can come from nodes (file names, command output). A human view must
// not pass their control characters to the terminal: ESC sequences could hide or rewrite lines (the
// "Plan:" line, a failed check). They are shown as \xNN; newlines and tabs stay. JSON output needs
// none of this: JSON escapes control characters itself.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g

export function cleanText(s: string): string {
  return s.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}

/** A deep copy with every string cleaned. */
export function cleanDeep<T>(value: T): T {
  if (typeof value === 'string') return cleanText(value) as T
  if (Array.isArray(value)) return value.map(cleanDeep) as T
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cleanDeep(v)])) as T
  return value
}
