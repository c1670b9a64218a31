import {bridgeAddress} from './bridge-address.js'
import {bridge} from './bridge.js'
import {cniBinary} from './cni-binary.js'
import {cniConfig} from './cni-config.js'
import {containerd} from './containerd.js'
import {firewall} from './firewall.js'
import {kubeletFlags} from './kubelet-flags.js'
import type {AnyResource} from './resource.js'
import {route} from './route.js'
import {modulesFile, sysctlFile} from './sysctl-file.js'
import {sysctl} from './sysctl.js'

/** Every resource kind, in dependency order: a node's changes are applied in this order. */
export const RESOURCES: readonly AnyResource[] = [
  modulesFile,
  sysctlFile,
  sysctl,
  bridge,
  bridgeAddress,
  route,
  cniBinary,
  cniConfig,
  kubeletFlags,
  containerd,
  firewall, // last: every other change is in place before the rules change (and a lock-out rollback)
]
