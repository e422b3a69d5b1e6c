import { expect } from 'chai';
import {
  AlreadyExistsError,
  ApiError,
  BadRequestError,
  ConflictError,
  GoneError,
  InvalidError,
  NotFoundError,
  ServiceUnavailableError,
} from '../../../lib/api/errors';
import { StoreClient } from '../../../store/client';
import { CONTINUE_EXPIRED_MESSAGE, GenericStore } from './generic-store';
import { objectKey } from './storage-keys';
import { BACKENDS, labelIs, testMap, testMapStrategy, type RunningBackend, type TestMap } from './test-support';

/** Runs `fn` and returns the error it throws (fails when it does not throw). */
async function thrown(fn: () => Promise<unknown>): Promise<ApiError> {
  try {
    await fn();
  } catch (err) {
    return err as ApiError;
  }
  throw new Error('expected an error');
}

for (const backend of BACKENDS) {
  describe(`GenericStore on ${backend.name}`, function () {
    this.timeout(120_000);
    let running: RunningBackend;
    let client: StoreClient;
    let store: GenericStore<TestMap>;
    const fixedClock = () => new Date('2024-05-01T12:34:56.789Z');

    before(async () => {
      running = await backend.start();
      client = new StoreClient({ endpoints: running.endpoints });
      store = new GenericStore({ client, strategy: testMapStrategy, clock: fixedClock });
    });
    after(async () => {
      client?.close();
      await running?.stop();
    });

    it('creates under /registry/<resource>/<namespace>/<name> with system metadata; resourceVersion is the mod revision, not stored', async () => {
      const created = await store.create(testMap('ns-create', 'web', { spec: { data: { a: '1' } } }), { namespace: 'ns-create' });
      expect(created.metadata.uid).to.match(/^[0-9a-f-]{36}$/);
      expect(created.metadata.creationTimestamp).to.equal('2024-05-01T12:34:56Z');
      expect(created.metadata.generation).to.equal(1);
      expect(created.spec).to.deep.equal({ mode: 'default', data: { a: '1' } });
      expect(created.apiVersion).to.equal('testing.bosun.io/v1');
      const raw = await client.get('/registry/testmaps/ns-create/web');
      expect(raw.kvs).to.have.length(1);
      expect(created.metadata.resourceVersion).to.equal(String(raw.kvs[0]!.modRevision));
      expect(JSON.parse(raw.kvs[0]!.value.toString()).metadata).to.not.have.property('resourceVersion');
      const got = await store.get('ns-create', 'web');
      expect(got).to.deep.equal(created);
    });

    it('takes the namespace from the path and refuses a different one in the object', async () => {
      const c = await store.create({ metadata: { name: 'p' } }, { namespace: 'ns-path' });
      expect(c.metadata.namespace).to.equal('ns-path');
      const err = await thrown(() => store.create(testMap('other', 'q'), { namespace: 'ns-path' }));
      expect(err).to.be.instanceOf(BadRequestError);
      expect(err.message).to.equal('the namespace of the provided object does not match the namespace sent on the request');
    });

    it('generates names from generateName and retries on collision', async () => {
      const seq = [0, 0, 0, 0, 0, 1.5 / 36, 1.5 / 36, 1.5 / 36, 1.5 / 36, 1.5 / 36];
      let i = 0;
      const gen = new GenericStore({ client, strategy: testMapStrategy, random: () => seq[i++ % seq.length]! });
      const first = await gen.create({ metadata: { generateName: 'web-', namespace: 'ns-gen' } });
      expect(first.metadata.name).to.equal('web-aaaaa');
      i = 0; // the next draw collides with web-aaaaa, the retry draws web-bbbbb
      const second = await gen.create({ metadata: { generateName: 'web-', namespace: 'ns-gen' } });
      expect(second.metadata.name).to.equal('web-bbbbb');
      const real = await store.create({ metadata: { generateName: 'x-', namespace: 'ns-gen' } });
      expect(real.metadata.name).to.match(/^x-[a-z0-9]{5}$/);
    });

    it('prepares the object again under a regenerated name (labels derived from the name follow it)', async () => {
      const seq = [0, 0, 0, 0, 0, 2.5 / 36, 2.5 / 36, 2.5 / 36, 2.5 / 36, 2.5 / 36];
      let i = 0;
      const namingStrategy = {
        ...testMapStrategy,
        prepareForCreate(o: Parameters<typeof testMapStrategy.prepareForCreate>[0]) {
          testMapStrategy.prepareForCreate(o);
          o.metadata.labels = { ...o.metadata.labels, 'name-copy': o.metadata.name ?? '' };
        },
      };
      const gen = new GenericStore({ client, strategy: namingStrategy, random: () => seq[i++ % seq.length]! });
      await gen.create({ metadata: { generateName: 'job-', namespace: 'ns-gen2' } });
      i = 0; // collides with job-aaaaa, then draws job-ccccc
      const second = await gen.create({ metadata: { generateName: 'job-', namespace: 'ns-gen2' } });
      expect(second.metadata.name).to.equal('job-ccccc');
      expect(second.metadata.labels).to.deep.equal({ 'name-copy': 'job-ccccc' });
    });

    it('answers AlreadyExists, Invalid with field paths, and NotFound', async () => {
      await store.create(testMap('ns-err', 'dup'));
      const dup = await thrown(() => store.create(testMap('ns-err', 'dup')));
      expect(dup).to.be.instanceOf(AlreadyExistsError);
      expect(dup.message).to.equal('testmaps.testing.bosun.io "dup" already exists');
      const bad = await thrown(() => store.create(testMap('ns-err', 'Bad_Name', { spec: { replicas: -1 } })));
      expect(bad).to.be.instanceOf(InvalidError);
      expect((bad as InvalidError).fieldErrors.map((e) => e.field)).to.deep.equal(['metadata.name', 'spec.replicas']);
      const noName = await thrown(() => store.create({ metadata: { namespace: 'ns-err' } }));
      expect(noName).to.be.instanceOf(InvalidError);
      const missing = await thrown(() => store.get('ns-err', 'nope'));
      expect(missing).to.be.instanceOf(NotFoundError);
      expect(missing.message).to.equal('testmaps.testing.bosun.io "nope" not found');
      expect(await thrown(() => store.update(testMap('ns-err', 'nope')))).to.be.instanceOf(NotFoundError);
      expect(await thrown(() => store.delete('ns-err', 'nope'))).to.be.instanceOf(NotFoundError);
    });

    it('updates with compare-and-swap on resourceVersion, unconditionally without one, and keeps immutable metadata', async () => {
      const v1 = await store.create(testMap('ns-upd', 'u', { spec: { replicas: 1 } }));
      const v2 = await store.update({ ...v1, spec: { ...v1.spec, replicas: 2 } });
      expect(Number(v2.metadata.resourceVersion)).to.be.greaterThan(Number(v1.metadata.resourceVersion));
      const stale = await thrown(() => store.update({ ...v1, spec: { replicas: 3 } }));
      expect(stale).to.be.instanceOf(ConflictError);
      expect(stale.message).to.contain('the object has been modified');
      const v3 = await store.update({ metadata: { name: 'u', namespace: 'ns-upd', creationTimestamp: '1999-01-01T00:00:00Z' }, spec: { replicas: 3 } });
      expect(v3.spec?.replicas).to.equal(3);
      expect(v3.metadata.uid).to.equal(v1.metadata.uid);
      expect(v3.metadata.creationTimestamp).to.equal(v1.metadata.creationTimestamp);
      const uid = await thrown(() => store.update({ ...v3, metadata: { ...v3.metadata, uid: 'other' } }));
      expect(uid).to.be.instanceOf(ConflictError);
      const immutable = await thrown(() => store.update({ ...v3, spec: { ...v3.spec, immutable: 'x' } }));
      expect(immutable).to.be.instanceOf(InvalidError);
      expect(immutable.message).to.contain('spec.immutable');
    });

    it('bumps generation only when the spec changes; a no-op update writes nothing', async () => {
      const v1 = await store.create(testMap('ns-gen2', 'g', { spec: { replicas: 1 } }));
      const labelled = await store.update({ ...v1, metadata: { ...v1.metadata, labels: { a: 'b' } } });
      expect(labelled.metadata.generation).to.equal(1);
      const scaled = await store.update({ ...labelled, spec: { ...labelled.spec, replicas: 5 } });
      expect(scaled.metadata.generation).to.equal(2);
      const before = (await client.get('/registry/testmaps/ns-gen2/g')).kvs[0]!.modRevision;
      // Same content, different key order and no resourceVersion: nothing is written.
      const { spec, metadata, ...rest } = scaled;
      const same = await store.update({ spec: { replicas: 5, mode: 'default' }, ...rest, metadata: { ...metadata, resourceVersion: undefined } });
      expect(same.metadata.resourceVersion).to.equal(scaled.metadata.resourceVersion);
      expect(same.metadata.generation).to.equal(2);
      expect(spec).to.deep.equal({ mode: 'default', replicas: 5 });
      expect((await client.get('/registry/testmaps/ns-gen2/g')).kvs[0]!.modRevision).to.equal(before);
    });

    it('splits spec and status: the status subresource changes only status, the main resource never does', async () => {
      const v1 = await store.create(testMap('ns-status', 's', { spec: { replicas: 1 }, status: { phase: 'ignored' } }));
      expect(v1.status).to.equal(undefined);
      const st = await store.update({ ...v1, spec: { replicas: 99 }, metadata: { ...v1.metadata, labels: { x: 'y' } }, status: { phase: 'Running' } }, { subresource: 'status' });
      expect(st.status).to.deep.equal({ phase: 'Running' });
      expect(st.spec?.replicas).to.equal(1);
      expect(st.metadata.labels).to.equal(undefined);
      expect(st.metadata.generation).to.equal(1);
      const main = await store.update({ ...st, spec: { replicas: 2 }, status: { phase: 'Failed' } });
      expect(main.status).to.deep.equal({ phase: 'Running' });
      expect(main.spec?.replicas).to.equal(2);
      expect(main.metadata.generation).to.equal(2);
    });

    it('guaranteedUpdate retries concurrent read-modify-writes until every one lands', async () => {
      await store.create(testMap('ns-gu', 'counter', { spec: { counter: 0 } }));
      await Promise.all(
        Array.from({ length: 8 }, () =>
          store.guaranteedUpdate('ns-gu', 'counter', (cur) => ({ ...cur, spec: { ...cur.spec, counter: (cur.spec?.counter ?? 0) + 1 } })),
        ),
      );
      const final = await store.get('ns-gu', 'counter');
      expect(final.spec?.counter).to.equal(8);
      expect(final.metadata.generation).to.equal(9);
    });

    it('deletes with preconditions; objects with finalizers wait with deletionTimestamp until the last finalizer goes', async () => {
      const plain = await store.create(testMap('ns-del', 'plain'));
      const badUid = await thrown(() => store.delete('ns-del', 'plain', { preconditions: { uid: 'nope' } }));
      expect(badUid).to.be.instanceOf(ConflictError);
      expect(badUid.message).to.contain('Precondition failed: UID in precondition: nope');
      const badRv = await thrown(() => store.delete('ns-del', 'plain', { preconditions: { resourceVersion: '1' } }));
      expect(badRv).to.be.instanceOf(ConflictError);
      const dry = await store.delete('ns-del', 'plain', { dryRun: true });
      expect(dry.deleted).to.equal(true);
      await store.get('ns-del', 'plain');
      const gone = await store.delete('ns-del', 'plain', { preconditions: { uid: plain.metadata.uid, resourceVersion: plain.metadata.resourceVersion } });
      expect(gone).to.deep.include({ deleted: true });
      expect(gone.object.metadata.uid).to.equal(plain.metadata.uid);
      expect(await thrown(() => store.get('ns-del', 'plain'))).to.be.instanceOf(NotFoundError);

      await store.create(testMap('ns-del', 'fin', { metadata: { finalizers: ['example.com/wait'] } }));
      const pending = await store.delete('ns-del', 'fin', { gracePeriodSeconds: 30 });
      expect(pending.deleted).to.equal(false);
      expect(pending.object.metadata.deletionTimestamp).to.equal('2024-05-01T12:34:56Z');
      expect(pending.object.metadata.deletionGracePeriodSeconds).to.equal(30);
      const still = await store.get('ns-del', 'fin');
      expect(still.metadata.deletionTimestamp).to.equal('2024-05-01T12:34:56Z');
      // An update cannot clear deletionTimestamp; removing the last finalizer deletes.
      await store.update({ ...still, metadata: { ...still.metadata, deletionTimestamp: undefined, labels: { a: 'b' } } });
      expect((await store.get('ns-del', 'fin')).metadata.deletionTimestamp).to.equal('2024-05-01T12:34:56Z');
      await store.guaranteedUpdate('ns-del', 'fin', (cur) => ({ ...cur, metadata: { ...cur.metadata, finalizers: [] } }));
      expect(await thrown(() => store.get('ns-del', 'fin'))).to.be.instanceOf(NotFoundError);

      await store.create(testMap('ns-del', 'fg'));
      const fg = await store.delete('ns-del', 'fg', { propagationPolicy: 'Foreground' });
      expect(fg.deleted).to.equal(false);
      expect(fg.object.metadata.finalizers).to.deep.equal(['foregroundDeletion']);
      await store.create(testMap('ns-del', 'orphan'));
      expect((await store.delete('ns-del', 'orphan', { propagationPolicy: 'Orphan' })).object.metadata.finalizers).to.deep.equal(['orphan']);
    });

    it('validates a deletion against the stored object, after the preconditions held', async () => {
      const made = await store.create(testMap('ns-del', 'guarded', { metadata: { labels: { keep: 'yes' } } }));
      const seen: string[] = [];
      const validateDeletion = async (obj: { metadata: { labels?: Record<string, string>; uid?: string } }) => {
        seen.push(obj.metadata.uid ?? '');
        if (obj.metadata.labels?.keep === 'yes') throw new ConflictError('configmaps', '', 'guarded', 'kept by the validator');
      };
      const stale = await thrown(() => store.delete('ns-del', 'guarded', { preconditions: { uid: 'old-uid' }, validateDeletion }));
      expect(stale.message, 'a failed precondition answers first').to.contain('Precondition failed: UID in precondition: old-uid');
      expect(seen).to.deep.equal([]);
      expect((await thrown(() => store.delete('ns-del', 'guarded', { validateDeletion }))).message).to.contain('kept by the validator');
      expect(seen).to.deep.equal([made.metadata.uid]);
      await store.guaranteedUpdate('ns-del', 'guarded', (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: {} } }));
      expect((await store.delete('ns-del', 'guarded', { validateDeletion })).deleted).to.equal(true);
    });

    it('lists by namespace and across namespaces, filtering by labels and fields on the server', async () => {
      for (const [ns, name, app, mode] of [
        ['ns-l1', 'a', 'web', 'fast'],
        ['ns-l1', 'b', 'db', 'slow'],
        ['ns-l2', 'c', 'web', 'slow'],
      ] as const) {
        await store.create(testMap(ns, name, { metadata: { labels: { app } }, spec: { mode } }));
      }
      const one = await store.list({ namespace: 'ns-l1' });
      expect(one.kind).to.equal('TestMapList');
      expect(one.items.map((i) => i.metadata.name)).to.deep.equal(['a', 'b']);
      expect(Number(one.metadata.resourceVersion)).to.be.greaterThanOrEqual(Math.max(...one.items.map((i) => Number(i.metadata.resourceVersion))));
      const all = await store.list({ labelSelector: labelIs('app', 'web') });
      expect(all.items.map((i) => `${i.metadata.namespace}/${i.metadata.name}`)).to.include.members(['ns-l1/a', 'ns-l2/c']);
      expect(all.items.every((i) => i.metadata.labels?.app === 'web')).to.equal(true);
      const slow = await store.list({ fieldSelector: (f) => f['spec.mode'] === 'slow' && f['metadata.namespace'] === 'ns-l2' });
      expect(slow.items.map((i) => i.metadata.name)).to.deep.equal(['c']);
      const byName = await store.list({ namespace: 'ns-l1', fieldSelector: (f) => f['metadata.name'] === 'b' });
      expect(byName.items.map((i) => i.metadata.name)).to.deep.equal(['b']);
    });

    it('pages with limit/continue at one revision, consistent across concurrent writes; an expired continue is 410', async () => {
      for (let i = 0; i < 10; i++) await store.create(testMap('ns-page', `item-${i}`, { metadata: { labels: { even: String(i % 2 === 0) } } }));
      const page1 = await store.list({ namespace: 'ns-page', limit: 4 });
      expect(page1.items.map((i) => i.metadata.name)).to.deep.equal(['item-0', 'item-1', 'item-2', 'item-3']);
      expect(page1.metadata.continue).to.be.a('string');
      expect(page1.metadata.remainingItemCount).to.equal(6);
      // Concurrent writes between pages: a new item, a deleted one, an updated one.
      await store.create(testMap('ns-page', 'item-45'));
      await store.delete('ns-page', 'item-6');
      const upd = await store.get('ns-page', 'item-7');
      await store.update({ ...upd, metadata: { ...upd.metadata, labels: { changed: 'yes' } } });
      const page2 = await store.list({ namespace: 'ns-page', limit: 4, continue: page1.metadata.continue });
      expect(page2.metadata.resourceVersion).to.equal(page1.metadata.resourceVersion);
      const page3 = await store.list({ namespace: 'ns-page', limit: 4, continue: page2.metadata.continue });
      expect(page3.metadata.continue).to.equal(undefined);
      const names = [...page1.items, ...page2.items, ...page3.items].map((i) => i.metadata.name);
      expect(names).to.deep.equal(Array.from({ length: 10 }, (_, i) => `item-${i}`));
      expect(page2.items.find((i) => i.metadata.name === 'item-7')?.metadata.labels).to.deep.equal({ even: 'false' });

      const evens = await store.list({ namespace: 'ns-page', limit: 2, labelSelector: labelIs('even', 'true') });
      expect(evens.items.map((i) => i.metadata.name)).to.deep.equal(['item-0', 'item-2']);
      const evens2 = await store.list({ namespace: 'ns-page', limit: 2, labelSelector: labelIs('even', 'true'), continue: evens.metadata.continue });
      expect(evens2.items.map((i) => i.metadata.name)).to.deep.equal(['item-4', 'item-8']);

      const bad = await thrown(() => store.list({ namespace: 'ns-page', continue: 'garbage!' }));
      expect(bad).to.be.instanceOf(BadRequestError);
      const otherNs = await thrown(() => store.list({ namespace: 'ns-other', continue: page1.metadata.continue }));
      expect(otherNs).to.be.instanceOf(BadRequestError);

      const latest = await store.create(testMap('ns-page', 'after'));
      await client.compact(Number(latest.metadata.resourceVersion));
      const expired = await thrown(() => store.list({ namespace: 'ns-page', limit: 4, continue: page1.metadata.continue }));
      expect(expired).to.be.instanceOf(GoneError);
      expect(expired.message).to.equal(CONTINUE_EXPIRED_MESSAGE);
    });

    describe('updates starting from a cached copy', () => {
      let counting: StoreClient;
      let reads = 0;
      before(() => {
        counting = new StoreClient({ endpoints: running.endpoints });
        const get = counting.get.bind(counting);
        counting.get = (...args: Parameters<StoreClient['get']>) => {
          reads++;
          return get(...args);
        };
      });
      after(() => counting?.close());

      /** A store whose cached copies are whatever `copies` holds (frozen, like the watch cache's), counting its store reads. */
      function cachedStore(copies: Map<string, TestMap>): { store: GenericStore<TestMap>; reads: () => number } {
        const start = reads;
        const cached = (namespace: string | undefined, name: string) => copies.get(`${namespace}/${name}`);
        return { store: new GenericStore({ client: counting, strategy: testMapStrategy, clock: fixedClock, cached }), reads: () => reads - start };
      }
      const frozen = (obj: TestMap): TestMap => JSON.parse(JSON.stringify(obj), (_k, v: unknown) => (v !== null && typeof v === 'object' ? Object.freeze(v) : v)) as TestMap;

      it('a current copy spares the store read', async () => {
        const v1 = await store.create(testMap('ns-cached', 'fresh', { spec: { data: { a: '1' } } }));
        const { store: s, reads } = cachedStore(new Map([['ns-cached/fresh', frozen(v1)]]));
        const out = await s.guaranteedUpdate('ns-cached', 'fresh', (obj) => ({ ...obj, spec: { ...obj.spec, data: { a: '2' } } }));
        expect(out.spec?.data).to.deep.equal({ a: '2' });
        expect(Number(out.metadata.resourceVersion)).to.be.greaterThan(Number(v1.metadata.resourceVersion));
        expect(reads()).to.equal(0);
      });

      it('a copy behind the store: the write applies to the stored object (compare-and-swap), a resourceVersion precondition holds against the store', async () => {
        const v1 = await store.create(testMap('ns-cached', 'stale', { spec: { data: { a: '1' } } }));
        const v2 = await store.guaranteedUpdate('ns-cached', 'stale', (obj) => ({ ...obj, metadata: { ...obj.metadata, labels: { l: 'x' } } }));
        const { store: s } = cachedStore(new Map([['ns-cached/stale', frozen(v1)]]));
        const out = await s.guaranteedUpdate('ns-cached', 'stale', (obj) => ({ ...obj, spec: { ...obj.spec, data: { a: '2' } } }));
        expect(out.metadata.labels).to.deep.equal({ l: 'x' });
        expect(out.spec?.data).to.deep.equal({ a: '2' });
        const v3 = await s.update({ ...out, spec: { data: { a: '3' } } });
        expect(v3.spec?.data).to.deep.equal({ a: '3' });
        expect(await thrown(() => s.update({ ...v2, spec: { data: { a: '4' } } }))).to.be.instanceOf(ConflictError);
      });

      it('a copy behind the store: a change that is a no-op on the copy, or invalid only against it, is decided on the stored object', async () => {
        const v1 = await store.create(testMap('ns-cached', 'noop', { spec: { data: { a: '1' } } }));
        await store.guaranteedUpdate('ns-cached', 'noop', (obj) => ({ ...obj, spec: { ...obj.spec, data: { a: '2' } } }));
        const { store: s } = cachedStore(new Map([['ns-cached/noop', frozen(v1)]]));
        const back = await s.guaranteedUpdate('ns-cached', 'noop', (obj) => ({ ...obj, spec: { ...obj.spec, data: { a: '1' } } }));
        expect(back.spec?.data).to.deep.equal({ a: '1' });
        expect((await store.get('ns-cached', 'noop')).spec?.data).to.deep.equal({ a: '1' });
        const before = await store.create(testMap('ns-cached', 'immutable', { spec: { immutable: 'x' } }));
        // The store has spec.immutable "y" (written by a client with no cache); the copy still says "x".
        await client.put(objectKey(testMapStrategy.info, 'ns-cached', 'immutable'), JSON.stringify({ ...before, metadata: { ...before.metadata, resourceVersion: undefined }, spec: { ...before.spec, immutable: 'y' } }));
        const { store: s2 } = cachedStore(new Map([['ns-cached/immutable', frozen(before)]]));
        const kept = await s2.guaranteedUpdate('ns-cached', 'immutable', (obj) => ({ ...obj, metadata: { ...obj.metadata, labels: { ok: 'yes' } }, spec: { ...obj.spec, immutable: 'y' } }));
        expect(kept.spec?.immutable).to.equal('y');
      });
    });

    it('turns an unreachable store into ServiceUnavailable, never a raw store error', async () => {
      const dead = new StoreClient({ endpoints: ['127.0.0.1:1'], dialTimeoutMs: 100, requestTimeoutMs: 400 });
      try {
        const s = new GenericStore({ client: dead, strategy: testMapStrategy });
        expect(await thrown(() => s.get('ns', 'x'))).to.be.instanceOf(ServiceUnavailableError);
        expect(await thrown(() => s.create(testMap('ns', 'x')))).to.be.instanceOf(ServiceUnavailableError);
      } finally {
        dead.close();
      }
    });
  });
}

describe('storage keys', () => {
  it('lays out namespaced and cluster-scoped keys like Kubernetes', () => {
    expect(objectKey({ resource: 'deployments', namespaced: true }, 'default', 'web')).to.equal('/registry/deployments/default/web');
    expect(objectKey({ resource: 'namespaces', namespaced: false }, undefined, 'default')).to.equal('/registry/namespaces/default');
  });
});
