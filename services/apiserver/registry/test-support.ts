import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApiError, type FieldError } from '../../../lib/api/errors';
import type { KubeObject, ResourceInfo } from '../../../lib/api/object';
import { LocalStoreCluster } from '../../../lib/launcher/store-cluster';
import { startEtcdCluster } from '../../../store/client/test-etcd';
import type { CacheWatcher, WatchEvent } from './cache-watcher';
import { canonicalJson } from './object-codec';
import type { Strategy } from './strategy';

/**
 * Test support for the registry suites: the two real store backends every suite runs on, a
 * ConfigMap-like test kind with a strategy, and watch helpers. Not used outside tests.
 */

/** A running store the suites talk to through its endpoints. */
export interface RunningBackend {
  readonly endpoints: string[];
  stop(): Promise<void>;
}

/** A store implementation to run the same assertions on. */
export interface Backend {
  readonly name: string;
  start(): Promise<RunningBackend>;
}

/** A real 3-member Bosun store cluster and a real 3-member etcd 3.4 cluster. */
export const BACKENDS: readonly Backend[] = [
  {
    name: 'a 3-member Bosun store cluster',
    async start() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-registry-'));
      const cluster = await LocalStoreCluster.create({ members: 3, dir, logLevel: 'warn', insecure: true });
      cluster.startAll();
      try {
        await cluster.waitReady();
      } catch (err) {
        await cluster.stop();
        throw err;
      }
      return {
        endpoints: cluster.endpoints,
        async stop() {
          await cluster.stop();
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'a 3-member etcd 3.4 cluster',
    async start() {
      const cluster = await startEtcdCluster({ members: 3, extraArgs: ['--experimental-watch-progress-notify-interval=200ms'] });
      return { endpoints: cluster.endpoints, stop: () => cluster.stop() };
    },
  },
];

/** A ConfigMap-like test kind with spec and status. */
export interface TestMap extends KubeObject {
  spec?: { data?: Record<string, string>; replicas?: number; mode?: string; immutable?: string; counter?: number };
  status?: { phase?: string; observed?: number };
}

export const TEST_MAP_INFO: ResourceInfo = {
  group: 'testing.bosun.io',
  version: 'v1',
  kind: 'TestMap',
  resource: 'testmaps',
  singular: 'testmap',
  namespaced: true,
  shortNames: ['tm'],
  categories: [],
};

/** Strategy of TestMap: defaults spec.mode, validates replicas >= 0, spec.immutable never changes. */
export const testMapStrategy: Strategy<TestMap> = {
  info: TEST_MAP_INFO,
  hasStatus: true,
  prepareForCreate(obj) {
    delete obj.status;
    obj.spec = { mode: 'default', ...(obj.spec ?? {}) };
  },
  prepareForUpdate(obj, old) {
    obj.status = old.status;
    if (obj.status === undefined) delete obj.status;
    obj.spec = { mode: 'default', ...(obj.spec ?? {}) };
  },
  validate(obj) {
    const errs: FieldError[] = [];
    const r = obj.spec?.replicas;
    if (r !== undefined && r < 0) errs.push({ type: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${r}: must be greater than or equal to 0` });
    return errs;
  },
  validateUpdate(obj, old) {
    const errs = this.validate(obj);
    if (obj.spec?.immutable !== old.spec?.immutable) errs.push({ type: 'FieldValueInvalid', field: 'spec.immutable', message: 'Invalid value: field is immutable' });
    return errs;
  },
  specChanged(obj, old) {
    return canonicalJson(obj.spec) !== canonicalJson(old.spec);
  },
  selectableFields(obj) {
    return { 'spec.mode': obj.spec?.mode ?? '', 'status.phase': obj.status?.phase ?? '' };
  },
};

/** A TestMap named `name` in `namespace`. */
export function testMap(namespace: string, name: string, extra: Partial<TestMap> = {}): TestMap {
  return { apiVersion: 'testing.bosun.io/v1', kind: 'TestMap', ...extra, metadata: { name, namespace, ...(extra.metadata ?? {}) } };
}

/** A label selector predicate for key=value. */
export const labelIs = (key: string, value: string) => (labels: Readonly<Record<string, string>>) => labels[key] === value;

/** Reads `n` events from a watcher, failing after `timeoutMs`. */
export async function takeEvents<T extends KubeObject>(w: CacheWatcher<T>, n: number, timeoutMs = 10_000): Promise<WatchEvent<T>[]> {
  const out: WatchEvent<T>[] = [];
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms with ${out.length}/${n} events: ${summarize(out).join(', ')}`)), timeoutMs);
  });
  try {
    while (out.length < n) {
      const e = await Promise.race([w.next(), timeout]);
      if (e === undefined) throw new Error(`watch ended after ${out.length}/${n} events: ${summarize(out).join(', ')}`);
      out.push(e);
    }
    return out;
  } finally {
    clearTimeout(timer);
  }
}

/** Reads the next event or undefined when none arrives within `ms`. */
export async function nextWithin<T extends KubeObject>(w: CacheWatcher<T>, ms: number): Promise<WatchEvent<T> | undefined | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  try {
    return await Promise.race([w.next(), t]);
  } finally {
    clearTimeout(timer);
  }
}

/** "TYPE name@rv" for each event. */
export function summarize<T extends KubeObject>(events: readonly WatchEvent<T>[]): string[] {
  return events.map((e) => `${e.type} ${e.object.metadata.name ?? ''}@${e.object.metadata.resourceVersion}`);
}

/** How often `eventually` checks again, in ms. */
export const EVENTUALLY_POLL_MS = 100;

/**
 * Checks `check` every EVENTUALLY_POLL_MS until it gives a value other than undefined or false,
 * and returns that value; fails naming `what` after `ms`.
 */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, EVENTUALLY_POLL_MS));
  }
}

/** The ApiError `p` rejects with; fails the test when it resolves or rejects with anything else. */
export async function apiError(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(err)}`);
    return err;
  }
  throw new Error('expected the call to fail');
}
