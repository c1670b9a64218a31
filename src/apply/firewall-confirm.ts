import {ApplyError} from '../errors.js'
import type {Change} from '../plan/types.js'
import {confirmArgv, confirmSeconds} from '../resources/firewall-guard.js'
import type {NodeSpec} from '../config/types.js'
import {SshTransport} from '../transport/ssh.js'
import type {Transport} from '../transport/transport.js'

/**
 * After a program that changed the firewall succeeded: confirm over a NEW SSH connection, which only
 * gets through if the new rules let SSH in. Without the confirmation the node's timer restores the
 * previous rules by itself (resources/firewall-guard.ts). Returns the error, or null when confirmed.
 * Other transports (local, fake) have no connection to lose: they confirm over themselves.
 */
export async function confirmFirewall(transport: Transport, node: NodeSpec, changes: readonly Change[]): Promise<ApplyError | null> {
  const backends = [...new Set(changes.filter((c) => c.kind === 'firewall').map((c) => c.id))]
  if (backends.length === 0) return null
  const window = confirmSeconds(node)
  const fresh = transport instanceof SshTransport ? transport.fresh() : transport
  const fail = (why: string) =>
    new ApplyError(node.name, 'confirming the firewall change', why, [
      `wait ${window} s: the node puts its previous firewall rules back by itself (nothing else is undone)`,
      `check that the node's SSH port (${node.ssh.port}) is the port sshd sees (a port forward or DNAT in front of sshd hides it), or add it with spec.firewall.extraPorts`,
    ])
  try {
    const r = await fresh.exec(confirmArgv(backends), {timeoutMs: (window + node.ssh.connectTimeoutSeconds) * 1000})
    if (r.exitCode === 0) return null
    return fail(`too late, the node already restored its previous rules: ${r.stdout.trim() || r.stderr.trim()}`)
  } catch (e) {
    return fail(`no new SSH connection got through after the change (${(e as Error).message})`)
  } finally {
    if (fresh !== transport) await fresh.close()
  }
}
