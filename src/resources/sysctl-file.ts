import {FILE_HEADER, hasHeader} from './markers.js'
import {managedFile} from './managed-file.js'
import {wantedSysctls} from './sysctl.js'

export const SYSCTL_FILE = '/etc/sysctl.d/99-netprov.conf'
export const MODULES_FILE = '/etc/modules-load.d/netprov.conf'

/** The sysctls again, so they survive a reboot (systemd-sysctl reads /etc/sysctl.d at boot). */
export const sysctlFile = managedFile({
  kind: 'sysctl-file',
  path: () => SYSCTL_FILE,
  render: ({cluster}) => [FILE_HEADER, ...wantedSysctls(cluster).map((s) => `${s.key} = ${s.value}`), ''].join('\n'),
  owned: hasHeader,
})

/** br_netfilter at boot, so the net.bridge.* settings above exist when systemd-sysctl runs. */
export const modulesFile = managedFile({
  kind: 'modules-file',
  path: () => MODULES_FILE,
  render: () => [FILE_HEADER, 'br_netfilter', ''].join('\n'),
  owned: hasHeader,
})
