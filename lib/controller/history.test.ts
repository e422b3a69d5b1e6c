import { expect } from 'chai';
import { RESOURCES } from '../api/resources';
import type { StatefulSet } from '../api/types/apps';
import { FakeApiClient } from '../client/testing/fake-api-client';
import {
  ControllerHistory, findEqualRevisions, hashRevisionData, newControllerRevision, nextRevision, REVISION_HASH_LABEL, revisionName, revisionsToTruncate,
  sortRevisions, type ControllerRevision,
} from './history';

const SET: StatefulSet = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'web', namespace: 'ns', uid: 'set-uid', annotations: { 'kubernetes.io/change-cause': 'v2' } } };
const data = (image: string) => ({ spec: { template: { $patch: 'replace', spec: { containers: [{ name: 'c', image }] } } } });
const rev = (name: string, revision: number, image = name, created = '2026-01-01T00:00:00Z'): ControllerRevision => ({
  metadata: { name, namespace: 'ns', creationTimestamp: created }, data: data(image), revision,
});
const names = (revs: readonly ControllerRevision[]) => revs.map((r) => r.metadata.name);

describe('controller history (lib/controller/history)', () => {
  it('hashes data stably (key order ignored) and differently per collisionCount', () => {
    const a = hashRevisionData({ x: 1, y: [1, 2] });
    expect(hashRevisionData({ y: [1, 2], x: 1 })).to.equal(a);
    expect(a).to.match(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(hashRevisionData({ x: 1, y: [1, 2] }, 0)).to.not.equal(a);
    expect(hashRevisionData({ x: 1, y: [1, 2] }, 1)).to.not.equal(hashRevisionData({ x: 1, y: [1, 2] }, 0));
  });

  it('names a revision <parent>-<hash>, the parent prefix cut to fit a name', () => {
    expect(revisionName('web', 'abc')).to.equal('web-abc');
    expect(revisionName('x'.repeat(300), 'abc')).to.have.length(223 + 4);
  });

  it('makes a revision with the template labels, the hash label, the parent annotations and a controllerRef', () => {
    const r = newControllerRevision(SET, RESOURCES.statefulsets, { app: 'web' }, data('a'), 3, 0);
    const hash = hashRevisionData(data('a'), 0);
    expect(r.metadata).to.deep.include({ name: `web-${hash}`, namespace: 'ns', labels: { app: 'web', [REVISION_HASH_LABEL]: hash }, annotations: SET.metadata.annotations });
    expect(r.metadata.ownerReferences).to.deep.equal([{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'set-uid', controller: true, blockOwnerDeletion: true }]);
    expect(r.revision).to.equal(3);
  });

  const table: { name: string; revs: ControllerRevision[]; sorted: string[]; next: number }[] = [
    { name: 'empty history', revs: [], sorted: [], next: 1 },
    { name: 'by revision number', revs: [rev('c', 3), rev('a', 1), rev('b', 2)], sorted: ['a', 'b', 'c'], next: 4 },
    { name: 'ties by creation time, then name', revs: [rev('z', 1, 'z', '2026-01-02T00:00:00Z'), rev('y', 1), rev('x', 1)], sorted: ['x', 'y', 'z'], next: 2 },
  ];
  for (const t of table) {
    it(`sorts oldest first and numbers the next revision: ${t.name}`, () => {
      expect(names(sortRevisions(t.revs))).to.deep.equal(t.sorted);
      expect(nextRevision(t.revs)).to.equal(t.next);
    });
  }

  it('finds revisions with equal data', () => {
    const needle = rev('new', 9, 'b');
    expect(names(findEqualRevisions([rev('a', 1), rev('b', 2), rev('c', 3)], needle))).to.deep.equal(['b']);
  });

  const truncation: { name: string; live: string[]; limit: number; deleted: string[] }[] = [
    { name: 'within the limit', live: ['e'], limit: 10, deleted: [] },
    { name: 'oldest non-live first', live: ['e'], limit: 2, deleted: ['a', 'b'] },
    { name: 'live revisions never go', live: ['a', 'e'], limit: 1, deleted: ['b', 'c'] },
    { name: 'limit 0 keeps only live ones', live: ['c'], limit: 0, deleted: ['a', 'b', 'd', 'e'] },
  ];
  for (const t of truncation) {
    it(`truncates history: ${t.name}`, () => {
      const revs = ['a', 'b', 'c', 'd', 'e'].map((n, i) => rev(n, i + 1));
      expect(names(revisionsToTruncate(revs, new Set(t.live), t.limit))).to.deep.equal(t.deleted);
    });
  }

  describe('ControllerHistory (fake API)', () => {
    const client = () => new FakeApiClient().resource<ControllerRevision>(RESOURCES.controllerrevisions);

    it('creates a revision; the same data again answers the stored one', async () => {
      const c = client();
      const history = new ControllerHistory(c);
      const r = newControllerRevision(SET, RESOURCES.statefulsets, {}, data('a'), 1, 0);
      const first = await history.create(r, 0);
      const again = await history.create(r, 0);
      expect(again.revision.metadata.uid).to.equal(first.revision.metadata.uid);
      expect(again.collisionCount).to.equal(0);
    });

    it('escapes a name taken by different data by raising collisionCount', async () => {
      const c = client();
      const history = new ControllerHistory(c);
      const r = newControllerRevision(SET, RESOURCES.statefulsets, {}, data('a'), 1, 0);
      await c.create('ns', { ...r, data: data('someone else') });
      const created = await history.create(r, 0);
      expect(created.collisionCount).to.equal(1);
      expect(created.revision.metadata.name).to.equal(`web-${hashRevisionData(data('a'), 1)}`);
      expect(created.revision.metadata.labels?.[REVISION_HASH_LABEL]).to.equal(hashRevisionData(data('a'), 1));
    });

    it('renumbers a revision (a rollback) and deletes one, a missing one being fine', async () => {
      const c = client();
      const history = new ControllerHistory(c);
      const { revision } = await history.create(newControllerRevision(SET, RESOURCES.statefulsets, {}, data('a'), 1, 0), 0);
      expect((await history.renumber(revision, 5)).revision).to.equal(5);
      await history.delete(revision);
      await history.delete(revision);
      expect((await c.list('ns')).items).to.deep.equal([]);
    });
  });
});
