/** The pure parts of the docker runtime: create options, status conversion, CRI log lines, podCIDR parsing. No engine. */
import { expect } from 'chai';
import type Dockerode from 'dockerode';
import { RuntimeError } from '../runtime';
import { criLine, formatNanos, timestampNanos } from './cri-log-copier';
import { LABEL_ANNOTATIONS, LABEL_METADATA, LABEL_NODE, LABEL_SANDBOX_ID, userLabels } from './docker-labels';
import { normalizeImageRef } from './docker-images';
import { SANDBOX_COMMAND, containerCreateOptions, sandboxCreateOptions } from './docker-spec';
import { containerStats, containerStatus, exitReason } from './docker-status';
import { containerConfig, sandboxConfig } from './testing/engine-harness';
import { gatewayOf, podNetworkName } from './pod-network';

const MIB = 1024 * 1024;

function refusal(fn: () => unknown): RuntimeError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(RuntimeError);
    return err as RuntimeError;
  }
  throw new Error('expected a RuntimeError');
}

describe('docker runtime: sandbox create options', () => {
  const sb = sandboxConfig('web', '/var/log/pods');

  it('joins the pod network, shares IPC, sets hostname and DNS, and labels everything', () => {
    const o = sandboxCreateOptions(
      { ...sb, dnsConfig: { servers: ['10.43.0.10'], searches: ['default.svc.cluster.local'], options: ['ndots:5'] } },
      { nodeName: 'n1', image: 'busybox:latest', network: { mode: 'network', name: 'bosun-pods-n1' } },
    );
    expect(o.name).to.equal('k8s_POD_web_default_uid-web_0');
    expect(o.Cmd).to.deep.equal(SANDBOX_COMMAND);
    expect(o.Hostname).to.equal('web');
    expect(o.HostConfig).to.include({ NetworkMode: 'bosun-pods-n1', IpcMode: 'shareable' });
    expect(o.HostConfig!.Dns).to.deep.equal(['10.43.0.10']);
    expect(o.HostConfig!.DnsOptions).to.deep.equal(['ndots:5']);
    expect(o.Labels![LABEL_NODE]).to.equal('n1');
    expect(JSON.parse(o.Labels![LABEL_METADATA])).to.deep.equal(sb.metadata);
    expect(o.Labels!['io.kubernetes.pod.name']).to.equal('web');
  });

  it('uses the host network without a hostname, and binds host ports otherwise', () => {
    const host = sandboxCreateOptions({ ...sb, linux: { hostNetwork: true } }, { nodeName: 'n1', image: 'b', network: { mode: 'host' } });
    expect(host.HostConfig!.NetworkMode).to.equal('host');
    expect(host.Hostname).to.equal(undefined);
    const ports = sandboxCreateOptions(
      { ...sb, portMappings: [{ protocol: 'TCP', containerPort: 80, hostPort: 8080, hostIp: '127.0.0.1' }] },
      { nodeName: 'n1', image: 'b', network: { mode: 'network', name: 'x' } },
    );
    expect(ports.HostConfig!.PortBindings).to.deep.equal({ '80/tcp': [{ HostPort: '8080', HostIp: '127.0.0.1' }] });
  });

  it('refuses bad input naming the field', () => {
    const net = { nodeName: 'n1', image: 'b', network: { mode: 'host' as const } };
    expect(refusal(() => sandboxCreateOptions({ ...sb, metadata: { ...sb.metadata, uid: '' } }, net)).message).to.match(/^metadata\.uid/);
    expect(refusal(() => sandboxCreateOptions({ ...sb, logDirectory: 'rel' }, net)).message).to.match(/^logDirectory/);
    const badPort = { ...sb, portMappings: [{ protocol: 'TCP' as const, containerPort: 70000 }] };
    expect(refusal(() => sandboxCreateOptions(badPort, net)).message).to.match(/^portMappings\[0\]\.containerPort/);
  });
});

describe('docker runtime: container create options', () => {
  const sb = sandboxConfig('web', '/var/log/pods');
  const base = containerConfig('app', 'busybox:1.36', []);

  it('keeps the image entrypoint/cmd when command and args are empty; overrides them otherwise', () => {
    const plain = containerCreateOptions('sbx', base, sb, { nodeName: 'n1' });
    expect(plain.Entrypoint).to.equal(undefined);
    expect(plain.Cmd).to.equal(undefined);
    const both = containerCreateOptions('sbx', { ...base, command: ['sh', '-c'], args: ['echo hi'] }, sb, { nodeName: 'n1' });
    expect([both.Entrypoint, both.Cmd]).to.deep.equal([['sh', '-c'], ['echo hi']]);
    const argsOnly = containerCreateOptions('sbx', { ...base, args: ['x'] }, sb, { nodeName: 'n1' });
    expect([argsOnly.Entrypoint, argsOnly.Cmd]).to.deep.equal([undefined, ['x']]);
  });

  it('joins the sandbox and maps env, mounts, user and resources', () => {
    const o = containerCreateOptions(
      'sbx',
      {
        ...base,
        envs: [{ key: 'A', value: 'x=y' }],
        mounts: [
          { containerPath: '/data', hostPath: '/var/lib/pods/v', readonly: true },
          { containerPath: '/etc/hosts', hostPath: '/var/lib/pods/hosts', readonly: false, isFile: true },
        ],
        workingDir: '/work',
        linux: {
          resources: { cpuPeriod: 100_000, cpuQuota: 50_000, cpuShares: 512, memoryLimitInBytes: 64 * MIB, pidsLimit: 100 },
          security: { runAsUser: 1000, runAsGroup: 2000, supplementalGroups: [3000] },
        },
      },
      sb,
      { nodeName: 'n1' },
    );
    expect(o.name).to.equal('k8s_app_web_default_uid-web_0');
    expect(o.Env).to.deep.equal(['A=x=y']);
    expect(o.User).to.equal('1000:2000');
    expect(o.WorkingDir).to.equal('/work');
    expect(o.HostConfig).to.include({ NetworkMode: 'container:sbx', IpcMode: 'container:sbx', CpuPeriod: 100_000, CpuQuota: 50_000, CpuShares: 512, Memory: 64 * MIB, MemorySwap: 64 * MIB, PidsLimit: 100 });
    expect(o.HostConfig!.Binds).to.deep.equal(['/var/lib/pods/v:/data:ro', '/var/lib/pods/hosts:/etc/hosts']);
    expect(o.HostConfig!.GroupAdd).to.deep.equal(['3000']);
    expect(o.HostConfig!.RestartPolicy).to.deep.equal({ Name: 'no' });
    expect(o.HostConfig).to.not.have.property('Ulimits');
    expect(o.Labels![LABEL_SANDBOX_ID]).to.equal('sbx');
    expect(o.Labels!['bosun.docker.log-path']).to.equal('/var/log/pods/default_web_uid-web/app/0.log');
  });

  it('refuses bad input naming the field', () => {
    const cases: Array<[Partial<typeof base>, RegExp]> = [
      [{ image: '' }, /^image/],
      [{ logPath: '../escape.log' }, /^logPath/],
      [{ workingDir: 'rel' }, /^workingDir/],
      [{ envs: [{ key: 'A=B', value: '' }] }, /^envs\[0\]\.key/],
      [{ mounts: [{ containerPath: '/x', hostPath: 'rel', readonly: false }] }, /^mounts\[0\]\.hostPath/],
      [{ linux: { resources: { memoryLimitInBytes: 1024 }, security: {} } }, /^linux\.resources\.memoryLimitInBytes/],
      [{ linux: { resources: { cpuShares: 1 }, security: {} } }, /^linux\.resources\.cpuShares/],
      [{ linux: { resources: { pidsLimit: 0 }, security: {} } }, /^linux\.resources\.pidsLimit/],
    ];
    for (const [patch, field] of cases) {
      const err = refusal(() => containerCreateOptions('sbx', { ...base, ...patch }, sb, { nodeName: 'n1' }));
      expect(err.code).to.equal('InvalidConfig');
      expect(err.message).to.match(field);
    }
  });
});

describe('docker runtime: status conversion', () => {
  function inspect(state: Partial<Dockerode.ContainerInspectInfo['State']>): Dockerode.ContainerInspectInfo {
    return {
      Id: 'c1',
      Name: '/k8s_app',
      Created: '2026-01-01T00:00:00.5Z',
      Image: 'sha256:abc',
      Config: { Image: 'busybox', Labels: { [LABEL_METADATA]: '{"name":"app","attempt":2}', [LABEL_ANNOTATIONS]: '{"a":"b"}', [LABEL_SANDBOX_ID]: 's1', keep: 'me' } },
      State: { Status: 'exited', Running: false, OOMKilled: false, ExitCode: 0, Error: '', StartedAt: '2026-01-01T00:00:01Z', FinishedAt: '2026-01-01T00:00:02Z', Pid: 0, ...state },
      HostConfig: {},
    } as unknown as Dockerode.ContainerInspectInfo;
  }

  it('maps states, exit reasons, times and labels', () => {
    const s = containerStatus(inspect({ ExitCode: 137, OOMKilled: true }));
    expect([s.state, s.exitCode, s.reason, s.podSandboxId]).to.deep.equal(['exited', 137, 'OOMKilled', 's1']);
    expect(s.metadata).to.deep.equal({ name: 'app', attempt: 2 });
    expect(s.labels).to.deep.equal({ keep: 'me' });
    expect(s.annotations).to.deep.equal({ a: 'b' });
    expect(s.createdAt).to.equal(Date.parse('2026-01-01T00:00:00.5Z'));
    expect(exitReason({ OOMKilled: false, ExitCode: 0 })).to.equal('Completed');
    expect(exitReason({ OOMKilled: false, ExitCode: 1 })).to.equal('Error');
    const running = containerStatus(inspect({ Status: 'running', Running: true, FinishedAt: '0001-01-01T00:00:00Z' }));
    expect([running.state, running.finishedAt, running.reason]).to.deep.equal(['running', 0, '']);
    // A process that exits at once can finish "before" the engine recorded its start.
    const fast = containerStatus(inspect({ StartedAt: '2026-01-01T00:00:03Z', FinishedAt: '2026-01-01T00:00:02.998Z' }));
    expect(fast.finishedAt).to.equal(fast.startedAt);
  });

  it('computes the working set as usage minus inactive file pages (cgroup v1 and v2)', () => {
    const v1 = { read: '2026-01-01T00:00:00Z', cpu_stats: { cpu_usage: { total_usage: 42 } }, memory_stats: { usage: 1000, stats: { total_inactive_file: 300 } } };
    expect(containerStats('c', 's', v1 as unknown as Dockerode.ContainerStats, 1)).to.deep.include({ cpuUsageCoreNanoSeconds: 42, memoryWorkingSetBytes: 700 });
    const v2 = { read: '', cpu_stats: { cpu_usage: { total_usage: 1 } }, memory_stats: { usage: 100, stats: { inactive_file: 400 } } };
    expect(containerStats('c', 's', v2 as unknown as Dockerode.ContainerStats, 7)).to.deep.include({ memoryWorkingSetBytes: 0, timestamp: 7 });
  });

  it('hides the runtime\'s own labels', () => {
    expect(userLabels({ [LABEL_NODE]: 'n', 'io.kubernetes.docker.type': 'container', app: 'x' })).to.deep.equal({ app: 'x' });
  });
});

describe('docker runtime: CRI log lines, images, pod network names', () => {
  it('parses engine timestamps to nanoseconds and formats them with nine digits', () => {
    const ns = timestampNanos('2026-12-07T00:25:58.3540878Z')!;
    expect(ns % 1_000_000_000n).to.equal(354087800n);
    expect(formatNanos(ns)).to.equal('2026-12-07T00:25:58.354087800Z');
    expect(timestampNanos('nonsense')).to.equal(null);
  });

  it('writes full and partial lines', () => {
    expect(criLine(0n, 'stdout', 'hi\n')).to.equal('1970-01-01T00:00:00.000000000Z stdout F hi\n');
    expect(criLine(1n, 'stderr', 'cut')).to.equal('1970-01-01T00:00:00.000000001Z stderr P cut\n');
  });

  it('normalizes image references', () => {
    expect(normalizeImageRef('busybox')).to.equal('busybox:latest');
    expect(normalizeImageRef('localhost:5000/x')).to.equal('localhost:5000/x:latest');
    expect(normalizeImageRef('busybox:1.36')).to.equal('busybox:1.36');
    expect(normalizeImageRef('b@sha256:00')).to.equal('b@sha256:00');
  });

  it('derives the gateway from the podCIDR and refuses a bad one', () => {
    expect(gatewayOf('10.42.7.0/24')).to.equal('10.42.7.1');
    expect(podNetworkName('node a')).to.equal('bosun-pods-node-a');
    expect(() => gatewayOf('10.42.7.5/24')).to.throw(/podCIDR.*host bits/);
    expect(() => gatewayOf('10.42.7.0')).to.throw(/podCIDR/);
  });
});
