import { expect } from 'chai';
import * as fc from 'fast-check';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { ApiError } from '../../lib/api/errors';
import type { KubeObject, ResourceInfo } from '../../lib/api/object';
import { deploymentStrategy } from './kinds/apps';
import { configMapStrategy, namespaceStrategy, podStrategy, serviceStrategy } from './kinds/core';
import { warningsOf } from './http/test-clients';
import { TwoDoorApiServer } from './test-api-server';

/** Runs per kind and door; each run sends about ten requests. */
const RUNS_PER_KIND = 30;
/**
 * How much live heap the apiserver (in this process) may keep after the whole fuzz run, over its
 * baseline: the watch caches' event rings legitimately hold recent objects of up to ~1 MB each.
 */
const MAX_HEAP_GROWTH_BYTES = 200 * 1024 * 1024;
/** A JavaScript error text: never part of an API answer. */
const JS_ERROR = /is not a function|Cannot read prop|is not iterable|undefined is not|Maximum call stack|TypeError|ReferenceError|RangeError|Invalid time value/;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A kind under fuzz: where it lives and a valid object to start from. */
interface FuzzKind {
  readonly info: ResourceInfo;
  /** The HTTP path of the kind's collection in `ns` (of every namespace without one). */
  readonly path: (ns?: string) => string;
  readonly valid: (name: string) => KubeObject;
}

const labels = { app: 'fuzz' };
const podSpec = { containers: [{ name: 'c', image: 'busybox', ports: [{ containerPort: 80 }], resources: { requests: { cpu: '100m', memory: '64Mi' } } }] };
const KINDS: readonly FuzzKind[] = [
  { info: configMapStrategy.info, path: (ns) => collection('/api/v1', 'configmaps', ns), valid: (name) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data: { a: 'b' } }) },
  {
    info: deploymentStrategy.info,
    path: (ns) => collection('/apis/apps/v1', 'deployments', ns),
    valid: (name) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: { replicas: 2, selector: { matchLabels: labels }, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } }, template: { metadata: { labels }, spec: podSpec } },
    }),
  },
  { info: podStrategy.info, path: (ns) => collection('/api/v1', 'pods', ns), valid: (name) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: podSpec }) },
  {
    info: serviceStrategy.info,
    path: (ns) => collection('/api/v1', 'services', ns),
    valid: (name) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { clusterIP: 'None', selector: labels, ports: [{ port: 80, targetPort: 'http' }] } }),
  },
  { info: namespaceStrategy.info, path: () => '/api/v1/namespaces', valid: (name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } }) },
];

/** The path of a collection, in a namespace or across all. */
function collection(prefix: string, resource: string, ns: string | undefined): string {
  return ns === undefined ? `${prefix}/${resource}` : `${prefix}/namespaces/${ns}/${resource}`;
}

/** Every path (as key lists) of a JSON value, objects and lists included. */
function pathsOf(value: unknown, prefix: string[] = []): string[][] {
  const out: string[][] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...prefix, String(i)])));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]));
  return out;
}

/** `obj` with the value at `path` replaced (objects on the way are made as needed). */
function setAt(obj: Json, path: readonly string[], value: Json): Json {
  if (path.length === 0) return value;
  const [head, ...rest] = path as [string, ...string[]];
  const base: { [key: string]: Json } | Json[] = Array.isArray(obj) ? [...obj] : obj !== null && typeof obj === 'object' ? { ...obj } : {};
  (base as Record<string, Json>)[head] = setAt((base as Record<string, Json>)[head] ?? null, rest, value);
  return base;
}

/** Values of every JSON type, including the edges: past int32/int64, huge strings, nesting, odd text. */
const anyValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(2147483648, -2147483649, 9007199254740993, 1e300, -0.5, 0, '', 'yes', '12Gi', 'lots', '25%', '1970-01-01T00:00:00Z', 'not-a-time', null, true, [], {}),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(300, 70_000, 1_100_000).map((n) => 'x'.repeat(n)),
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  fc.integer({ min: 50, max: 3000 }).map((depth) => {
    let v: Json = 'deep';
    for (let i = 0; i < depth; i++) v = { d: v };
    return v;
  }),
);

/** One mutation: a value at an existing or a new path of the valid object. */
function mutation(valid: KubeObject): fc.Arbitrary<{ path: string[]; value: Json }> {
  const paths = pathsOf(valid).filter((p) => p.length > 0);
  const existing = fc.constantFrom(...paths);
  const fresh = fc.tuple(existing, fc.constantFrom('spice', 'extra', '$patch', 'metadata', '0', 'apiVersion')).map(([p, k]) => [...p, k]);
  return fc.record({ path: fc.oneof(existing, fresh), value: anyValue });
}

/** Query parameters a client might send to lists and watches. */
const queryArb = fc.dictionary(
  fc.constantFrom('limit', 'continue', 'resourceVersion', 'resourceVersionMatch', 'labelSelector', 'fieldSelector', 'timeoutSeconds', 'fieldValidation', 'dryRun', 'fieldManager', 'includeObject'),
  fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('-1', '0', '1', '99999999999999999999', 'abc', 'All', 'Strict', 'a=b', 'a in (', 'metadata.name=x', 'x'.repeat(5000))),
  { maxKeys: 4 },
);

describe('fuzz: wrongly typed and oversized bodies, patches and queries through both doors', function () {
  this.timeout(600_000);
  let t: TwoDoorApiServer;
  let baselineHeap = 0;
  const seen: string[] = [];

  before(async () => {
    t = await TwoDoorApiServer.start('bosun-fuzz-');
    baselineHeap = liveHeapBytes();
    await t.grpc.resource(namespaceStrategy.info).create(undefined, { metadata: { name: 'fuzz' } });
  });

  after(async () => {
    await t?.stop();
  });

  /** Records an answer's status; anything 5xx (but a future resourceVersion's 504) or carrying JavaScript error text fails the run. */
  function checkAnswer(what: string, status: number, body: string): void {
    seen.push(`${status}`);
    // A read at a resourceVersion the server has not reached is Kubernetes' 504 "Too large resource version".
    const futureRead = status === 504 && body.includes('Too large resource version');
    if ((status >= 500 && !futureRead) || JS_ERROR.test(body)) throw new Error(`${what} → ${status}: ${body.slice(0, 400)}`);
  }

  /** A gRPC call's outcome: success, or an ApiError below 500. */
  async function checkGrpc(what: string, call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
      seen.push('ok');
    } catch (err) {
      if (!(err instanceof ApiError)) throw new Error(`${what}: not an API error: ${String(err)}`);
      checkAnswer(what, err.code, err.message);
    }
  }

  /** Every later list of the kind succeeds on both doors and skips nothing. */
  async function checkLists(kind: FuzzKind): Promise<void> {
    await t.grpc.resource(kind.info).list(undefined);
    const res = await t.request('GET', kind.path());
    expect(res.status, res.body.slice(0, 300)).to.equal(200);
    expect(warningsOf(res).filter((w) => w.includes('corrupt'))).to.deep.equal([]);
  }

  for (const kind of KINDS) {
    it(`${kind.info.kind}: no 5xx, no object that fails to decode, lists keep working`, async () => {
      const valid = kind.valid('target');
      const base = kind.path(kind.info.namespaced ? 'fuzz' : undefined);
      const target = kind.info.namespaced ? 'target' : 'fuzz-target';
      await t.request('POST', base, { body: kind.valid(target) });
      let n = 0;
      const watches: Promise<void>[] = [];
      await fc.assert(
        fc.asyncProperty(fc.array(mutation(valid), { minLength: 1, maxLength: 3 }), queryArb, fc.boolean(), async (mutations, query, yaml) => {
          n++;
          let body: Json = kind.valid(`fuzz-${n}`) as unknown as Json;
          for (const m of mutations) body = setAt(body, m.path, m.value);
          const patch: Json = mutations.reduce<Json>((acc, m) => setAt(acc, m.path, m.value), {});
          const contentType = yaml ? 'application/yaml' : 'application/json';
          const q = new URLSearchParams(query).toString();
          const answers: [string, Promise<{ status: number; body: string }>][] = [
            ['create', t.request('POST', `${base}?${q}`, { body: JSON.stringify(body), headers: { 'Content-Type': contentType } })],
            ['update', t.request('PUT', `${base}/${target}`, { body: setAt(body, ['metadata', 'name'], target) })],
            ['merge patch', t.request('PATCH', `${base}/${target}`, { body: patch, headers: { 'Content-Type': 'application/merge-patch+json' } })],
            ['strategic patch', t.request('PATCH', `${base}/${target}`, { body: patch, headers: { 'Content-Type': 'application/strategic-merge-patch+json' } })],
            [
              'json patch',
              t.request('PATCH', `${base}/${target}`, {
                body: mutations.map((m) => ({ op: 'add', path: `/${m.path.join('/')}`, value: m.value })),
                headers: { 'Content-Type': 'application/json-patch+json' },
              }),
            ],
            ['apply', t.request('PATCH', `${base}/${target}?fieldManager=fuzz&force=true`, { body: setAt(body, ['metadata', 'name'], target), headers: { 'Content-Type': 'application/apply-patch+yaml' } })],
            ['list', t.request('GET', `${base}?${q}`)],
          ];
          // A watch lasts its second: collected, checked once the runs are done.
          watches.push(t.request('GET', `${base}?${watchQuery(query)}`).then((a) => checkAnswer(`watch ?${q.slice(0, 200)}`, a.status, a.body)));
          for (const [what, answer] of answers) {
            const a = await answer;
            checkAnswer(`${what} ${JSON.stringify(mutations).slice(0, 300)} ?${q.slice(0, 200)}`, a.status, a.body);
          }
          const rc = t.grpc.resource(kind.info);
          const ns = kind.info.namespaced ? 'fuzz' : undefined;
          await checkGrpc('grpc create', () => rc.create(ns, body as unknown as KubeObject, { fieldManager: query.fieldManager }));
          await checkGrpc('grpc patch', () => rc.patch(ns, target, 'application/merge-patch+json', JSON.stringify(patch)));
          await checkGrpc('grpc list', () =>
            rc.list(ns, { labelSelector: query.labelSelector, fieldSelector: query.fieldSelector, resourceVersion: query.resourceVersion, limit: Number(query.limit) || undefined }),
          );
          await checkLists(kind);
        }),
        { numRuns: RUNS_PER_KIND, verbose: 1, endOnFailure: true },
      );
      await Promise.all(watches);
    });
  }

  it('memory stays bounded and every kind still lists (both doors)', async () => {
    for (const kind of KINDS) await checkLists(kind);
    const heap = liveHeapBytes();
    expect(seen.length, 'answers checked').to.be.greaterThan(KINDS.length * RUNS_PER_KIND * 10);
    const grown = heap - baselineHeap;
    const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;
    console.log(`      ${seen.length} answers checked; live heap ${mib(baselineHeap)} → ${mib(heap)}, RSS ${mib(process.memoryUsage().rss)}`);
    expect(grown, `live heap growth ${mib(grown)}`).to.be.lessThan(MAX_HEAP_GROWTH_BYTES);
  });
});

/** The live JavaScript heap after a full garbage collection (the test may force one; the apiserver never does). */
function liveHeapBytes(): number {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
  return process.memoryUsage().heapUsed;
}

/** A fuzzed query as a watch that ends by itself after a second. */
function watchQuery(query: Record<string, string>): string {
  const q = new URLSearchParams(query);
  q.set('watch', 'true');
  q.set('timeoutSeconds', '1');
  return q.toString();
}
