import { expect } from 'chai';
import fc from 'fast-check';
import { canonicalJson, deepCopy, jsonEqual, sameStoredContent } from './object-codec';
import type { KubeObject } from '../../../lib/api/object';

/**
 * deepCopy and jsonEqual are fast paths of two definitions: a JSON round trip, and equal
 * canonicalJson strings. These tests hold them to those definitions, on random JSON-like
 * values (with the members JSON treats specially: undefined, functions, non-finite numbers,
 * -0, Dates, "__proto__" keys) and on the edge cases by name.
 */

const odd = fc.constantFrom<unknown>(undefined, NaN, Infinity, -0, () => 1, new Date(0), null, '__proto__');
const leaf = fc.oneof(fc.string({ maxLength: 4 }), fc.integer({ min: -3, max: 3 }), fc.double(), fc.boolean(), odd);
const key = fc.oneof(fc.constantFrom('a', 'b', 'c', '__proto__', '1', 'toString'), fc.string({ maxLength: 3 }));
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(key, tie('v'), { maxKeys: 4 })),
})).v;

const roundTrip = (v: unknown): unknown => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));

describe('object-codec: deepCopy and jsonEqual', () => {
  it('deepCopy prints and reads back like a JSON round trip, and shares nothing with its input', () => {
    fc.assert(
      fc.property(value, (v) => {
        if (typeof v === 'function') return;
        const copy = deepCopy(v);
        expect(JSON.stringify(copy)).to.equal(JSON.stringify(roundTrip(v)));
        expect(copy).to.deep.equal(roundTrip(v));
        if (v !== null && typeof v === 'object') expect(copy).not.to.equal(v);
      }),
      { numRuns: 2000 },
    );
  });

  it('jsonEqual agrees with comparing canonicalJson strings (random pairs and a value with its shuffled copy)', () => {
    fc.assert(
      fc.property(value, value, (a, b) => {
        expect(jsonEqual(a, b)).to.equal(canonicalJson(a) === canonicalJson(b));
        if (typeof a === 'function') return; // a JSON round trip of a bare function fails, as deepCopy does
        expect(jsonEqual(a, deepCopy(a))).to.equal(canonicalJson(a) === canonicalJson(deepCopy(a)));
      }),
      { numRuns: 2000 },
    );
  });

  it('jsonEqual ignores key order and left-out members, and tells apart what JSON tells apart', () => {
    expect(jsonEqual({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).to.equal(true);
    expect(jsonEqual({ a: 1, u: undefined, f: () => 1 }, { a: 1 })).to.equal(true);
    expect(jsonEqual([undefined], [null])).to.equal(true);
    expect(jsonEqual({ n: NaN }, { n: null })).to.equal(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: 2 })).to.equal(false);
    expect(jsonEqual({ a: '1' }, { a: 1 })).to.equal(false);
    expect(jsonEqual([1, 2], [2, 1])).to.equal(false);
    expect(jsonEqual({ a: {} }, { a: [] })).to.equal(false);
    expect(jsonEqual(undefined, null)).to.equal(false);
    expect(jsonEqual({ toString: 1 }, {})).to.equal(false);
  });

  it('deepCopy keeps a "__proto__" member as data, not as the prototype', () => {
    const v = JSON.parse('{"__proto__": {"x": 1}, "y": 2}') as Record<string, unknown>;
    const copy = deepCopy(v) as Record<string, unknown>;
    expect(Object.getPrototypeOf(copy)).to.equal(Object.prototype);
    expect(JSON.stringify(copy)).to.equal('{"__proto__":{"x":1},"y":2}');
  });

  it('sameStoredContent ignores resourceVersion and key order only', () => {
    const a = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', resourceVersion: '5', labels: { x: 'a', y: 'b' } }, spec: {} } as KubeObject;
    const b = { kind: 'Pod', apiVersion: 'v1', metadata: { labels: { y: 'b', x: 'a' }, name: 'p', resourceVersion: '9' }, spec: {} } as KubeObject;
    expect(sameStoredContent(a, b)).to.equal(true);
    expect(sameStoredContent(a, { ...b, spec: { nodeName: 'n' } })).to.equal(false);
  });
});
