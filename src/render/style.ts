// ANSI colour only for a terminal that wants it (NO_COLOR, CI and pipes get plain text).
const enabled = () => Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && !process.env.CI

const wrap = (code: number) => (s: string) => (enabled() ? `\u001B[${code}m${s}\u001B[0m` : s)

export const green = wrap(32)
export const yellow = wrap(33)
export const red = wrap(31)
export const bold = wrap(1)
export const dim = wrap(2)
