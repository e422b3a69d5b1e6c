import { expect } from 'chai';
import { ApiError } from '../../api/errors';
import type { KubeObject } from '../../api/object';
import type { ApiWatchEvent } from '../../api/requests';
import { RESOURCES } from '../../api/resources';
import type { ClientWatch } from '../api-client';
import { FakeApiClient, FOREGROUND_FINALIZER, ORPHAN_FINALIZER } from './fake-api-client';

const CM = RESOURCES.configmaps;
const DEPLOY = RESOURCES.deployments;

/** The next `n` events of a watch. */
async function take<T extends KubeObject>(watch: ClientWatch<T>, n: number): Promise<ApiWatchEvent<T>[]> {
  const out: ApiWatchEvent<T>[] = [];
  const it = watch[Symbol.asyncIterator]();
  while (out.length < n) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

/** What a call rejects with. */
async function failure(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    return err as ApiError;
  }
  throw new Error('expected the call to fail');
}

describe('FakeApiClient', () => {
  let api: FakeApiClient;
  beforeEach(() => (api = new FakeApiClient()));

  it('sets uid, creationTimestamp, generation and resourceVersion like the apiserver; generateName names the object; a name taken is 409', async () => {
    const a = await api.resource(CM).create('default', { metadata: { generateName: 'web-' } });
    expect(a.metadata.name).to.match(/^web-[a-z0-9]{5}$/);
    expect(a.metadata).to.include({ namespace: 'default', generation: 1, creationTimestamp: '2024-01-01T00:00:00Z' });
    expect(a.metadata.uid).to.be.a('string');
    const b = await api.resource(CM).create('default', { metadata: { generateName: 'web-' } });
    expect(b.metadata.name).to.not.equal(a.metadata.name);
    expect(Number(b.metadata.resourceVersion)).to.be.greaterThan(Number(a.metadata.resourceVersion));
    expect((await failure(api.resource(CM).create('default', { metadata: { name: a.metadata.name } }))).code).to.equal(409);
  });

  it('gives a recreated name a new uid', async () => {
    const first = await api.resource(CM).create('default', { metadata: { name: 'x' } });
    await api.resource(CM).delete('default', 'x');
    const second = await api.resource(CM).create('default', { metadata: { name: 'x' } });
    expect(second.metadata.uid).to.not.equal(first.metadata.uid);
  });

  it('update is compare-and-swap on resourceVersion (409 Conflict) and refuses another uid; generation moves with spec only', async () => {
    const d = await api.resource(DEPLOY).create('default', { metadata: { name: 'web' }, spec: { replicas: 1 } });
    const labelled = await api.resource(DEPLOY).update('default', { ...d, metadata: { ...d.metadata, labels: { a: 'b' } } });
    expect(labelled.metadata.generation).to.equal(1);
    const stale = await failure(api.resource(DEPLOY).update('default', { ...d, spec: { replicas: 3 } }));
    expect(stale.code).to.equal(409);
    const scaled = await api.resource(DEPLOY).update('default', { ...labelled, spec: { replicas: 3 } });
    expect(scaled.metadata.generation).to.equal(2);
    const otherUid = await failure(api.resource(DEPLOY).update('default', { ...scaled, metadata: { ...scaled.metadata, uid: 'someone-else', resourceVersion: undefined } }));
    expect(otherUid.code).to.equal(409);
    expect(otherUid.message).to.contain('Precondition failed: UID in precondition');
  });

  it('keeps status on a plain update and everything but status on a status update (status subresource)', async () => {
    const d = await api.resource(DEPLOY).create('default', { metadata: { name: 'web' }, spec: { replicas: 1 } });
    const withStatus = await api.resource(DEPLOY).updateStatus('default', { ...d, spec: { replicas: 9 }, status: { replicas: 1 } });
    expect(withStatus.spec).to.deep.equal({ replicas: 1 });
    expect(withStatus.status).to.deep.equal({ replicas: 1 });
    const plain = await api.resource(DEPLOY).update('default', { ...withStatus, status: { replicas: 7 } });
    expect(plain.status).to.deep.equal({ replicas: 1 });
    const scale = await api.resource(DEPLOY).updateScale('default', 'web', { metadata: { name: 'web' }, spec: { replicas: 4 } });
    expect(scale.spec?.replicas).to.equal(4);
  });

  it('patches with merge, JSON and strategic merge patches; a patch naming another uid is refused', async () => {
    await api.resource(CM).create('default', { metadata: { name: 'c', labels: { a: '1' } } });
    await api.resource(CM).patch('default', 'c', 'application/merge-patch+json', JSON.stringify({ metadata: { labels: { b: '2' } } }));
    await api.resource(CM).patch('default', 'c', 'application/json-patch+json', JSON.stringify([{ op: 'add', path: '/data', value: { k: 'v' } }]));
    const c = await api.resource(CM).patch('default', 'c', 'application/strategic-merge-patch+json', JSON.stringify({ data: { k2: 'v2' } }));
    expect(c.metadata.labels).to.deep.equal({ a: '1', b: '2' });
    expect(c['data']).to.deep.equal({ k: 'v', k2: 'v2' });
    const err = await failure(api.resource(CM).patch('default', 'c', 'application/merge-patch+json', JSON.stringify({ metadata: { uid: 'other' } })));
    expect(err.code).to.equal(409);
  });

  it('delete with finalizers only sets deletionTimestamp; removing the last finalizer deletes', async () => {
    await api.resource(CM).create('default', { metadata: { name: 'held', finalizers: ['example.com/a', 'example.com/b'] } });
    const outcome = await api.resource(CM).delete('default', 'held');
    expect(outcome.deleted).to.equal(false);
    expect(outcome.object.metadata.deletionTimestamp).to.equal('2024-01-01T00:00:00Z');
    const again = await api.resource(CM).delete('default', 'held');
    expect(again.object.metadata.resourceVersion).to.equal(outcome.object.metadata.resourceVersion); // nothing changed
    const one = await api.resource(CM).patch('default', 'held', 'application/merge-patch+json', JSON.stringify({ metadata: { finalizers: ['example.com/b'] } }));
    expect(one.metadata.deletionTimestamp).to.equal('2024-01-01T00:00:00Z');
    await api.resource(CM).patch('default', 'held', 'application/merge-patch+json', JSON.stringify({ metadata: { finalizers: null } }));
    expect(api.peek('ConfigMap', 'default', 'held')).to.equal(undefined);
  });

  it('Foreground and Orphan propagation add their finalizers; preconditions are checked', async () => {
    await api.resource(DEPLOY).create('default', { metadata: { name: 'fg' } });
    await api.resource(DEPLOY).create('default', { metadata: { name: 'or' } });
    const fg = await api.resource(DEPLOY).delete('default', 'fg', { propagationPolicy: 'Foreground' });
    const or = await api.resource(DEPLOY).delete('default', 'or', { orphanDependents: true });
    expect(fg.object.metadata.finalizers).to.deep.equal([FOREGROUND_FINALIZER]);
    expect(or.object.metadata.finalizers).to.deep.equal([ORPHAN_FINALIZER]);
    await api.resource(CM).create('default', { metadata: { name: 'p' } });
    expect((await failure(api.resource(CM).delete('default', 'p', { preconditions: { uid: 'nope' } }))).code).to.equal(409);
  });

  it('a namespace with spec finalizers is Terminating until finalize removes them', async () => {
    const ns = RESOURCES.namespaces;
    await api.resource(ns).create(undefined, { metadata: { name: 'team' }, spec: { finalizers: ['kubernetes'] } });
    const outcome = await api.resource(ns).delete(undefined, 'team');
    expect(outcome.deleted).to.equal(false);
    expect(outcome.object.status?.['phase']).to.equal('Terminating');
    const current = await api.resource(ns).get(undefined, 'team');
    await api.resource(ns).finalize('team', { ...current, spec: { finalizers: [] } });
    expect(api.peek('Namespace', undefined, 'team')).to.equal(undefined);
  });

  it('deleteCollection deletes (or marks) what the selectors match and returns it', async () => {
    await api.resource(CM).create('default', { metadata: { name: 'a', labels: { app: 'x' } } });
    await api.resource(CM).create('default', { metadata: { name: 'b', labels: { app: 'x' }, finalizers: ['f'] } });
    await api.resource(CM).create('default', { metadata: { name: 'c', labels: { app: 'y' } } });
    const gone = await api.resource(CM).deleteCollection('default', { labelSelector: 'app=x' });
    expect(gone.items.map((o) => o.metadata.name)).to.deep.equal(['a', 'b']);
    expect((await api.resource(CM).list('default')).items.map((o) => [o.metadata.name, !!o.metadata.deletionTimestamp])).to.deep.equal([
      ['b', true],
      ['c', false],
    ]);
  });

  it('a watch from a resourceVersion replays the later events; from "" it starts with ADDED for what exists; a compacted version is 410', async () => {
    const a = await api.resource(CM).create('default', { metadata: { name: 'a' } });
    await api.resource(CM).create('other', { metadata: { name: 'b' } });
    await api.resource(CM).delete('default', 'a');
    const replay = api.resource(CM).watch('default', { resourceVersion: a.metadata.resourceVersion });
    const fromNow = api.resource(CM).watch(undefined, {});
    await api.resource(CM).create('default', { metadata: { name: 'c' } });
    expect((await take(replay, 2)).map((e) => `${e.type} ${e.object.metadata.name}`)).to.deep.equal(['DELETED a', 'ADDED c']);
    expect((await take(fromNow, 2)).map((e) => `${e.type} ${e.object.metadata.name}`)).to.deep.equal(['ADDED b', 'ADDED c']);
    replay.stop();
    fromNow.stop();

    api.store.compact();
    const expired = api.resource(CM).watch('default', { resourceVersion: a.metadata.resourceVersion });
    const err = await failure(take(expired, 1));
    expect(err.code).to.equal(410);
    expect(api.callsOf('watch configmaps')).to.have.length(3);
  });

  it('a watch filters by label and field selectors', async () => {
    const w = api.resource(CM).watch('default', { labelSelector: 'app=x', fieldSelector: 'metadata.name=keep' });
    await api.resource(CM).create('default', { metadata: { name: 'drop', labels: { app: 'x' } } });
    await api.resource(CM).create('default', { metadata: { name: 'keep', labels: { app: 'y' } } });
    await api.resource(CM).create('default', { metadata: { name: 'keep2', labels: { app: 'x' } } });
    await api.resource(CM).create('other', { metadata: { name: 'keep', labels: { app: 'x' } } });
    await api.resource(CM).create('default', { metadata: { name: 'keep', labels: { app: 'x' } } }).catch(() => undefined);
    const cm = await api.resource(CM).patch('default', 'keep', 'application/merge-patch+json', JSON.stringify({ metadata: { labels: { app: 'x' } } }));
    const [ev] = await take(w, 1);
    expect(ev!.type).to.equal('ADDED'); // it moved into the selector
    expect(ev!.object.metadata.resourceVersion).to.equal(cm.metadata.resourceVersion);
    w.stop();
  });
});
