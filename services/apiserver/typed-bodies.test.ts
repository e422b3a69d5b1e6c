import { expect } from 'chai';
import type { KubeObject } from '../../lib/api/object';
import { listerWatcherFor } from '../../lib/client/api-adapters';
import { GrpcApiClient } from '../../lib/client/grpc-api-client';
import { SharedInformer } from '../../lib/client/informer';
import { createLogger } from '../../lib/logger';
import { NamespaceController } from '../controller-manager/namespace/namespace-controller';
import { warningsOf } from './http/test-clients';
import { configMapStrategy, namespaceStrategy } from './kinds/core';
import { deploymentStrategy } from './kinds/apps';
import { apiError } from './registry/test-support';
import { TwoDoorApiServer } from './test-api-server';

/** True when a text reads like a JavaScript runtime error rather than an API answer. */
const JS_ERROR = /is not a function|Cannot read prop|undefined is not|Maximum call stack|TypeError|ReferenceError|RangeError|SyntaxError: Unexpected/;

/**
 * Issue 10's "what was seen", through one real apiserver (both doors) on a real store: bodies
 * are type-checked against the kind's schema before anything is stored, unknown fields are
 * dropped, and an object that cannot be decoded (written into the store by hand) never breaks
 * lists, watches, informers, namespace deletion or `kubectl delete --all` of its kind.
 */
describe('typed bodies and corrupt stored objects (a real apiserver, both doors)', function () {
  this.timeout(90_000);
  let t: TwoDoorApiServer;
  const cmPath = (ns: string, name = '') => `/api/v1/namespaces/${ns}/configmaps${name ? `/${name}` : ''}`;

  before(async () => {
    t = await TwoDoorApiServer.start('bosun-typed-');
    for (const name of ['typed', 'corrupt']) await t.grpc.resource(namespaceStrategy.info).create(undefined, { metadata: { name } });
  });

  after(async () => {
    await t?.stop();
  });

  /** The ConfigMaps of every namespace over gRPC: must always succeed. */
  async function grpcConfigMapNames(): Promise<string[]> {
    const list = await t.grpc.resource(configMapStrategy.info).list(undefined);
    return list.items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
  }

  describe('wrong JSON types are refused with the field path, nothing is stored', () => {
    const cases: { what: string; body: Record<string, unknown>; field: RegExp }[] = [
      { what: 'a number name', body: { metadata: { name: 12345 } }, field: /metadata\.name: expected a string, got 12345/ },
      { what: 'a list name', body: { metadata: { name: ['a'] } }, field: /metadata\.name: expected a string, got \["a"\]/ },
      { what: 'a boolean name', body: { metadata: { name: true } }, field: /metadata\.name: expected a string, got true/ },
      { what: 'a number generateName', body: { metadata: { generateName: 5 } }, field: /metadata\.generateName: expected a string/ },
      { what: 'an object selfLink', body: { metadata: { name: 'a', selfLink: {} } }, field: /metadata\.selfLink: expected a string/ },
      { what: 'a string immutable', body: { metadata: { name: 'a' }, immutable: 'yes' }, field: /immutable: expected true or false, got "yes"/ },
      { what: 'binaryData not base64', body: { metadata: { name: 'a' }, binaryData: { k: 'not base64!' } }, field: /binaryData\[k\]: expected base64/ },
      { what: 'finalizers as a string', body: { metadata: { name: 'a', finalizers: 'x' } }, field: /metadata\.finalizers: expected a list, got "x"/ },
      { what: 'labels as a list', body: { metadata: { name: 'a', labels: ['x'] } }, field: /metadata\.labels: expected a map/ },
      { what: 'a malformed time', body: { metadata: { name: 'a', creationTimestamp: 'yesterday' } }, field: /metadata\.creationTimestamp: expected an RFC 3339 time/ },
    ];
    for (const c of cases) {
      it(`HTTPS: ${c.what} → 400 naming the field`, async () => {
        const res = await t.request('POST', cmPath('typed'), { body: { apiVersion: 'v1', kind: 'ConfigMap', ...c.body } });
        expect(res.status, res.body).to.equal(400);
        const status = JSON.parse(res.body) as { reason: string; message: string };
        expect(status.reason).to.equal('BadRequest');
        expect(status.message).to.match(/^ConfigMap in version "v1" cannot be handled as a ConfigMap: /);
        expect(status.message).to.match(c.field);
        expect(status.message).not.to.match(JS_ERROR);
      });
    }

    it('HTTPS: a Deployment with replicas past int32 → 400, and past-int64 / fractional numbers too', async () => {
      const deployment = (replicas: unknown) => ({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'big' },
        spec: { replicas, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
      });
      for (const replicas of [2147483648, -2147483649, 1.5, '3']) {
        const res = await t.request('POST', '/apis/apps/v1/namespaces/typed/deployments', { body: deployment(replicas) });
        expect(res.status, `${String(replicas)}: ${res.body}`).to.equal(400);
        expect(res.body).to.match(/spec\.replicas: expected a 32-bit integer/);
      }
    });

    it('HTTPS: a malformed quantity in a pod is refused with Kubernetes\' quantity message', async () => {
      const res = await t.request('POST', '/api/v1/namespaces/typed/pods', {
        body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'q' }, spec: { containers: [{ name: 'c', image: 'i', resources: { limits: { cpu: 'lots' } } }] } },
      });
      expect(res.status, res.body).to.equal(400);
      expect(res.body).to.match(/spec\.containers\[0\]\.resources\.limits\[cpu\]: quantities must match the regular expression/);
    });

    it('patches whose result has a wrong type are refused; the object is unchanged', async () => {
      await t.grpc.resource(configMapStrategy.info).create('typed', { metadata: { name: 'patched' }, data: { a: 'b' } } as KubeObject);
      const merge = await t.request('PATCH', cmPath('typed', 'patched'), { body: { data: { a: 7 } }, headers: { 'Content-Type': 'application/merge-patch+json' } });
      expect(merge.status, merge.body).to.equal(400);
      expect(merge.body).to.match(/data\[a\]: expected a string, got 7/);
      const json = await t.request('PATCH', cmPath('typed', 'patched'), {
        body: [{ op: 'add', path: '/metadata/finalizers', value: 'x' }],
        headers: { 'Content-Type': 'application/json-patch+json' },
      });
      expect(json.status, json.body).to.equal(400);
      expect(json.body).to.match(/metadata\.finalizers: expected a list/);
      const grpcErr = await apiError(t.grpc.resource(configMapStrategy.info).patch('typed', 'patched', 'application/merge-patch+json', '{"immutable":"yes"}'));
      expect([grpcErr.code, grpcErr.message]).to.satisfy(([code, msg]: [number, string]) => code === 400 && /immutable: expected true or false/.test(msg));
      const cm = (await t.grpc.resource(configMapStrategy.info).get('typed', 'patched')) as KubeObject & { data?: Record<string, string> };
      expect(cm.data).to.deep.equal({ a: 'b' });
    });

    it('nothing of the refused bodies was stored: gRPC lists every namespace', async () => {
      expect(await grpcConfigMapNames()).to.deep.equal(['typed/patched']);
    });
  });

  describe('unknown fields', () => {
    const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'extra', color: 'red' }, data: { a: 'b' }, spice: { level: 3 } };

    it('under Warn (the default) are dropped from the stored object, with a Warning per field', async () => {
      const res = await t.request('POST', cmPath('typed'), { body });
      expect(res.status, res.body).to.equal(201);
      expect(warningsOf(res)).to.have.members(['unknown field "metadata.color"', 'unknown field "spice"']);
      const stored = JSON.parse(res.body) as Record<string, unknown> & { metadata: Record<string, unknown> };
      expect(stored).not.to.have.property('spice');
      expect(stored.metadata).not.to.have.property('color');
      const raw = await t.store.get('/registry/configmaps/typed/extra');
      expect(raw.kvs[0]!.value.toString()).not.to.match(/spice|color/);
    });

    it('under Ignore are dropped silently, under Strict refused', async () => {
      const ignored = await t.request('POST', `${cmPath('typed')}?fieldValidation=Ignore`, { body: { ...body, metadata: { name: 'extra2', color: 'red' } } });
      expect(ignored.status, ignored.body).to.equal(201);
      expect(ignored.headers.warning).to.equal(undefined);
      expect(JSON.parse(ignored.body)).not.to.have.property('spice');
      const strict = await t.request('POST', `${cmPath('typed')}?fieldValidation=Strict`, { body: { ...body, metadata: { name: 'extra3' } } });
      expect(strict.status, strict.body).to.equal(400);
      expect((JSON.parse(strict.body) as { message: string }).message).to.match(/strict decoding error: unknown field "spice"/);
    });
  });

  describe('client mistakes on the gRPC door are INVALID_ARGUMENT-like 4xx, never UNAVAILABLE', () => {
    it('a Get with a 5 MB name → 400 naming the name, not 503', async () => {
      const err = await apiError(t.grpc.resource(configMapStrategy.info).get('typed', 'n'.repeat(5 * 1024 * 1024)));
      expect(err.code, err.message).to.equal(400);
      expect(err.message).to.match(/name: Too long: may not be more than 253 characters/);
    });

    it('a refused 70 KB value answers 422 at once (the Status is cut to fit gRPC trailers, not left hanging)', async () => {
      // A call whose answer never arrives ends at its deadline as 504: the answer must be the 422.
      const client = new GrpcApiClient({ endpoints: [t.server.grpcAddress], token: t.token, callTimeoutMs: 5_000 });
      try {
        const err = await apiError(client.resource(configMapStrategy.info).create('typed', { metadata: { name: 'long', labels: { app: 'x'.repeat(70_000) } } }));
        expect(err.code, err.message.slice(0, 200)).to.equal(422);
        expect(err.message).to.match(/metadata\.labels: Invalid value: "x+… \(\d+ more characters\)/);
      } finally {
        client.close();
      }
    });

    it('a 5 MB namespace → 400', async () => {
      const err = await apiError(t.grpc.resource(configMapStrategy.info).list('n'.repeat(5 * 1024 * 1024)));
      expect(err.code, err.message).to.equal(400);
      expect(err.message).to.match(/namespace: Too long/);
    });

    it('a 5 MB field_manager → 400 (Kubernetes allows 128 bytes)', async () => {
      const err = await apiError(t.grpc.resource(configMapStrategy.info).create('typed', { metadata: { name: 'fm' } }, { fieldManager: 'm'.repeat(5 * 1024 * 1024) }));
      expect(err.code, err.message).to.equal(400);
      expect(err.message).to.match(/fieldManager: Too long: may not be more than 128 bytes/);
      const ok = await t.grpc.resource(configMapStrategy.info).create('typed', { metadata: { name: 'fm' }, data: { a: 'b' } } as KubeObject, { fieldManager: 'm'.repeat(128) });
      expect((ok.metadata.managedFields as { manager?: string }[] | undefined)?.[0]?.manager).to.equal('m'.repeat(128));
    });
  });

  describe('an object in the store that cannot be decoded never breaks its kind', () => {
    const badName = '/registry/configmaps/corrupt/by-hand';
    const badJson = '/registry/configmaps/corrupt/garbage';

    before(async () => {
      await t.grpc.resource(configMapStrategy.info).create('corrupt', { metadata: { name: 'fine' }, data: { a: 'b' } } as KubeObject);
      // As `etcdctl put` would write them: a wrong type, and bytes that are not JSON at all.
      await t.store.put(badName, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 12345, namespace: 'corrupt' }, data: { a: 'b' } }));
      await t.store.put(badJson, Buffer.from([0xde, 0xad, 0xbe, 0xef]));
    });

    it('gRPC List of every namespace and of its namespace succeeds, without the corrupt objects', async () => {
      expect(await grpcConfigMapNames()).to.include.members(['corrupt/fine', 'typed/patched']);
      const inNs = await t.grpc.resource(configMapStrategy.info).list('corrupt');
      expect(inNs.items.map((o) => o.metadata.name)).to.deep.equal(['fine']);
      // A paged list reads the store, not the cache: the same.
      const paged = await t.grpc.resource(configMapStrategy.info).list('corrupt', { limit: 1 });
      expect(paged.items.map((o) => o.metadata.name)).to.deep.equal(['fine']);
    });

    it('HTTPS lists carry a Warning naming each skipped key', async () => {
      const res = await t.request('GET', cmPath('corrupt'));
      expect(res.status, res.body).to.equal(200);
      expect((JSON.parse(res.body) as { items: KubeObject[] }).items.map((o) => o.metadata.name)).to.deep.equal(['fine']);
      const warnings = warningsOf(res);
      expect(warnings.some((w) => w.includes(badName) && /metadata\.name: expected a string, got 12345/.test(w)), warnings.join('\n')).to.equal(true);
      expect(warnings.some((w) => w.includes(badJson) && /not JSON/.test(w)), warnings.join('\n')).to.equal(true);
    });

    it('a watch of the kind keeps working and an informer syncs around it', async () => {
      const informer = new SharedInformer(listerWatcherFor(t.grpc.resource(configMapStrategy.info)), {});
      informer.run();
      try {
        await informer.waitForSync();
        expect(informer.lister.list().map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).to.include('corrupt/fine');
        await t.grpc.resource(configMapStrategy.info).create('corrupt', { metadata: { name: 'later' } });
        for (let i = 0; i < 100 && !informer.lister.list().some((o) => o.metadata.name === 'later'); i++) await new Promise((r) => setTimeout(r, 50));
        expect(informer.lister.list().map((o) => o.metadata.name)).to.include('later');
      } finally {
        informer.stop();
      }
    });

    it('Get of the corrupt object explains how to delete it; kubectl get and delete --all work on the rest', async () => {
      const err = await apiError(t.grpc.resource(configMapStrategy.info).get('corrupt', 'by-hand'));
      expect(err.code).to.equal(500);
      expect(err.message).to.match(/corrupt object at \/registry\/configmaps\/corrupt\/by-hand: metadata\.name: expected a string/);
      expect(err.message).to.match(/ignoreStoreReadErrorWithClusterBreakingPotential/);
      const get = await t.kubectl(['get', 'cm', '-A', '-o', 'name']);
      expect(get.code, get.stderr).to.equal(0);
      expect(get.stdout).to.match(/configmap\/fine/);
      const del = await t.kubectl(['delete', 'cm', '--all', '-n', 'corrupt']);
      expect(del.code, del.stderr).to.equal(0);
      expect(del.stdout).to.match(/configmap "fine" deleted/);
      expect(del.stdout).to.match(/configmap "later" deleted/);
    });

    it('the unsafe delete option removes a corrupt object, through either door', async () => {
      const plain = await t.request('DELETE', cmPath('corrupt', 'garbage'));
      expect(plain.status).to.equal(500);
      const http = await t.request('DELETE', cmPath('corrupt', 'garbage'), { body: { apiVersion: 'v1', kind: 'DeleteOptions', ignoreStoreReadErrorWithClusterBreakingPotential: true } });
      expect(http.status, http.body).to.equal(200);
      expect((await t.store.get(badJson)).kvs).to.have.length(0);
      const outcome = await t.grpc.resource(configMapStrategy.info).delete('corrupt', 'by-hand', { ignoreStoreReadErrorWithClusterBreakingPotential: true });
      expect(outcome.deleted).to.equal(true);
      expect((await t.store.get(badName)).kvs).to.have.length(0);
    });

    it('deleting a namespace that holds a corrupt object completes, and leaves nothing of it in the store', async () => {
      const ns = t.grpc.resource(namespaceStrategy.info);
      await ns.create(undefined, { metadata: { name: 'doomed' } });
      await t.grpc.resource(configMapStrategy.info).create('doomed', { metadata: { name: 'ok' } });
      await t.grpc.resource(deploymentStrategy.info).create('doomed', {
        metadata: { name: 'web' },
        spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
      } as KubeObject);
      await t.store.put('/registry/configmaps/doomed/by-hand', JSON.stringify({ metadata: { name: 'by-hand', namespace: 'doomed', finalizers: 'x' } }));
      const controller = new NamespaceController({ client: t.grpc, logger: createLogger('namespace-controller', 'warn'), retryMaxMs: 500 });
      await controller.run();
      try {
        await ns.delete(undefined, 'doomed');
        // The apiserver removes the leftovers right after the namespace itself.
        const leftovers = async () => (await t.store.get('/registry/configmaps/doomed/', { prefix: true })).kvs.map((kv) => kv.key.toString());
        let gone = false;
        for (let i = 0; i < 200 && !gone; i++) {
          gone = (await ns.list(undefined)).items.every((o) => o.metadata.name !== 'doomed') && (await leftovers()).length === 0;
          if (!gone) await new Promise((r) => setTimeout(r, 50));
        }
        expect(gone, 'the namespace is gone').to.equal(true);
        expect(await leftovers()).to.deep.equal([]);
      } finally {
        await controller.stop();
      }
    });
  });
});
