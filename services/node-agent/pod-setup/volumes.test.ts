import { expect } from 'chai';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { RESOURCES } from '../../../lib/api/resources';
import type { Pod } from '../../../lib/api/types';
import { VolumeSetupError } from './pod-setup';
import { FakeApiClient } from '../../../lib/client/testing/fake-api-client';
import { MAX_TOKEN_AGE_MS, PodTokenManager, REFRESH_FRACTION } from './pod-tokens';
import { makePod, makeSetup } from './test-fixtures';

describe('pod setup: volumes', () => {
  let t: ReturnType<typeof makeSetup>;
  beforeEach(() => {
    t = makeSetup();
  });
  afterEach(() => t.cleanup());

  const volDir = (plugin: string, name: string) => path.join(t.root, 'pods', 'uid-1', 'volumes', `kubernetes.io~${plugin}`, name);
  const podWith = (volumes: unknown[]): Pod => makePod({ volumes });
  const setUpFails = async (volumes: unknown[]): Promise<string> => {
    const err = await t.setup.setUpVolumes(podWith(volumes)).then(
      () => expect.fail('expected a VolumeSetupError'),
      (e: unknown) => e as VolumeSetupError,
    );
    expect(err).to.be.instanceOf(VolumeSetupError);
    expect(err.reason).to.equal('FailedMount');
    return err.message;
  };
  const read = (p: string) => fs.readFileSync(p, 'utf8');
  const modeOf = (p: string) => fs.statSync(p).mode & 0o777;

  it('emptyDir: a world-writable directory in the kubelet layout; torn down with the pod', async () => {
    await t.setup.setUpVolumes(podWith([{ name: 'scratch', emptyDir: {} }]));
    expect(modeOf(volDir('empty-dir', 'scratch'))).to.equal(0o777);
    await t.setup.tearDownVolumes('uid-1');
    expect(fs.existsSync(path.join(t.root, 'pods', 'uid-1'))).to.equal(false);
  });

  it('emptyDir medium Memory: a tmpfs of sizeLimit when root (unmounted at teardown), a plain directory otherwise', async () => {
    const root = makeSetup({}, true);
    const mounter = root.mounter;
    try {
      await root.setup.setUpVolumes(podWith([{ name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } }]));
      const dir = path.join(root.root, 'pods', 'uid-1', 'volumes', 'kubernetes.io~empty-dir', 'shm');
      expect([...mounter.mounted]).to.deep.equal([[dir, 64 * 1024 * 1024]]);
      await root.setup.setUpVolumes(podWith([{ name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } }]));
      expect(mounter.mounted.size, 'mounted once').to.equal(1);
      await root.setup.tearDownVolumes('uid-1');
      expect(mounter.mounted.size).to.equal(0);
    } finally {
      root.cleanup();
    }
    await t.setup.setUpVolumes(podWith([{ name: 'shm', emptyDir: { medium: 'Memory' } }]));
    expect(t.mounter.mounted.size, 'not root: no mount').to.equal(0);
    expect(fs.statSync(volDir('empty-dir', 'shm')).isDirectory()).to.equal(true);
    expect(await setUpFails([{ name: 'x', emptyDir: { medium: 'HugePages' } }])).to.contain('MountVolume.SetUp failed for volume "x" : emptyDir medium "HugePages" is not supported');
  });

  it('emptyDir sizeLimit: the agent learns which volumes use more than their limit', async () => {
    const pod = podWith([{ name: 'small', emptyDir: { sizeLimit: '1Ki' } }, { name: 'big', emptyDir: { sizeLimit: '1Mi' } }]);
    await t.setup.setUpVolumes(pod);
    fs.mkdirSync(path.join(volDir('empty-dir', 'small'), 'sub'));
    fs.writeFileSync(path.join(volDir('empty-dir', 'small'), 'sub', 'f'), Buffer.alloc(2048));
    fs.writeFileSync(path.join(volDir('empty-dir', 'big'), 'f'), Buffer.alloc(2048));
    expect(await t.setup.emptyDirsOverLimit(pod)).to.deep.equal([{ volume: 'small', usedBytes: 2048, limitBytes: 1024, message: 'Usage of EmptyDir volume "small" exceeds the limit "1Ki". ' }]);
  });

  describe('hostPath types', () => {
    it('DirectoryOrCreate and FileOrCreate create; Directory/File/Socket check; teardown leaves the data', async () => {
      const host = path.join(t.root, 'host');
      fs.mkdirSync(host);
      fs.writeFileSync(path.join(host, 'file'), 'data');
      await t.setup.setUpVolumes(podWith([
        { name: 'a', hostPath: { path: path.join(host, 'made', 'deep'), type: 'DirectoryOrCreate' } },
        { name: 'b', hostPath: { path: path.join(host, 'new-file'), type: 'FileOrCreate' } },
        { name: 'c', hostPath: { path: host, type: 'Directory' } },
        { name: 'd', hostPath: { path: path.join(host, 'file'), type: 'File' } },
        { name: 'e', hostPath: { path: path.join(host, 'anything') } },
      ]));
      expect(fs.statSync(path.join(host, 'made', 'deep')).isDirectory()).to.equal(true);
      expect(fs.statSync(path.join(host, 'new-file')).isFile()).to.equal(true);
      await t.setup.tearDownVolumes('uid-1');
      expect(read(path.join(host, 'file'))).to.equal('data');
      expect(fs.existsSync(path.join(host, 'made', 'deep'))).to.equal(true);
    });

    it("fails with Kubernetes' type-check messages", async () => {
      const host = path.join(t.root, 'host');
      fs.mkdirSync(host);
      fs.writeFileSync(path.join(host, 'file'), 'data');
      expect(await setUpFails([{ name: 'v', hostPath: { path: path.join(host, 'nope'), type: 'Directory' } }])).to.equal(`MountVolume.SetUp failed for volume "v" : hostPath type check failed: ${path.join(host, 'nope')} is not a directory`);
      expect(await setUpFails([{ name: 'v', hostPath: { path: host, type: 'File' } }])).to.contain(`hostPath type check failed: ${host} is not a file`);
      expect(await setUpFails([{ name: 'v', hostPath: { path: path.join(host, 'file'), type: 'DirectoryOrCreate' } }])).to.contain('is not a directory');
      expect(await setUpFails([{ name: 'v', hostPath: { path: host, type: 'FileOrCreate' } }])).to.contain('is not a file');
      expect(await setUpFails([{ name: 'v', hostPath: { path: path.join(host, 'file'), type: 'Socket' } }])).to.contain('is not a socket file');
      expect(await setUpFails([{ name: 'v', hostPath: { path: host, type: 'Weird' } }])).to.contain('invalid HostPathType: "Weird"');
      expect(await setUpFails([{ name: 'v', hostPath: { path: 'relative' } }])).to.contain('hostPath.path must be an absolute path');
    });

    it('Socket accepts a listening unix socket', async () => {
      const sock = path.join(t.root, 's.sock');
      const server = net.createServer().listen(sock);
      await new Promise((r) => server.once('listening', r));
      try {
        await t.setup.setUpVolumes(podWith([{ name: 'v', hostPath: { path: sock, type: 'Socket' } }]));
      } finally {
        server.close();
      }
    });
  });

  describe('configMap and secret', () => {
    beforeEach(() => {
      t.api.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns' }, data: { a: 'A', b: 'B' }, binaryData: { bin: Buffer.from([0, 1, 2]).toString('base64') } });
      t.api.seed({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'ns' }, data: { token: Buffer.from('t0k').toString('base64') } });
    });

    it('every key as a file (data and binaryData) with defaultMode, through ..data symlinks', async () => {
      await t.setup.setUpVolumes(podWith([{ name: 'conf', configMap: { name: 'c', defaultMode: 0o600 } }, { name: 'sec', secret: { secretName: 's' } }]));
      const dir = volDir('configmap', 'conf');
      expect(read(path.join(dir, 'a'))).to.equal('A');
      expect(fs.readFileSync(path.join(dir, 'bin'))).to.deep.equal(Buffer.from([0, 1, 2]));
      expect(fs.readlinkSync(path.join(dir, 'a'))).to.equal('..data/a');
      expect(fs.readlinkSync(path.join(dir, '..data'))).to.match(/^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\./);
      expect(modeOf(path.join(dir, 'a'))).to.equal(0o600);
      expect(read(path.join(volDir('secret', 'sec'), 'token'))).to.equal('t0k');
      expect(modeOf(path.join(volDir('secret', 'sec'), 'token'))).to.equal(0o644);
    });

    it('items map keys to paths with their own modes', async () => {
      await t.setup.setUpVolumes(podWith([{ name: 'conf', configMap: { name: 'c', items: [{ key: 'a', path: 'dir/first', mode: 0o400 }, { key: 'b', path: 'second' }] } }]));
      const dir = volDir('configmap', 'conf');
      expect(read(path.join(dir, 'dir', 'first'))).to.equal('A');
      expect(modeOf(path.join(dir, 'dir', 'first'))).to.equal(0o400);
      expect(read(path.join(dir, 'second'))).to.equal('B');
      expect(fs.existsSync(path.join(dir, 'a'))).to.equal(false);
    });

    it("missing objects and keys fail with Kubernetes' messages unless optional", async () => {
      expect(await setUpFails([{ name: 'conf', configMap: { name: 'nope' } }])).to.equal('MountVolume.SetUp failed for volume "conf" : configmap "nope" not found');
      expect(await setUpFails([{ name: 'sec', secret: { secretName: 'nope' } }])).to.equal('MountVolume.SetUp failed for volume "sec" : secret "nope" not found');
      expect(await setUpFails([{ name: 'conf', configMap: { name: 'c', items: [{ key: 'zzz', path: 'z' }] } }])).to.equal('MountVolume.SetUp failed for volume "conf" : configmap references non-existent config key: zzz');
      expect(await setUpFails([{ name: 'sec', secret: { secretName: 's', items: [{ key: 'zzz', path: 'z' }] } }])).to.contain('references non-existent secret key: zzz');
      expect(await setUpFails([{ name: 'conf', configMap: { name: 'c', items: [{ key: 'a', path: '../escape' }] } }])).to.contain("invalid path \"../escape\": must not contain '..'");
      await t.setup.setUpVolumes(podWith([{ name: 'conf', configMap: { name: 'nope', optional: true } }, { name: 'part', configMap: { name: 'c', optional: true, items: [{ key: 'zzz', path: 'z' }, { key: 'a', path: 'a' }] } }]));
      expect(fs.readdirSync(volDir('configmap', 'conf')).filter((n) => !n.startsWith('..'))).to.deep.equal([]);
      expect(fs.readdirSync(volDir('configmap', 'part')).filter((n) => !n.startsWith('..'))).to.deep.equal(['a']);
    });

    it('re-syncs on the next setUpVolumes when the object changed: new keys appear, removed ones go, unchanged writes nothing', async () => {
      const pod = podWith([{ name: 'conf', configMap: { name: 'c' } }]);
      await t.setup.setUpVolumes(pod);
      const dir = volDir('configmap', 'conf');
      const first = fs.readlinkSync(path.join(dir, '..data'));
      await t.setup.setUpVolumes(pod);
      expect(fs.readlinkSync(path.join(dir, '..data')), 'nothing changed, nothing written').to.equal(first);
      const cm = t.api.peek('ConfigMap', 'ns', 'c')!;
      await t.api.resource(RESOURCES.configmaps).update('ns', { ...cm, data: { a: 'A2', c: 'C' }, binaryData: {} } as never);
      await t.setup.setUpVolumes(pod);
      expect(fs.readlinkSync(path.join(dir, '..data'))).to.not.equal(first);
      expect(read(path.join(dir, 'a'))).to.equal('A2');
      expect(read(path.join(dir, 'c'))).to.equal('C');
      expect(fs.existsSync(path.join(dir, 'b'))).to.equal(false);
    });
  });

  it('downwardAPI: metadata fields and container resources as files; label changes are re-synced', async () => {
    const volumes = [{ name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }, { path: 'name', fieldRef: { fieldPath: 'metadata.name' } }, { path: 'mem', resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' } }] } }];
    const pod = makePod({ volumes }, { resources: { limits: { memory: '32Mi' } } });
    await t.setup.setUpVolumes(pod);
    const dir = volDir('downward-api', 'info');
    expect(read(path.join(dir, 'labels'))).to.equal('app="web"');
    expect(read(path.join(dir, 'name'))).to.equal('web');
    expect(read(path.join(dir, 'mem'))).to.equal('32');
    await t.setup.setUpVolumes({ ...pod, metadata: { ...pod.metadata, labels: { app: 'web', tier: 'front' } } });
    expect(read(path.join(dir, 'labels'))).to.equal('app="web"\ntier="front"');
    expect(await setUpFails([{ name: 'info', downwardAPI: { items: [{ path: 'ip', fieldRef: { fieldPath: 'status.podIP' } }] } }])).to.contain('unsupported fieldPath: status.podIP');
  });

  it('projected: configMap, secret and downwardAPI sources in one directory; a token of a missing ServiceAccount is a clear FailedMount', async () => {
    t.api.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns' }, data: { a: 'A' } });
    t.api.seed({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'ns' }, data: { token: Buffer.from('t0k').toString('base64') } });
    await t.setup.setUpVolumes(podWith([{ name: 'all', projected: { defaultMode: 0o440, sources: [{ configMap: { name: 'c' } }, { secret: { name: 's', items: [{ key: 'token', path: 'creds/token' }] } }, { downwardAPI: { items: [{ path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } }] } }] } }]));
    const dir = volDir('projected', 'all');
    expect([read(path.join(dir, 'a')), read(path.join(dir, 'creds', 'token')), read(path.join(dir, 'ns'))]).to.deep.equal(['A', 't0k', 'ns']);
    expect(modeOf(path.join(dir, 'a'))).to.equal(0o440);
    expect(await setUpFails([{ name: 'tok', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } }])).to.equal('MountVolume.SetUp failed for volume "tok" : failed to fetch token: serviceaccounts "sa" not found');
  });

  describe('projected serviceAccountToken', () => {
    /** Kubernetes' kube-api-access volume, as ServiceAccount admission adds it. */
    const apiAccess = (expirationSeconds = 3607) => ({
      name: 'kube-api-access-x2b4c',
      projected: {
        defaultMode: 0o644,
        sources: [
          { serviceAccountToken: { expirationSeconds, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
        ],
      },
    });
    const seedCa = (api: FakeApiClient) => api.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-root-ca.crt', namespace: 'ns' }, data: { 'ca.crt': 'CA' } });

    it('asks the TokenRequest API for a token bound to the pod, and writes it with the CA and namespace', async () => {
      seedCa(t.api);
      t.api.seed({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa', namespace: 'ns' } });
      await t.setup.setUpVolumes(podWith([apiAccess()]));
      const dir = volDir('projected', 'kube-api-access-x2b4c');
      expect([read(path.join(dir, 'token')), read(path.join(dir, 'ca.crt')), read(path.join(dir, 'namespace'))]).to.deep.equal(['fake-token:ns/sa:1', 'CA', 'ns']);
      expect(t.api.calls).to.include('createToken serviceaccounts/ns/sa');
    });

    it('replaces the token once 80 % of its lifetime has passed (or 24 h), and the pod is synced again by then', async () => {
      let now = Date.parse('2026-01-01T00:00:00Z');
      const asked: string[] = [];
      const tokens = new PodTokenManager(async (pod, sa, spec) => {
        asked.push(`${pod.metadata.name}/${pod.metadata.uid} as ${sa} for ${spec.expirationSeconds}s`);
        return { token: `token-${asked.length}`, expiresAtMs: now + spec.expirationSeconds! * 1000 };
      }, () => now);
      const s = makeSetup({ tokens });
      try {
        seedCa(s.api);
        const pod = podWith([apiAccess()]);
        const file = path.join(s.root, 'pods', 'uid-1', 'volumes', 'kubernetes.io~projected', 'kube-api-access-x2b4c', 'token');
        const start = now;
        await s.setup.setUpVolumes(pod);
        expect(read(file)).to.equal('token-1');
        expect(asked).to.deep.equal(['web/uid-1 as sa for 3607s']);
        const due = Math.round(3607 * 1000 * REFRESH_FRACTION);
        expect(s.setup.volumeRefreshInMs(pod)).to.equal(due);
        now = start + due - 1000;
        await s.setup.setUpVolumes(pod);
        expect(read(file)).to.equal('token-1');
        expect(s.setup.volumeRefreshInMs(pod)).to.equal(1000);
        now = start + due + 1000;
        await s.setup.setUpVolumes(pod);
        expect(read(file)).to.equal('token-2');
        expect(s.setup.volumeRefreshInMs(pod)).to.equal(due);
        // A token good for a week is still replaced after a day.
        const week = podWith([apiAccess(7 * 24 * 3600)]);
        await s.setup.tearDownVolumes('uid-1');
        expect(s.setup.volumeRefreshInMs(week)).to.equal(undefined);
        await s.setup.setUpVolumes(week);
        expect(s.setup.volumeRefreshInMs(week)).to.equal(MAX_TOKEN_AGE_MS);
      } finally {
        s.cleanup();
      }
    });

    it('keeps a still-valid token when its refresh fails, and fails the mount once it has expired', async () => {
      let now = 0;
      let up = true;
      const tokens = new PodTokenManager(async () => {
        if (!up) throw new Error('connection refused');
        return { token: 'only', expiresAtMs: now + 600_000 };
      }, () => now);
      const s = makeSetup({ tokens });
      try {
        const pod = podWith([{ name: 'tok', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 600 } }] } }]);
        await s.setup.setUpVolumes(pod);
        up = false;
        now = 500_000;
        await s.setup.setUpVolumes(pod);
        now = 600_001;
        const err = await s.setup.setUpVolumes(pod).catch((e: Error) => e);
        expect((err as Error).message).to.equal('MountVolume.SetUp failed for volume "tok" : failed to fetch token: connection refused');
      } finally {
        s.cleanup();
      }
    });
  });

  describe('persistentVolumeClaim', () => {
    const claim = (name: string, volumeName?: string) => t.api.seed({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'ns' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...(volumeName ? { volumeName } : {}) } });
    const pv = (name: string, source: Record<string, unknown>) => t.api.seed({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], ...source } });

    it('a claim bound to a hostPath or local PV mounts the PV path (readOnly from the claim source); teardown keeps the data', async () => {
      const data = path.join(t.root, 'pv-data');
      fs.mkdirSync(data);
      fs.writeFileSync(path.join(data, 'keep'), 'me');
      pv('pv-host', { hostPath: { path: data } });
      pv('pv-local', { local: { path: data } });
      claim('host-claim', 'pv-host');
      claim('local-claim', 'pv-local');
      const pod = makePod({ volumes: [{ name: 'h', persistentVolumeClaim: { claimName: 'host-claim' } }, { name: 'l', persistentVolumeClaim: { claimName: 'local-claim', readOnly: true } }] }, { volumeMounts: [{ name: 'h', mountPath: '/data' }, { name: 'l', mountPath: '/ro' }] });
      await t.setup.setUpVolumes(pod);
      const cfg = await t.setup.containerConfig(pod, pod.spec!.containers![0]!, { podIP: '', podIPs: [], hostIP: '', attempt: 0 });
      expect(cfg.mounts.slice(0, 2)).to.deep.equal([
        { containerPath: '/data', hostPath: data, readonly: false },
        { containerPath: '/ro', hostPath: data, readonly: true },
      ]);
      await t.setup.tearDownVolumes('uid-1');
      expect(read(path.join(data, 'keep'))).to.equal('me');
    });

    it("an unbound or missing claim is a FailedMount with Kubernetes' message", async () => {
      claim('pending');
      expect(await setUpFails([{ name: 'v', persistentVolumeClaim: { claimName: 'pending' } }])).to.equal('MountVolume.SetUp failed for volume "v" : PVC ns/pending has non-bound phase ("") or empty pvc.Spec.VolumeName ("")');
      expect(await setUpFails([{ name: 'v', persistentVolumeClaim: { claimName: 'ghost' } }])).to.contain('persistentvolumeclaim "ghost" not found');
      claim('dangling', 'no-such-pv');
      expect(await setUpFails([{ name: 'v', persistentVolumeClaim: { claimName: 'dangling' } }])).to.contain('persistentvolume "no-such-pv" not found');
      pv('pv-nfs', { nfs: { server: 'x', path: '/' } });
      claim('nfs', 'pv-nfs');
      expect(await setUpFails([{ name: 'v', persistentVolumeClaim: { claimName: 'nfs' } }])).to.contain('has no hostPath or local source');
    });
  });

  it('an unsupported volume source is a FailedMount naming the volume', async () => {
    expect(await setUpFails([{ name: 'odd', gitRepo: { repository: 'x' } }])).to.match(/^MountVolume\.SetUp failed for volume "odd" : unsupported volume source/);
  });
});
