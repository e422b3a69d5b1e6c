import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import type { KubeObject, ResourceInfo } from '../../lib/api/object';
import type { ApiWatchEvent } from '../../lib/api/requests';
import { GrpcApiClient } from '../../lib/client/grpc-api-client';
import type { ClientWatch } from '../../lib/client/api-client';
import { createLogger } from '../../lib/logger';
import { leaseClientFor, listerWatcherFor } from '../../lib/client/api-adapters';
import { SharedInformer } from '../../lib/client/informer';
import { LeaderElector, type Lease } from '../../lib/client/leader-election';
import { leaseStrategy } from './kinds/coordination';
import { ApiServer } from './apiserver';
import { configMapStrategy, namespaceStrategy, podStrategy } from './kinds/core';
import { deploymentStrategy } from './kinds/apps';
import { apiError, BACKENDS, type RunningBackend } from './registry/test-support';

const NAMESPACES = namespaceStrategy.info;
const PODS = podStrategy.info;
const CONFIGMAPS = configMapStrategy.info;
const DEPLOYMENTS = deploymentStrategy.info;


/** The next `n` events of a client watch (fails after `ms`). */
async function events<T extends KubeObject>(w: ClientWatch<T>, n: number, ms = 10_000): Promise<ApiWatchEvent<T>[]> {
  const it = w[Symbol.asyncIterator]();
  const out: ApiWatchEvent<T>[] = [];
  const deadline = Date.now() + ms;
  while (out.length < n) {
    const left = deadline - Date.now();
    const r = await Promise.race([it.next(), new Promise<'timeout'>((res) => setTimeout(() => res('timeout'), Math.max(0, left)))]);
    if (r === 'timeout') throw new Error(`timed out with ${out.length}/${n} events`);
    if (r.done) throw new Error(`watch ended after ${out.length}/${n} events`);
    out.push(r.value);
  }
  return out;
}

function pod(name: string, extra: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] }, ...extra };
}

for (const backend of BACKENDS) {
  describe(`two apiservers over gRPC on ${backend.name}`, function () {
    this.timeout(60_000);
    let store: RunningBackend;
    let a: ApiServer;
    let b: ApiServer;
    let ca: GrpcApiClient;
    let cb: GrpcApiClient;
    const res = (c: GrpcApiClient, info: ResourceInfo) => c.resource(info);

    before(async () => {
      store = await backend.start();
      const logger = createLogger('apiserver', 'warn');
      a = await ApiServer.start({ storeEndpoints: store.endpoints, grpcListen: '127.0.0.1:0' }, logger);
      b = await ApiServer.start({ storeEndpoints: store.endpoints, grpcListen: '127.0.0.1:0' }, logger);
      ca = new GrpcApiClient({ endpoints: [a.grpcAddress] });
      cb = new GrpcApiClient({ endpoints: [b.grpcAddress] });
      await res(ca, NAMESPACES).create(undefined, { metadata: { name: 'team-a' } });
    });

    after(async () => {
      ca?.close();
      cb?.close();
      await a?.stop();
      await b?.stop();
      await store?.stop();
    });

    it('lists every served resource through discovery', async () => {
      const served = await ca.discover();
      const names = served.map((r) => `${r.group}/${r.resource}`);
      expect(names).to.include.members(['/pods', '/namespaces', 'apps/deployments', 'batch/cronjobs', 'rbac.authorization.k8s.io/clusterroles', 'autoscaling/horizontalpodautoscalers']);
      expect(served.find((r) => r.resource === 'deployments')!.subresources).to.include('scale');
      expect(served.find((r) => r.resource === 'pods')!.shortNames).to.deep.equal(['po']);
    });

    it('a write through one apiserver is seen by a watch on the other', async () => {
      const w = res(cb, CONFIGMAPS).watch('team-a', { resourceVersion: '0' });
      try {
        const created = await res(ca, CONFIGMAPS).create('team-a', { metadata: { name: 'settings', labels: { app: 'web' } }, data: { color: 'blue' } });
        expect(created.metadata.uid).to.be.a('string');
        const [added] = await events(w, 1);
        expect(added!.type).to.equal('ADDED');
        expect(added!.object.metadata.name).to.equal('settings');
        expect(added!.object.metadata.resourceVersion).to.equal(created.metadata.resourceVersion);
        expect((added!.object as KubeObject & { data?: unknown }).data).to.deep.equal({ color: 'blue' });
        const got = await res(cb, CONFIGMAPS).get('team-a', 'settings');
        expect(got.kind).to.equal('ConfigMap');
        expect(got.metadata.resourceVersion).to.equal(created.metadata.resourceVersion);
        const listed = await res(cb, CONFIGMAPS).list('team-a', { labelSelector: 'app in (web,api)' });
        expect(listed.items.map((i) => i.metadata.name)).to.deep.equal(['settings']);
        expect((await res(cb, CONFIGMAPS).list('team-a', { labelSelector: 'app!=web' })).items).to.have.length(0);
      } finally {
        w.stop();
      }
    });

    it('answers stale updates, duplicates and missing namespaces with Kubernetes errors', async () => {
      const cms = res(ca, CONFIGMAPS);
      const v1 = await cms.create('team-a', { metadata: { name: 'cas' }, data: { n: '1' } } as KubeObject);
      await cms.update('team-a', { ...v1, data: { n: '2' } } as KubeObject);
      const stale = await apiError(cms.update('team-a', { ...v1, data: { n: '3' } } as KubeObject));
      expect(stale.code).to.equal(409);
      expect(stale.reason).to.equal('Conflict');
      expect(stale.message).to.match(/Operation cannot be fulfilled on configmaps "cas"/);
      const dup = await apiError(cms.create('team-a', { metadata: { name: 'cas' } }));
      expect([dup.code, dup.reason]).to.deep.equal([409, 'AlreadyExists']);
      expect(dup.message).to.equal('configmaps "cas" already exists');
      const noNs = await apiError(cms.create('nope', { metadata: { name: 'x' } }));
      expect([noNs.code, noNs.message]).to.deep.equal([404, 'namespaces "nope" not found']);
      const missing = await apiError(res(cb, CONFIGMAPS).get('team-a', 'absent'));
      expect(missing.message).to.equal('configmaps "absent" not found');
    });

    it('reports every invalid field by its path', async () => {
      const err = await apiError(res(ca, PODS).create('team-a', { metadata: { name: 'Bad_Name' }, spec: { containers: [{ image: 'x' }] } }));
      expect(err.code).to.equal(422);
      expect(err.reason).to.equal('Invalid');
      const fields = (err.details?.causes ?? []).map((c) => c.field);
      expect(fields).to.include('metadata.name');
      expect(fields).to.include('spec.containers[0].name');
    });

    it('binds a pod once and deletes a bound pod gracefully', async () => {
      const pods = res(ca, PODS);
      await pods.create('team-a', pod('web-1'));
      const bound = await pods.bind('team-a', 'web-1', { metadata: { name: 'web-1' }, target: { kind: 'Node', name: 'node-1' } } as KubeObject);
      expect((bound as KubeObject & { spec: { nodeName: string } }).spec.nodeName).to.equal('node-1');
      const again = await apiError(pods.bind('team-a', 'web-1', { metadata: { name: 'web-1' }, target: { kind: 'Node', name: 'node-2' } } as KubeObject));
      expect(again.code).to.equal(409);
      const marked = await res(cb, PODS).delete('team-a', 'web-1');
      expect(marked.deleted).to.equal(false);
      expect(marked.object.metadata.deletionTimestamp).to.be.a('string');
      expect(marked.object.metadata.deletionGracePeriodSeconds).to.equal(30);
      const gone = await res(cb, PODS).delete('team-a', 'web-1', { gracePeriodSeconds: 0 });
      expect(gone.deleted).to.equal(true);
      expect((await apiError(pods.get('team-a', 'web-1'))).code).to.equal(404);
    });

    it('serves the scale subresource of deployments', async () => {
      const deploys = res(ca, DEPLOYMENTS);
      const labels = { app: 'web' };
      await deploys.create('team-a', {
        metadata: { name: 'web' },
        spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'nginx' }] } } },
      });
      const scale = await res(cb, DEPLOYMENTS).getScale('team-a', 'web');
      expect(scale.spec?.replicas).to.equal(2);
      expect(scale.status?.selector).to.equal('app=web');
      const scaled = await res(cb, DEPLOYMENTS).updateScale('team-a', 'web', { metadata: { name: 'web' }, spec: { replicas: 5 } });
      expect(scaled.spec?.replicas).to.equal(5);
      const d = await deploys.get('team-a', 'web');
      expect((d.spec as { replicas: number }).replicas).to.equal(5);
      expect(d.metadata.generation).to.equal(2);
      const bad = await apiError(deploys.updateScale('team-a', 'web', { metadata: { name: 'web' }, spec: { replicas: -1 } }));
      expect(bad.code).to.equal(422);
      expect(bad.message).to.match(/spec\.replicas: Invalid value: -1/);
    });

    it('patches with a JSON merge patch', async () => {
      const cms = res(ca, CONFIGMAPS);
      await cms.create('team-a', { metadata: { name: 'patched', labels: { a: '1' } }, data: { x: '1', y: '2' } } as KubeObject);
      const p = await res(cb, CONFIGMAPS).patch('team-a', 'patched', 'application/merge-patch+json', JSON.stringify({ metadata: { labels: { a: null, b: '2' } }, data: { y: null } }));
      expect(p.metadata.labels).to.deep.equal({ b: '2' });
      expect((p as KubeObject & { data: unknown }).data).to.deep.equal({ x: '1' });
    });

    it('refuses new objects in a terminating namespace', async () => {
      const ns = res(ca, NAMESPACES);
      await ns.create(undefined, { metadata: { name: 'leaving' } });
      const deleted = await ns.delete(undefined, 'leaving');
      expect(deleted.deleted).to.equal(false);
      expect((deleted.object.status as { phase: string }).phase).to.equal('Terminating');
      // The other replica checks its namespace cache (as Kubernetes' NamespaceLifecycle checks its
      // informer): once its watch has seen the deletion, every create there is refused.
      const deadline = Date.now() + 10_000;
      let err: Awaited<ReturnType<typeof apiError>> | undefined;
      for (let attempt = 0; !err; attempt++) {
        const created = await res(cb, CONFIGMAPS).create('leaving', { metadata: { name: `late-${attempt}` } }).then(() => true, () => false);
        if (!created) err = await apiError(res(cb, CONFIGMAPS).create('leaving', { metadata: { name: 'late' } }));
        else if (Date.now() > deadline) throw new Error('the second apiserver kept admitting creates into a terminating namespace');
        else await new Promise((r) => setTimeout(r, 50));
      }
      expect(err.code).to.equal(403);
      expect(err.message).to.equal('configmaps "late" is forbidden: unable to create new content in namespace leaving because it is being terminated');
    });

    it('feeds a shared informer on one replica from writes through the other', async () => {
      const informer = new SharedInformer(listerWatcherFor(res(cb, CONFIGMAPS), { namespace: 'team-a', labelSelector: 'tier=cache' }));
      const seen: string[] = [];
      informer.addEventHandler({
        onAdd: (o) => seen.push(`add ${o.metadata.name}`),
        onUpdate: (_o, n) => seen.push(`update ${n.metadata.name}`),
        onDelete: (o) => seen.push(`delete ${o.metadata.name}`),
      });
      informer.run();
      try {
        await informer.waitForSync();
        const cms = res(ca, CONFIGMAPS);
        const c = await cms.create('team-a', { metadata: { name: 'redis', labels: { tier: 'cache' } }, data: { a: '1' } } as KubeObject);
        await cms.update('team-a', { ...c, data: { a: '2' } } as KubeObject);
        await cms.create('team-a', { metadata: { name: 'other', labels: { tier: 'web' } } });
        await cms.delete('team-a', 'redis');
        const deadline = Date.now() + 10_000;
        while (seen.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        expect(seen).to.deep.equal(['add redis', 'update redis', 'delete redis']);
      } finally {
        informer.stop();
      }
    });

    it('elects one leader among contenders on two replicas through Lease objects', async () => {
      const electors = [ca, cb].map(
        (c, i) =>
          new LeaderElector({
            client: leaseClientFor(res(c, leaseStrategy.info) as never),
            namespace: 'team-a',
            name: 'controller',
            identity: `contender-${i}`,
            leaseDurationMs: 2_000,
            renewDeadlineMs: 1_500,
            retryPeriodMs: 200,
          }),
      );
      try {
        for (const e of electors) e.start();
        const deadline = Date.now() + 10_000;
        while (!electors.some((e) => e.isLeader()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        expect(electors.filter((e) => e.isLeader())).to.have.length(1);
        const lease = (await res(ca, leaseStrategy.info).get('team-a', 'controller')) as Lease;
        expect(lease.spec?.holderIdentity).to.equal(electors.find((e) => e.isLeader())!.getLeader());
      } finally {
        for (const e of electors) await e.stop();
      }
    });

    it('answers garbage bytes with INVALID_ARGUMENT, not a crash', async () => {
      const client = new grpc.Client(a.grpcAddress, grpc.credentials.createInsecure());
      try {
        const err = await new Promise<grpc.ServiceError>((resolve, reject) =>
          client.makeUnaryRequest(
            '/bosun.api.core.v1.Pods/Create',
            (x: Buffer) => x,
            (x: Buffer) => x,
            Buffer.from([0xff, 0xff, 0xff, 0x01, 0x02]),
            (e) => (e ? resolve(e) : reject(new Error('garbage was accepted'))),
          ),
        );
        expect(err.code).to.equal(grpc.status.INVALID_ARGUMENT);
        expect(err.details).to.match(/not a valid protobuf message/);
      } finally {
        client.close();
      }
      // The server still serves.
      expect((await ca.discover()).length).to.be.greaterThan(20);
    });
  });
}
