import { expect } from 'chai';
import { applyMergePatch, createMergePatch, threeWayMergePatch } from './json-merge-patch';
import type { JsonValue } from './json-value';

describe('JSON merge patch (RFC 7386)', () => {
  describe('applyMergePatch: the RFC 7386 appendix A examples', () => {
    const cases: [JsonValue, JsonValue, JsonValue][] = [
      [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
      [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
      [{ a: 'b' }, { a: null }, {}],
      [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
      [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
      [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
      [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
      [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
      [['a', 'b'], ['c', 'd'], ['c', 'd']],
      [{ a: 'b' }, ['c'], ['c']],
      [{ a: 'foo' }, null, null],
      [{ a: 'foo' }, 'bar', 'bar'],
      [{ e: null }, { a: 1 }, { e: null, a: 1 }],
      [[1, 2], { a: 'b', c: null }, { a: 'b' }],
      [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
    ];
    cases.forEach(([target, patch, result], i) => {
      it(`example ${i + 1}: ${JSON.stringify(target)} + ${JSON.stringify(patch)}`, () => {
        expect(applyMergePatch(target, patch)).to.deep.equal(result);
      });
    });
  });

  it('does not mutate the target or the patch', () => {
    const target = { a: { b: 1 }, l: [1] };
    const patch = { a: { c: 2 }, l: [2] };
    const out = applyMergePatch(target, patch);
    expect(target).to.deep.equal({ a: { b: 1 }, l: [1] });
    expect(patch).to.deep.equal({ a: { c: 2 }, l: [2] });
    (out as any).a.c = 3;
    expect(patch.a.c).to.equal(2);
  });

  it('treats __proto__ as an ordinary member (no prototype pollution)', () => {
    const patch = JSON.parse('{"__proto__": {"polluted": true}, "a": {"__proto__": {"x": 1}}}');
    const out = applyMergePatch({}, patch) as any;
    expect(({} as any).polluted).to.equal(undefined);
    expect(Object.getPrototypeOf(out)).to.equal(Object.prototype);
    expect(Object.keys(out)).to.deep.equal(['__proto__', 'a']);
    expect(out.polluted).to.equal(undefined);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')!.value).to.deep.equal({ polluted: true });
  });

  describe('createMergePatch', () => {
    it('gives changed and added members, null for removed ones, lists whole', () => {
      const original = { a: 1, b: { c: 1, d: 2 }, l: [1, 2], gone: 'x', same: { k: 'v' } };
      const modified = { a: 2, b: { c: 1, e: 3 }, l: [1, 2, 3], same: { k: 'v' }, added: true };
      const patch = createMergePatch(original, modified);
      expect(patch).to.deep.equal({ a: 2, b: { d: null, e: 3 }, l: [1, 2, 3], gone: null, added: true });
      expect(applyMergePatch(original, patch)).to.deep.equal(modified);
    });

    it('is empty for equal objects and modified itself for non-objects', () => {
      expect(createMergePatch({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).to.deep.equal({});
      expect(createMergePatch({ a: 1 }, [1])).to.deep.equal([1]);
    });

    it('replaces a non-object member by an object whole', () => {
      expect(createMergePatch({ a: 'x' }, { a: { b: 1 } })).to.deep.equal({ a: { b: 1 } });
    });
  });

  describe('threeWayMergePatch', () => {
    it('removes fields dropped from desired since last apply, sets changes, keeps live-only fields', () => {
      const lastApplied = { metadata: { labels: { app: 'web', tier: 'fe' } }, spec: { replicas: 2, paused: false } };
      const desired = { metadata: { labels: { app: 'web' } }, spec: { replicas: 3 } };
      const live = {
        metadata: { labels: { app: 'web', tier: 'fe', injected: 'yes' }, uid: 'u1' },
        spec: { replicas: 2, paused: false, progressDeadlineSeconds: 600 },
        status: { readyReplicas: 2 },
      };
      const patch = threeWayMergePatch(lastApplied, desired, live);
      expect(patch).to.deep.equal({ metadata: { labels: { tier: null } }, spec: { replicas: 3, paused: null } });
      expect(applyMergePatch(live, patch)).to.deep.equal({
        metadata: { labels: { app: 'web', injected: 'yes' }, uid: 'u1' },
        spec: { replicas: 3, progressDeadlineSeconds: 600 },
        status: { readyReplicas: 2 },
      });
    });

    it('reverts a live change to a field desired still sets', () => {
      const cfg = { data: { k: 'v' } };
      expect(threeWayMergePatch(cfg, cfg, { data: { k: 'edited' } })).to.deep.equal({ data: { k: 'v' } });
    });

    it('sets everything on a first apply (no last-applied) and removes nothing', () => {
      const desired = { data: { a: '1' }, list: [1] };
      const live = { data: { b: '2' } };
      expect(threeWayMergePatch(undefined, desired, live)).to.deep.equal({ data: { a: '1' }, list: [1] });
    });

    it('is empty when live already matches desired', () => {
      const desired = { spec: { replicas: 1, template: { spec: { containers: [{ name: 'a' }] } } } };
      expect(threeWayMergePatch(desired, desired, { ...desired, status: {} })).to.deep.equal({});
    });

    it('replaces lists whole and objects that were scalars', () => {
      expect(threeWayMergePatch({ l: [1] }, { l: [1, 2], o: { x: 1 } }, { l: [1], o: 'str' })).to.deep.equal({
        l: [1, 2],
        o: { x: 1 },
      });
    });
  });
});
