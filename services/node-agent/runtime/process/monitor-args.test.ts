import { expect } from 'chai';
import { hostPathEnv, monitorRunArgs, withSandboxFiles } from './monitor-args';
import { hostsFile, resolvConf } from './sandbox-files';

describe('monitor command line and sandbox files', () => {
  it('builds an isolated container\'s flags in the monitor\'s grammar', () => {
    const args = monitorRunArgs({
      stateDir: '/s',
      logPath: '/l/0.log',
      envFile: '/s/env',
      argv: ['sh', '-c', 'echo hi'],
      stdinFifo: '/s/stdin',
      stdinOnce: true,
      tty: true,
      oomScoreAdj: 1000,
      isolated: {
        rootfs: '/img/rootfs',
        hostname: 'web',
        netnsPath: '/var/run/netns/bosun-x',
        mounts: [{ hostPath: '/h', containerPath: '/c', readonly: true }],
        readonlyRootfs: true,
        hostPid: false,
        hostIpc: true,
        user: { uid: 1000, gid: 100, groups: [] },
        cwd: '/app',
        cgroupDirs: ['/sys/fs/cgroup/memory/x'],
      },
    });
    expect(args.join(' ')).to.equal(
      'run --state /s --log /l/0.log --overlay /img/rootfs /s/upper /s/work /s/merged --hostname web --netns /var/run/netns/bosun-x ' +
        '--mount /h /c ro dir --readonly-rootfs --host-ipc --user 1000 100 - --cwd /app --cgroup /sys/fs/cgroup/memory/x ' +
        '--env-file /s/env --stdin-fifo /s/stdin --stdin-once --tty --oom-score-adj 1000 -- sh -c echo hi',
    );
  });

  it('runs without isolation in a host directory, the image\'s bin directories first on PATH', () => {
    expect(monitorRunArgs({ stateDir: '/s', logPath: '/l', envFile: '/e', argv: ['true'], hostCwd: '/img/rootfs/', stdinOnce: false, tty: false })).to.deep.equal([
      'run', '--state', '/s', '--log', '/l', '--no-isolation', '--cwd', '/img/rootfs/', '--env-file', '/e', '--', 'true',
    ]);
    const env = hostPathEnv(['PATH=/bin', 'A=1'], '/r');
    expect(env[0]).to.match(/^PATH=\/r\/usr\/local\/sbin:.*:\/r\/bin:\/bin$/);
    expect(hostPathEnv([], '/r')[0]).to.match(/^PATH=\/r\/usr\/local\/sbin:.*:\/usr\/local\/sbin/);
  });

  it('mounts the sandbox\'s resolv.conf, hostname and hosts unless the pod brings its own', () => {
    const mounts = withSandboxFiles('/sb', [{ hostPath: '/pod/hosts', containerPath: '/etc/hosts', readonly: false, isFile: true }]);
    expect(mounts.map((m) => `${m.hostPath}>${m.containerPath}`)).to.deep.equal(['/sb/resolv.conf>/etc/resolv.conf', '/sb/hostname>/etc/hostname', '/pod/hosts>/etc/hosts']);
  });

  it('writes resolv.conf and hosts as Kubernetes pods have them', () => {
    expect(resolvConf({ servers: ['10.43.0.10'], searches: ['default.svc.cluster.local', 'svc.cluster.local'], options: ['ndots:5'] })).to.equal(
      'nameserver 10.43.0.10\nsearch default.svc.cluster.local svc.cluster.local\noptions ndots:5\n',
    );
    expect(hostsFile('web', '10.42.0.5')).to.include('10.42.0.5\tweb\n');
    expect(hostsFile('web', '')).not.to.include('web');
  });
});
