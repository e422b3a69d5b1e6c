import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ANNOTATION_CONTAINER_HASH, ANNOTATION_RESTART_COUNT, LABEL_CONTAINER_NAME, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID } from '../runtime/runtime';
import { hashContainer } from './container-hash';
import { milliCpuToQuota, milliCpuToShares } from './container-resources';
import { ContainerConfigError } from './pod-setup';
import { FACTS, makePod, makeSetup } from './test-fixtures';

describe('pod setup: sandbox config', () => {
  let t: ReturnType<typeof makeSetup>;
  beforeEach(() => {
    t = makeSetup();
  });
  afterEach(() => t.cleanup());

  it('names the sandbox, its hostname, log directory, labels and ports', () => {
    const pod = makePod({}, { ports: [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP', hostPort: 5353, hostIP: '127.0.0.1' }] });
    const cfg = t.setup.sandboxConfig(pod, 2);
    expect(cfg.metadata).to.deep.equal({ name: 'web', namespace: 'ns', uid: 'uid-1', attempt: 2 });
    expect(cfg.hostname).to.equal('web');
    expect(cfg.logDirectory).to.equal(path.join(t.root, 'logs', 'pods', 'ns_web_uid-1'));
    expect(cfg.labels).to.deep.equal({ app: 'web', [LABEL_POD_NAME]: 'web', [LABEL_POD_NAMESPACE]: 'ns', [LABEL_POD_UID]: 'uid-1' });
    expect(cfg.annotations).to.deep.equal({ note: 'hi' });
    expect(cfg.portMappings).to.deep.equal([
      { protocol: 'TCP', containerPort: 80 },
      { protocol: 'UDP', containerPort: 53, hostPort: 5353, hostIp: '127.0.0.1' },
    ]);
    expect(cfg.linux.hostNetwork).to.equal(false);
  });

  it('hostname from spec.hostname (cut to 63 characters); the host network keeps the node hostname', () => {
    expect(t.setup.sandboxConfig(makePod({ hostname: 'db-0', subdomain: 'db' }), 0).hostname).to.equal('db-0');
    expect(t.setup.sandboxConfig(makePod({ hostname: `${'a'.repeat(62)}-b` }), 0).hostname).to.equal('a'.repeat(62));
    const host = t.setup.sandboxConfig(makePod({ hostNetwork: true }), 0);
    expect(host.hostname).to.equal(os.hostname());
    expect(host.linux.hostNetwork).to.equal(true);
  });

  it('host PID/IPC namespaces and sysctls from the pod spec', () => {
    const cfg = t.setup.sandboxConfig(makePod({ hostPID: true, hostIPC: true, securityContext: { sysctls: [{ name: 'net.ipv4.ip_local_port_range', value: '1024 65000' }] } }), 0);
    expect(cfg.linux).to.deep.equal({ hostNetwork: false, hostPid: true, hostIpc: true, sysctls: { 'net.ipv4.ip_local_port_range': '1024 65000' } });
  });

  describe('DNS by dnsPolicy', () => {
    const dns = (spec: Record<string, unknown>) => t.setup.sandboxConfig(makePod(spec), 0).dnsConfig;

    it('ClusterFirst: the cluster DNS server, the cluster searches then the node\'s, ndots:5', () => {
      expect(dns({})).to.deep.equal({ servers: ['10.43.0.10'], searches: ['ns.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example'], options: ['ndots:5'] });
    });

    it('ClusterFirst on the host network falls back to Default; ClusterFirstWithHostNet keeps the cluster DNS', () => {
      expect(dns({ hostNetwork: true })).to.deep.equal({ servers: ['192.0.2.53'], searches: ['corp.example'], options: ['timeout:2'] });
      expect(dns({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' })?.servers).to.deep.equal(['10.43.0.10']);
    });

    it('Default is the node\'s resolv.conf; None is only dnsConfig', () => {
      expect(dns({ dnsPolicy: 'Default' })).to.deep.equal({ servers: ['192.0.2.53'], searches: ['corp.example'], options: ['timeout:2'] });
      expect(dns({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'], searches: ['a.example'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] } })).to.deep.equal({
        servers: ['1.1.1.1'],
        searches: ['a.example'],
        options: ['ndots:2', 'edns0'],
      });
    });

    it('merges dnsConfig: servers and searches appended without duplicates, options replaced by name', () => {
      expect(dns({ dnsConfig: { nameservers: ['10.43.0.10', '192.0.2.1'], searches: ['svc.cluster.local', 'x.example'], options: [{ name: 'ndots', value: '1' }, { name: 'single-request' }] } })).to.deep.equal({
        servers: ['10.43.0.10', '192.0.2.1'],
        searches: ['ns.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example', 'x.example'],
        options: ['ndots:1', 'single-request'],
      });
    });

    it('refuses a dnsConfig over the limits, None without nameservers and unknown policies, naming the field', () => {
      const err = (spec: Record<string, unknown>) => {
        try {
          t.setup.sandboxConfig(makePod(spec), 0);
        } catch (e) {
          expect(e).to.be.instanceOf(ContainerConfigError);
          return (e as Error).message;
        }
        return expect.fail('expected a ContainerConfigError');
      };
      expect(err({ dnsConfig: { nameservers: ['1.1.1.1', '1.1.1.2', '1.1.1.3', '1.1.1.4'] } })).to.equal('spec.dnsConfig.nameservers: Invalid value: must not have more than 3 nameservers');
      expect(err({ dnsConfig: { searches: Array.from({ length: 33 }, (_x, i) => `s${i}.example`) } })).to.equal('spec.dnsConfig.searches: Invalid value: must not have more than 32 search paths');
      expect(err({ dnsConfig: { searches: [`${'a'.repeat(1500)}.example`, `${'b'.repeat(600)}.example`] } })).to.contain('must not have more than 2048 characters');
      expect(err({ dnsPolicy: 'None' })).to.contain('spec.dnsConfig.nameservers: Required value');
      expect(err({ dnsPolicy: 'Bogus' })).to.contain('spec.dnsPolicy: Unsupported value: "Bogus"');
    });

    it('trims a merged result to 3 nameservers, as the kubelet does', () => {
      expect(dns({ dnsConfig: { nameservers: ['1.1.1.1', '1.1.1.2', '1.1.1.3'] } })?.servers).to.deep.equal(['10.43.0.10', '1.1.1.1', '1.1.1.2']);
    });
  });
});

describe('pod setup: container config', () => {
  let t: ReturnType<typeof makeSetup>;
  beforeEach(() => {
    t = makeSetup();
  });
  afterEach(() => t.cleanup());

  const configOf = async (container: Record<string, unknown>, spec: Record<string, unknown> = {}, facts = FACTS) => {
    const pod = makePod({ enableServiceLinks: false, ...spec }, container);
    await t.setup.setUpVolumes(pod);
    return t.setup.containerConfig(pod, pod.spec!.containers![0]!, facts);
  };

  it('labels, annotations (spec hash, restart count), log path, stdio flags and image', async () => {
    const cfg = await configOf({ stdin: true, stdinOnce: true, tty: true, workingDir: '/work' }, {}, { ...FACTS, attempt: 3 });
    expect(cfg.metadata).to.deep.equal({ name: 'app', attempt: 3 });
    expect(cfg.image).to.equal('busybox:1.36');
    expect(cfg.labels).to.deep.equal({ [LABEL_POD_NAME]: 'web', [LABEL_POD_NAMESPACE]: 'ns', [LABEL_POD_UID]: 'uid-1', [LABEL_CONTAINER_NAME]: 'app' });
    expect(cfg.annotations[ANNOTATION_RESTART_COUNT]).to.equal('3');
    expect(cfg.annotations[ANNOTATION_CONTAINER_HASH]).to.equal(hashContainer(makePod({}, { stdin: true, stdinOnce: true, tty: true, workingDir: '/work' }).spec!.containers![0]!));
    expect(cfg.logPath).to.equal('app/3.log');
    expect([cfg.stdin, cfg.stdinOnce, cfg.tty, cfg.workingDir]).to.deep.equal([true, true, true, '/work']);
  });

  it('the container hash ignores key order and changes with the spec', () => {
    expect(hashContainer({ name: 'a', image: 'x' })).to.equal(hashContainer({ image: 'x', name: 'a' }));
    expect(hashContainer({ name: 'a', image: 'x' })).to.not.equal(hashContainer({ name: 'a', image: 'y' }));
    expect(hashContainer({ name: 'a', image: 'x' })).to.match(/^[0-9a-f]{1,8}$/);
  });

  it("resources: the kubelet's shares, a 100 ms CFS period and quota, the memory limit", async () => {
    expect([milliCpuToShares(0), milliCpuToShares(1), milliCpuToShares(250), milliCpuToShares(1000), milliCpuToShares(10_000_000)]).to.deep.equal([2, 2, 256, 1024, 262144]);
    expect([milliCpuToQuota(0, 100_000), milliCpuToQuota(5, 100_000), milliCpuToQuota(500, 100_000)]).to.deep.equal([0, 1000, 50_000]);
    const cfg = await configOf({ resources: { requests: { cpu: '250m' }, limits: { cpu: '1500m', memory: '256Mi' } } });
    expect(cfg.linux.resources).to.deep.equal({ cpuShares: 256, cpuPeriod: 100_000, cpuQuota: 150_000, memoryLimitInBytes: 256 * 1024 * 1024 });
    expect((await configOf({ resources: { limits: { cpu: '2' } } })).linux.resources.cpuShares, 'no request: the limit').to.equal(2048);
    expect((await configOf({})).linux.resources).to.deep.equal({ cpuShares: 2 });
    const bad = await configOf({ resources: { limits: { cpu: 'lots' } } }).catch((e: unknown) => e as Error);
    expect(bad).to.be.instanceOf(ContainerConfigError);
    expect((bad as Error).message).to.equal('invalid quantity "lots" for resources.limits.cpu');
  });

  it('security context: the container over the pod', async () => {
    const cfg = await configOf(
      { securityContext: { runAsUser: 1000, privileged: true, readOnlyRootFilesystem: true, capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] } } },
      { securityContext: { runAsUser: 5, runAsGroup: 6, supplementalGroups: [7], fsGroup: 8 } },
    );
    expect(cfg.linux.security).to.deep.equal({ runAsUser: 1000, runAsGroup: 6, supplementalGroups: [7, 8], privileged: true, readonlyRootfs: true, capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] } });
  });

  it('writes /etc/hosts (pod IP, hostname, FQDN under a subdomain, hostAliases) and mounts it as a file', async () => {
    const cfg = await configOf({}, { hostname: 'db-0', subdomain: 'db', hostAliases: [{ ip: '192.0.2.7', hostnames: ['foo.local', 'bar.local'] }] });
    const hosts = cfg.mounts.find((m) => m.containerPath === '/etc/hosts')!;
    expect(hosts).to.include({ isFile: true, readonly: false });
    const text = fs.readFileSync(hosts.hostPath, 'utf8');
    expect(text).to.contain('# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n');
    expect(text).to.contain('10.42.200.5\tdb-0.db.ns.svc.cluster.local\tdb-0\n');
    expect(text).to.contain('# Entries added by HostAliases.\n192.0.2.7\tfoo.local\tbar.local\n');
    const plain = await configOf({});
    expect(fs.readFileSync(plain.mounts.find((m) => m.containerPath === '/etc/hosts')!.hostPath, 'utf8')).to.contain('10.42.200.5\tweb\n');
    expect((await configOf({}, { hostNetwork: true })).mounts.some((m) => m.containerPath === '/etc/hosts'), 'not on the host network').to.equal(false);
  });

  it('mounts a writable termination-message file at /dev/termination-log or the path given', async () => {
    const cfg = await configOf({});
    const term = cfg.mounts.find((m) => m.containerPath === '/dev/termination-log')!;
    expect(term).to.include({ isFile: true, readonly: false });
    expect(fs.statSync(term.hostPath).mode & 0o777).to.equal(0o666);
    expect((await configOf({ terminationMessagePath: '/tmp/done' })).mounts.some((m) => m.containerPath === '/tmp/done')).to.equal(true);
  });

  it('volume mounts: the host path, subPath, readOnly (configMap always), unknown volumes refused', async () => {
    t.api.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns' }, data: { 'app.conf': 'x=1' } });
    const spec = { volumes: [{ name: 'scratch', emptyDir: {} }, { name: 'conf', configMap: { name: 'c' } }] };
    const cfg = await configOf({ volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }, { name: 'scratch', mountPath: '/sub', subPath: 'a/b' }, { name: 'conf', mountPath: '/etc/app' }, { name: 'conf', mountPath: '/etc/app.conf', subPath: 'app.conf' }, { name: 'scratch', mountPath: '/ro', readOnly: true }] }, spec);
    const byPath = Object.fromEntries(cfg.mounts.map((m) => [m.containerPath, m]));
    const scratch = path.join(t.root, 'pods', 'uid-1', 'volumes', 'kubernetes.io~empty-dir', 'scratch');
    expect(byPath['/scratch']).to.deep.equal({ containerPath: '/scratch', hostPath: scratch, readonly: false });
    expect(byPath['/sub']!.hostPath).to.equal(path.join(scratch, 'a', 'b'));
    expect(fs.statSync(path.join(scratch, 'a', 'b')).isDirectory(), 'a missing subPath is made').to.equal(true);
    expect(byPath['/etc/app']).to.include({ hostPath: path.join(t.root, 'pods', 'uid-1', 'volumes', 'kubernetes.io~configmap', 'conf'), readonly: true });
    expect(byPath['/etc/app.conf']).to.include({ readonly: true, isFile: true });
    expect(fs.readFileSync(byPath['/etc/app.conf']!.hostPath, 'utf8')).to.equal('x=1');
    expect(byPath['/ro']!.readonly).to.equal(true);

    const pod = makePod({ enableServiceLinks: false }, { volumeMounts: [{ name: 'ghost', mountPath: '/g' }] });
    const err = await t.setup.containerConfig(pod, pod.spec!.containers![0]!, FACTS).catch((e: unknown) => e as Error);
    expect(err).to.be.instanceOf(ContainerConfigError);
    expect((err as Error).message).to.equal('cannot find volume "ghost" to mount into container "app"');
    const escape = makePod({ enableServiceLinks: false, volumes: [{ name: 'scratch', emptyDir: {} }] }, { volumeMounts: [{ name: 'scratch', mountPath: '/x', subPath: '../../etc' }] });
    const escErr = await t.setup.containerConfig(escape, escape.spec!.containers![0]!, FACTS).catch((e: unknown) => e as Error);
    expect((escErr as Error).message).to.contain("subPath: Invalid value: \"../../etc\": must be a relative path not containing '..'");
  });
});
