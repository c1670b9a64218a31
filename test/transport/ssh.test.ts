import {describe, expect, it} from 'vitest'
import {SshTransport, classifySshFailure} from '../../src/transport/ssh.js'
import {node} from '../helpers/cluster.js'

describe('SshTransport', () => {
  const ssh = {...node(1).ssh, host: '10.0.0.1', port: 2222, user: 'ops', identityFile: '/etc/hostname'}

  it('builds ssh options from the cluster settings: batch mode, pinned known_hosts, strict host keys, a private control socket', () => {
    const args = new SshTransport('node1', ssh, '/tmp/ctl').sshArgs()
    expect(args).toEqual(expect.arrayContaining(['BatchMode=yes', 'StrictHostKeyChecking=yes', 'UserKnownHostsFile=/nonexistent/kh', 'ConnectTimeout=5', 'ControlMaster=auto']))
    expect(args.join(' ')).toMatch(/-p 2222 -l ops .*-i \/etc\/hostname -- 10\.0\.0\.1$/)
    expect(args.find((a) => a.startsWith('ControlPath='))).toMatch(/^ControlPath=\/tmp\/ctl\/[0-9a-f]{12}-%C$/)
  })

  it('keys the control socket on host-key settings', () => {
    const a = new SshTransport('n', ssh, '/tmp/ctl').sshArgs().find((x) => x.startsWith('ControlPath='))
    const b = new SshTransport('n', {...ssh, knownHostsFile: '/other'}, '/tmp/ctl').sshArgs().find((x) => x.startsWith('ControlPath='))
    expect(a).not.toBe(b)
  })

  it('leaves out -i when the key file does not exist (agent or ~/.ssh/config may provide one)', () => {
    expect(new SshTransport('n', {...ssh, identityFile: '/nonexistent/key'}, '/tmp/ctl').sshArgs()).not.toContain('-i')
  })

  it('quotes the remote command once, behind sudo -n for become: sudo', () => {
    expect(new SshTransport('n', ssh, '/tmp/ctl').remoteCommand(['ip', 'route', 'add', 'x y'])).toBe("ip route add 'x y'")
    expect(new SshTransport('n', {...ssh, become: 'sudo'}, '/tmp/ctl').remoteCommand(['id', '-u'])).toBe('sudo -n -- id -u')
  })

  it.each([
    ['Host key verification failed.', /host key not known/],
    ['@@@@@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @', /host key changed/],
    ['root@10.0.0.1: Permission denied (publickey).', /permission denied/],
    ['ssh: connect to host 10.0.0.1 port 22: Connection refused', /connection refused/],
    ['ssh: connect to host 10.0.0.1 port 22: Connection timed out', /timed out/],
    ['ssh: connect to host 10.0.0.1 port 22: No route to host', /no route to host/],
    ['ssh: Could not resolve hostname nowhere: Name or service not known', /does not resolve/],
  ])('classifies %j', (stderr, cause) => {
    expect(classifySshFailure(stderr)?.cause).toMatch(cause)
  })

  it('does not mistake a remote command failure for a connection failure', () => {
    expect(classifySshFailure('grep: /etc/x: No such file or directory')).toBeUndefined()
  })
})
