import { expect } from 'chai';
import { ApiError } from '../errors';
import { applyJsonPatch, MAX_JSON_PATCH_OPERATIONS, parsePointer } from './json-patch';
import type { JsonValue } from './json-value';

function expectApiError(fn: () => unknown, code: number, ...fragments: string[]): ApiError {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(ApiError);
    const err = e as ApiError;
    expect(err.code, err.message).to.equal(code);
    for (const f of fragments) expect(err.message).to.contain(f);
    return err;
  }
  throw new Error('expected an ApiError');
}

describe('JSON patch (RFC 6902)', () => {
  describe('the RFC 6902 appendix A examples', () => {
    const ok: [string, JsonValue, JsonValue, JsonValue][] = [
      ['A.1 adding an object member', { foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }], { baz: 'qux', foo: 'bar' }],
      ['A.2 adding an array element', { foo: ['bar', 'baz'] }, [{ op: 'add', path: '/foo/1', value: 'qux' }], { foo: ['bar', 'qux', 'baz'] }],
      ['A.3 removing an object member', { baz: 'qux', foo: 'bar' }, [{ op: 'remove', path: '/baz' }], { foo: 'bar' }],
      ['A.4 removing an array element', { foo: ['bar', 'qux', 'baz'] }, [{ op: 'remove', path: '/foo/1' }], { foo: ['bar', 'baz'] }],
      ['A.5 replacing a value', { baz: 'qux', foo: 'bar' }, [{ op: 'replace', path: '/baz', value: 'boo' }], { baz: 'boo', foo: 'bar' }],
      [
        'A.6 moving a value',
        { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
        [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
        { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
      ],
      [
        'A.7 moving an array element',
        { foo: ['all', 'grass', 'cows', 'eat'] },
        [{ op: 'move', from: '/foo/1', path: '/foo/3' }],
        { foo: ['all', 'cows', 'eat', 'grass'] },
      ],
      [
        'A.8 testing a value: success',
        { baz: 'qux', foo: ['a', 2, 'c'] },
        [{ op: 'test', path: '/baz', value: 'qux' }, { op: 'test', path: '/foo/1', value: 2 }],
        { baz: 'qux', foo: ['a', 2, 'c'] },
      ],
      ['A.10 adding a nested member object', { foo: 'bar' }, [{ op: 'add', path: '/child', value: { grandchild: {} } }], { foo: 'bar', child: { grandchild: {} } }],
      ['A.11 ignoring unrecognized elements', { foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux', xyz: 123 }], { foo: 'bar', baz: 'qux' }],
      ['A.14 ~ escape ordering', { '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: 10 }], { '/': 9, '~1': 10 }],
      ['A.16 adding an array value', { foo: ['bar'] }, [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }], { foo: ['bar', ['abc', 'def']] }],
    ];
    for (const [name, doc, patch, result] of ok) {
      it(name, () => expect(applyJsonPatch(doc, patch)).to.deep.equal(result));
    }

    it('A.9 testing a value: error', () => {
      expectApiError(() => applyJsonPatch({ baz: 'qux' }, [{ op: 'test', path: '/baz', value: 'bar' }]), 422, 'operation 0', '/baz', 'test failed');
    });
    it('A.12 adding to a nonexistent target', () => {
      expectApiError(() => applyJsonPatch({ foo: 'bar' }, [{ op: 'add', path: '/baz/bat', value: 'qux' }]), 422, 'operation 0', '/baz');
    });
    it('A.15 comparing strings and numbers', () => {
      expectApiError(() => applyJsonPatch({ '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: '10' }]), 422, 'test failed');
    });
  });

  it('parses JSON pointers with ~0 / ~1 escapes and rejects bad ones', () => {
    expect(parsePointer('')).to.deep.equal([]);
    expect(parsePointer('/')).to.deep.equal(['']);
    expect(parsePointer('/a~1b/m~0n/~01')).to.deep.equal(['a/b', 'm~n', '~1']);
    expect(parsePointer('a')).to.equal(undefined);
    expect(parsePointer('/a~2')).to.equal(undefined);
    expect(parsePointer('/a~')).to.equal(undefined);
  });

  it('edits a Deployment the way kubectl patch --type=json does', () => {
    const deploy = {
      metadata: { name: 'web', labels: { 'app.kubernetes.io/name': 'web' } },
      spec: { replicas: 1, template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1.25' }] } } },
    };
    const out = applyJsonPatch(deploy, [
      { op: 'replace', path: '/spec/replicas', value: 3 },
      { op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'nginx:1.26' },
      { op: 'add', path: '/metadata/labels/app.kubernetes.io~1version', value: '1.26' },
      { op: 'copy', from: '/spec/template/spec/containers/0', path: '/spec/template/spec/containers/-' },
      { op: 'replace', path: '/spec/template/spec/containers/1/name', value: 'copy' },
    ]);
    expect(out).to.deep.equal({
      metadata: { name: 'web', labels: { 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/version': '1.26' } },
      spec: {
        replicas: 3,
        template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1.26' }, { name: 'copy', image: 'nginx:1.26' }] } },
      },
    });
    expect(deploy.spec.replicas).to.equal(1); // not mutated
  });

  it('is atomic: a failing later operation leaves the input untouched', () => {
    const doc = { a: 1 };
    expectApiError(() => applyJsonPatch(doc, [{ op: 'add', path: '/b', value: 2 }, { op: 'remove', path: '/zz' }]), 422, 'operation 1', '/zz');
    expect(doc).to.deep.equal({ a: 1 });
  });

  it('replaces and adds at the root', () => {
    expect(applyJsonPatch({ a: 1 }, [{ op: 'replace', path: '', value: { b: 2 } }])).to.deep.equal({ b: 2 });
    expect(applyJsonPatch({ a: 1 }, [{ op: 'add', path: '', value: [1] }])).to.deep.equal([1]);
    expectApiError(() => applyJsonPatch({ a: 1 }, [{ op: 'remove', path: '' }]), 422, 'whole document');
  });

  it('names the op index and path in every application error', () => {
    const cases: [JsonValue, string[]][] = [
      [[{ op: 'remove', path: '/a/5' }], ['operation 0', 'remove /a/5', 'out of bounds']],
      [[{ op: 'add', path: '/a/3', value: 1 }], ['operation 0', 'out of bounds']],
      [[{ op: 'add', path: '/a/01', value: 1 }], ['not a valid index']],
      [[{ op: 'replace', path: '/a/-', value: 1 }], ['not a valid index']],
      [[{ op: 'replace', path: '/nope', value: 1 }], ['/nope', 'does not exist']],
      [[{ op: 'test', path: '/a', value: [1, 2] }, { op: 'move', from: '/a', path: '/a/0' }], ['operation 1', 'its own children']],
      [[{ op: 'copy', from: '/missing', path: '/b' }], ['operation 0', 'copy /missing -> /b']],
      [[{ op: 'add', path: '/s/x', value: 1 }], ['inside a string']],
      [[{ op: 'frobnicate', path: '/a' }], ['unknown op "frobnicate"']],
      [[{ path: '/a' }], ['missing or non-string "op"']],
      [[{ op: 'add', path: '/a' }], ['missing "value"']],
      [[{ op: 'move', path: '/a' }], ['"from"']],
      [[{ op: 'add', path: 'a', value: 1 }], ['invalid JSON pointer']],
    ];
    for (const [patch, fragments] of cases) {
      expectApiError(() => applyJsonPatch({ a: [1, 2], s: 'str' }, patch), 422, ...fragments);
    }
  });

  it('answers a body that is not a list of operation objects with 400', () => {
    expectApiError(() => applyJsonPatch({}, { op: 'add' }), 400, 'JSON array');
    expectApiError(() => applyJsonPatch({}, [1]), 400, 'operation 0');
  });

  it('rejects more than MAX_JSON_PATCH_OPERATIONS operations with 413', () => {
    const ops = Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({ op: 'test', path: '', value: {} }));
    expectApiError(() => applyJsonPatch({}, ops), 413);
  });

  it('treats __proto__ and constructor as ordinary members', () => {
    const out = applyJsonPatch({}, [
      { op: 'add', path: '/__proto__', value: { polluted: true } },
      { op: 'add', path: '/constructor', value: 1 },
    ]) as any;
    expect(({} as any).polluted).to.equal(undefined);
    expect(Object.getPrototypeOf(out)).to.equal(Object.prototype);
    expect(Object.keys(out)).to.deep.equal(['__proto__', 'constructor']);
    expectApiError(() => applyJsonPatch({}, [{ op: 'test', path: '/toString', value: null }]), 422, 'does not exist');
    expectApiError(() => applyJsonPatch({}, [{ op: 'remove', path: '/__proto__' }]), 422, 'does not exist');
  });
});
