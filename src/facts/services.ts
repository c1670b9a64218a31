import type {Fact} from './fact.js'

// What decides whether netprov restarts a daemon after changing its settings.

/** Does systemd know kubelet.service? (No systemd, or no unit: false.) */
export const kubeletUnitFact: Fact<boolean> = {
  id: 'kubelet-unit',
  argv: ['sh', '-c', 'systemctl cat kubelet.service >/dev/null 2>&1 && echo present; exit 0'],
  parse: (stdout) => stdout.trim() === 'present',
}

export interface ContainerdFacts {
  config: {mode: string; content: string} | null // the config file, null when absent
  version: string | null // `containerd --version`, null when not installed
  active: boolean // systemctl is-active containerd
}

const READ_CONTAINERD = `if [ -f "$1" ]; then printf 'mode %s\\n' "$(stat -c %a -- "$1")"; printf 'content %s\\n' "$(base64 -w0 -- "$1")"; fi
v=$(containerd --version 2>/dev/null) && printf 'version %s\\n' "$v"
systemctl is-active --quiet containerd.service 2>/dev/null && echo active
exit 0`

export function containerdFact(configFile: string): Fact<ContainerdFacts> {
  return {id: 'containerd', argv: ['sh', '-c', READ_CONTAINERD, 'sh', configFile], parse: parseContainerd}
}

export function parseContainerd(stdout: string): ContainerdFacts {
  const out: ContainerdFacts = {config: null, version: null, active: false}
  let mode: string | null = null
  for (const line of stdout.split('\n')) {
    const [word, rest = ''] = [line.split(' ', 1)[0], line.slice(line.indexOf(' ') + 1)]
    if (word === 'mode') mode = rest.trim()
    else if (word === 'content') out.config = {mode: mode ?? '644', content: Buffer.from(rest.trim(), 'base64').toString('utf8')}
    else if (word === 'version') out.version = rest.trim()
    else if (line.trim() === 'active') out.active = true
  }
  return out
}
