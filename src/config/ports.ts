// extraPorts ports: a number, or a string "FROM-TO" (the schema has checked the digits).

/** Parses an extraPorts port: 8472, "8472" or "30000-32767". */
export function parsePortRange(port: number | string): {from: number; to: number} | string {
  if (typeof port === 'number') return {from: port, to: port}
  const [a, b = a] = port.split('-')
  const from = Number(a)
  const to = Number(b)
  for (const n of [from, to]) if (!(n >= 1 && n <= 65535)) return `port ${n} in "${port}" is out of range (1-65535)`
  if (from > to) return `the range "${port}" runs backwards; write "${to}-${from}"`
  return {from, to}
}
