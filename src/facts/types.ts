// What netprov knows about a node: parsed, normalised, and only what plans depend on
// (no counters or timers), so that its digest changes only when the node really changed.

export interface Link {
  name: string
  kind: string | null // "bridge", "veth", ... (null for plain devices)
  mtu: number
  up: boolean // administratively up (UP flag), not carrier
}

export interface Address {
  dev: string
  cidr: string // "10.244.1.1/24"
  family: 4 | 6
  scope: string
}

export interface Route {
  dst: string // "10.244.2.0/24" ("default" kept as is)
  via: string | null
  dev: string | null
  protocol: string // "kernel", "static", "147", ...
  family: 4 | 6
}

export interface FileState {
  sha256: string
  mode: string // octal, e.g. "755"
}

export interface NodeFacts {
  links: Link[]
  addresses: Address[]
  routes: Route[]
  sysctls: Record<string, string> // "net.ipv4.ip_forward" -> "1"
  files: Record<string, string | null> // owned files: path -> content (null = absent)
  binaries: Record<string, FileState | null> // path in binDir -> state (null = absent)
  confDir: string[] | null // every file name in the CNI conf dir (null = no such dir)
  tools: string[] // which of the tools netprov may use exist on the node
  extra: Record<string, unknown> // facts added by later resource kinds (firewall, kubelet...)
}
