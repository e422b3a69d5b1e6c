import { expect } from 'chai';
import { ApiError } from '../errors';
import { applyPatch, JSON_PATCH_TYPE, MAX_JSON_DEPTH, MERGE_PATCH_TYPE, STRATEGIC_MERGE_PATCH_TYPE } from './index';
import type { JsonObject, JsonValue } from './index';

const DEPLOY = { apiVersion: 'apps/v1', kind: 'Deployment' };

function deployment(): JsonObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' }, finalizers: ['f1'] },
    spec: {
      replicas: 1,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } },
      template: { spec: { containers: [{ name: 'nginx', image: 'nginx', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 80 }] }] } },
    },
  };
}

function apiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    expect(e, String(e)).to.be.instanceOf(ApiError);
    return e as ApiError;
  }
  throw new Error('expected an ApiError');
}

/** Deterministic PRNG (mulberry32) so a failing fuzz run can be replayed from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = [
  'metadata', 'spec', 'labels', 'finalizers', 'containers', 'env', 'ports', 'name', 'containerPort', 'strategy', 'template',
  'replicas', 'image', '$patch', '$retainKeys', '$setElementOrder/containers', '$setElementOrder/env', '$deleteFromPrimitiveList/finalizers',
  '__proto__', 'constructor', 'toString', 'value', 'op', 'path', 'from', 'rollingUpdate', 'type', '',
];
const STRINGS = ['delete', 'replace', 'merge', 'add', 'remove', 'move', 'copy', 'test', '/spec/replicas', '/metadata/labels/x', '/spec/template/spec/containers/0', '/spec/template/spec/containers/-', '', '/', '~', 'nginx', 'A', '__proto__'];

function randomValue(r: () => number, depth: number): JsonValue {
  const x = r();
  if (depth > 5 || x < 0.3) {
    const y = r();
    if (y < 0.2) return null;
    if (y < 0.35) return r() < 0.5;
    if (y < 0.55) return Math.floor(r() * 100) - 10;
    return STRINGS[Math.floor(r() * STRINGS.length)]!;
  }
  if (x < 0.6) return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
  const o: JsonObject = {};
  const n = Math.floor(r() * 5);
  for (let i = 0; i < n; i++) {
    Object.defineProperty(o, KEYS[Math.floor(r() * KEYS.length)]!, { value: randomValue(r, depth + 1), enumerable: true, writable: true, configurable: true });
  }
  return o;
}

describe('applyPatch', () => {
  it('dispatches on the patch content type', () => {
    expect((applyPatch(deployment(), JSON_PATCH_TYPE, '[{"op":"replace","path":"/spec/replicas","value":3}]', DEPLOY) as any).spec.replicas).to.equal(3);
    const merged = applyPatch(deployment(), MERGE_PATCH_TYPE, '{"spec":{"template":{"spec":{"containers":[{"name":"x"}]}}}}', DEPLOY) as any;
    expect(merged.spec.template.spec.containers).to.deep.equal([{ name: 'x' }]);
    const strategic = applyPatch(deployment(), STRATEGIC_MERGE_PATCH_TYPE, new TextEncoder().encode('{"spec":{"template":{"spec":{"containers":[{"name":"x"}]}}}}'), DEPLOY) as any;
    expect(strategic.spec.template.spec.containers.map((c: any) => c.name)).to.deep.equal(['x', 'nginx']);
  });

  it('accepts parameters on the content type and already-parsed patches', () => {
    const out = applyPatch(deployment(), 'application/merge-patch+json; charset=utf-8', { spec: { replicas: 2 } }, DEPLOY) as any;
    expect(out.spec.replicas).to.equal(2);
  });

  it('answers an unknown patch type with 415', () => {
    for (const t of ['application/apply-patch+yaml+json', 'application/json', '', 'text/plain']) {
      const err = apiError(() => applyPatch(deployment(), t, '{}', DEPLOY));
      expect(err.code).to.equal(415);
      expect(err.reason).to.equal('UnsupportedMediaType');
    }
  });

  it('answers a malformed body with 400', () => {
    for (const t of [JSON_PATCH_TYPE, MERGE_PATCH_TYPE, STRATEGIC_MERGE_PATCH_TYPE]) {
      for (const body of ['{', 'nope', '', new Uint8Array([0xff, 0xfe, 0x00])]) {
        const err = apiError(() => applyPatch(deployment(), t, body, DEPLOY));
        expect(err.code, `${t} ${String(body)}`).to.equal(400);
      }
    }
    expect(apiError(() => applyPatch(deployment(), MERGE_PATCH_TYPE, '[1]', DEPLOY)).code).to.equal(400);
    expect(apiError(() => applyPatch(deployment(), STRATEGIC_MERGE_PATCH_TYPE, '"x"', DEPLOY)).code).to.equal(400);
  });

  it('answers a JSON patch test failure with 422 naming the op index and path', () => {
    const err = apiError(() =>
      applyPatch(deployment(), JSON_PATCH_TYPE, '[{"op":"test","path":"/spec/replicas","value":1},{"op":"test","path":"/spec/replicas","value":2}]', DEPLOY),
    );
    expect(err.code).to.equal(422);
    expect(err.message).to.contain('operation 1').and.to.contain('/spec/replicas');
  });

  it('rejects a JSON patch that turns the object into a non-object', () => {
    expect(apiError(() => applyPatch(deployment(), JSON_PATCH_TYPE, '[{"op":"replace","path":"","value":[]}]', DEPLOY)).code).to.equal(422);
  });

  it('rejects nesting deeper than MAX_JSON_DEPTH with 400 and handles nesting just below it', () => {
    const deep = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
    for (const t of [MERGE_PATCH_TYPE, STRATEGIC_MERGE_PATCH_TYPE]) {
      expect(apiError(() => applyPatch(deployment(), t, deep(MAX_JSON_DEPTH + 1), DEPLOY)).code).to.equal(400);
      expect(apiError(() => applyPatch(deployment(), t, deep(200000), DEPLOY)).code).to.equal(400);
      const out = applyPatch({}, t, deep(MAX_JSON_DEPTH - 1), DEPLOY) as any;
      expect(out).to.have.property('a');
    }
    const deepList = '[{"op":"add","path":"/x","value":' + '['.repeat(MAX_JSON_DEPTH - 3) + ']'.repeat(MAX_JSON_DEPTH - 3) + '}]';
    expect(applyPatch({}, JSON_PATCH_TYPE, deepList, DEPLOY)).to.have.property('x');
  });

  it('never lets __proto__ reach a prototype, whatever the patch type', () => {
    const bodies: [string, string][] = [
      [MERGE_PATCH_TYPE, '{"__proto__":{"polluted":1},"metadata":{"__proto__":{"polluted":1}}}'],
      [STRATEGIC_MERGE_PATCH_TYPE, '{"__proto__":{"polluted":1},"spec":{"template":{"spec":{"containers":[{"name":"__proto__","__proto__":{"polluted":1}}]}}}}'],
      [JSON_PATCH_TYPE, '[{"op":"add","path":"/__proto__","value":{"polluted":1}},{"op":"add","path":"/metadata/__proto__","value":{"polluted":1}}]'],
    ];
    for (const [t, body] of bodies) {
      const out = applyPatch(deployment(), t, body, DEPLOY) as any;
      expect(({} as any).polluted).to.equal(undefined);
      expect(out.polluted).to.equal(undefined);
      expect(out.metadata.polluted).to.equal(undefined);
      expect(Object.getPrototypeOf(out)).to.equal(Object.prototype);
    }
  });

  it('fuzz: random and garbage patches produce only ApiErrors, and never touch the input', function () {
    this.timeout(60000);
    const seed = Number(process.env['PATCH_FUZZ_SEED'] ?? Date.now() % 1e9);
    const r = rng(seed);
    const types = [JSON_PATCH_TYPE, MERGE_PATCH_TYPE, STRATEGIC_MERGE_PATCH_TYPE];
    const targets = [DEPLOY, { apiVersion: 'v1', kind: 'Pod' }, { apiVersion: 'example.com/v1', kind: 'Widget' }];
    let ok = 0;
    let rejected = 0;
    for (let i = 0; i < 3000; i++) {
      const obj = deployment();
      const before = JSON.stringify(obj);
      const t = types[i % types.length]!;
      let body: unknown;
      const mode = r();
      if (mode < 0.15) {
        // garbage bytes
        body = new Uint8Array(Array.from({ length: Math.floor(r() * 40) }, () => Math.floor(r() * 256)));
      } else if (mode < 0.3) {
        // truncated JSON
        const text = JSON.stringify(randomValue(r, 0));
        body = text.slice(0, Math.floor(r() * text.length));
      } else if (t === JSON_PATCH_TYPE && mode < 0.8) {
        body = JSON.stringify(Array.from({ length: 1 + Math.floor(r() * 3) }, () => {
          const op: JsonObject = { op: STRINGS[Math.floor(r() * 8)]!, path: STRINGS[8 + Math.floor(r() * 10)]! };
          if (r() < 0.8) op['value'] = randomValue(r, 2);
          if (r() < 0.5) op['from'] = STRINGS[8 + Math.floor(r() * 10)]!;
          return op;
        }));
      } else {
        body = JSON.stringify(randomValue(r, 0));
        if (r() < 0.5) body = JSON.stringify({ spec: { template: { spec: { containers: [randomValue(r, 3), randomValue(r, 3)] } } }, metadata: randomValue(r, 1) });
      }
      try {
        const out = applyPatch(obj, t, body, targets[Math.floor(r() * targets.length)]!);
        expect(out).to.be.an('object');
        JSON.stringify(out); // serializable, no cycles
        ok++;
      } catch (e) {
        if (!(e instanceof ApiError) || e.code >= 500) {
          throw new Error(`seed ${seed}, iteration ${i}, ${t}, body ${String(body)}: ${(e as Error).stack}`);
        }
        rejected++;
      }
      expect(JSON.stringify(obj), `seed ${seed} iteration ${i}: input mutated`).to.equal(before);
      expect(({} as any).polluted).to.equal(undefined);
    }
    expect(ok).to.be.greaterThan(0);
    expect(rejected).to.be.greaterThan(0);
  });
});
