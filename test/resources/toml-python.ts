import {execFileSync} from 'node:child_process'

// Python's tomllib (3.11+), a strict TOML 1.0 parser, as the judge of TOML validity in tests.
/** Is python3 with tomllib on this machine? */
export const tomllib = (() => {
  try {
    execFileSync('python3', ['-c', 'import tomllib'], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
})()

/** tomllib's verdict on each text: null = valid, else its message. One python run for all. */
export function tomllibErrors(texts: readonly string[]): (string | null)[] {
  const py = `import json, sys, tomllib
out = []
for t in json.load(sys.stdin):
    try:
        tomllib.loads(t)
        out.append(None)
    except tomllib.TOMLDecodeError as e:
        out.append(str(e))
print(json.dumps(out))`
  return JSON.parse(execFileSync('python3', ['-c', py], {input: JSON.stringify(texts), encoding: 'utf8'})) as (string | null)[]
}

