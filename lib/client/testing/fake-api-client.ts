/**
 * An in-memory ApiClient for tests (CLI, controllers, the event recorder, the scheduler): the
 * object lifecycle of {@link FakeStore} (resourceVersion compare-and-swap, watches that replay
 * from a resourceVersion, generateName, finalizers and deletionTimestamp, generation, the status
 * and scale subresources, label and field selectors, deletecollection), the served resources
 * of lib/api/resources as discovery reports them, a log of the calls made, and injected
 * failures. No sockets, no timers: time comes from the `now` function given (e.g. a FakeClock's).
 */
import { selectorFromLabelSelector, type LabelSelector } from '../../api/label-selector';
import { ApiError } from '../../api/errors';
import type { KubeList, KubeObject, ResourceInfo } from '../../api/object';
import { apiVersionOf } from '../../api/object';
import { applyPatch, type JsonObject } from '../../api/patch';
import type { ApiWatchEvent, DeleteOutcome, DeleteRequest, ListRequest, Scale, UpdateRequest, WatchRequest, WriteOptions } from '../../api/requests';
import { RESOURCES, type ResourceName } from '../../api/resources';
import type { ApiClient, ClientWatch, ResourceClient, ServedResource } from '../api-client';
import { clone, FakeStore, type StoreWatcher, type UpdateMode } from './fake-store';

export { FOREGROUND_FINALIZER, ORPHAN_FINALIZER } from './fake-store';

const STANDARD_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** The subresources each served resource has (the rest have none). */
const SUBRESOURCES: Partial<Record<ResourceName, ServedResource['subresources']>> = {
  pods: ['status', 'binding', 'eviction'],
  services: ['status'],
  namespaces: ['status', 'finalize'],
  nodes: ['status'],
  persistentvolumes: ['status'],
  persistentvolumeclaims: ['status'],
  deployments: ['status', 'scale'],
  replicasets: ['status', 'scale'],
  replicationcontrollers: ['status', 'scale'],
  daemonsets: ['status'],
  statefulsets: ['status', 'scale'],
  jobs: ['status'],
  cronjobs: ['status'],
  horizontalpodautoscalers: ['status'],
  poddisruptionbudgets: ['status'],
  resourcequotas: ['status'],
  serviceaccounts: ['token'],
};

/** The resources a Bosun apiserver serves, as discovery reports them. */
export const DEFAULT_SERVED_RESOURCES: readonly ServedResource[] = (Object.keys(RESOURCES) as ResourceName[]).map((name) => ({
  ...RESOURCES[name],
  verbs: STANDARD_VERBS,
  subresources: SUBRESOURCES[name] ?? [],
}));

/** One recorded call: `verb resource[/namespace][/name]`, e.g. `update deployments/default/web`. */
export type FakeCall = string;

/** The in-memory ApiClient. */
export class FakeApiClient implements ApiClient {
  /** Every call made, in order (see {@link FakeCall}). */
  readonly calls: FakeCall[] = [];
  /** Set once close() was called. */
  closed = false;
  /** The objects; tests may compact() it to make old watches expire. */
  readonly store: FakeStore;
  private readonly failures: { verb: string; err: ApiError }[] = [];
  /** ServiceAccount tokens issued so far (createToken). */
  tokensIssued = 0;

  constructor(
    readonly resources: readonly ServedResource[] = DEFAULT_SERVED_RESOURCES,
    readonly now: () => Date = () => new Date('2024-01-01T00:00:00Z'),
  ) {
    this.store = new FakeStore(now, (info) => this.servedOf(info)?.subresources.includes('status') ?? false);
  }

  async discover(): Promise<ServedResource[]> {
    this.calls.push('discover');
    this.failIfAsked('discover');
    return this.resources.map((r) => ({ ...r }));
  }

  resource<T extends KubeObject = KubeObject>(info: ResourceInfo): ResourceClient<T> {
    return new FakeResourceClient<T>(this, info);
  }

  close(): void {
    this.closed = true;
  }

  /** Makes the next call of `verb` (create, update, get, watch, deletecollection, …) fail with `err`. */
  failNext(verb: string, err: ApiError): void {
    this.failures.push({ verb, err });
  }

  /** The calls made so far whose log line starts with `prefix` (e.g. `watch pods`). */
  callsOf(prefix: string): FakeCall[] {
    return this.calls.filter((c) => c === prefix || c.startsWith(`${prefix}/`) || c.startsWith(`${prefix} `));
  }

  /** The info of the served resource of `kind` (test helper). */
  infoOf(kind: string): ServedResource {
    const r = this.resources.find((x) => x.kind === kind);
    if (!r) throw new Error(`fake: no served kind ${kind}`);
    return r;
  }

  /** Stores `obj` directly (as a controller would have), filling uid, resourceVersion and timestamps. */
  seed<T extends KubeObject>(obj: T): T {
    const info = this.infoOf(String(obj.kind));
    const ns = info.namespaced ? (obj.metadata.namespace ?? 'default') : undefined;
    return this.store.create(info, ns, obj, false) as T;
  }

  /** The stored object, or undefined (test helper). */
  peek<T extends KubeObject = KubeObject>(kind: string, namespace: string | undefined, name: string): T | undefined {
    try {
      return clone(this.store.get(this.infoOf(kind), namespace, name)) as T;
    } catch {
      return undefined;
    }
  }

  /** Logs a call and throws the failure injected for its verb, if any. */
  record(verb: string, info: ResourceInfo, namespace: string | undefined, name?: string): void {
    const ns = info.namespaced ? namespace : undefined;
    this.calls.push([`${verb} ${info.resource}`, ns, name].filter((p) => p !== undefined && p !== '').join('/'));
    this.failIfAsked(verb);
  }

  private failIfAsked(verb: string): void {
    const i = this.failures.findIndex((f) => f.verb === verb);
    if (i >= 0) throw this.failures.splice(i, 1)[0]!.err;
  }

  private servedOf(info: ResourceInfo): ServedResource | undefined {
    return this.resources.find((r) => r.group === info.group && r.resource === info.resource);
  }
}

class FakeResourceClient<T extends KubeObject> implements ResourceClient<T> {
  private readonly store: FakeStore;

  constructor(
    private readonly fake: FakeApiClient,
    readonly info: ResourceInfo,
  ) {
    this.store = fake.store;
  }

  async create(namespace: string | undefined, obj: T, opts?: WriteOptions): Promise<T> {
    this.fake.record('create', this.info, namespace, obj.metadata?.name);
    return this.store.create(this.info, namespace, obj, !!opts?.dryRun) as T;
  }

  async get(namespace: string | undefined, name: string): Promise<T> {
    this.fake.record('get', this.info, namespace, name);
    return clone(this.store.get(this.info, namespace, name)) as T;
  }

  async list(namespace: string | undefined, opts?: ListRequest): Promise<KubeList<T>> {
    this.fake.record('list', this.info, namespace);
    return this.listOf(this.store.list(this.info, namespace, opts) as T[]);
  }

  async update(namespace: string | undefined, obj: T, opts?: WriteOptions): Promise<T> {
    this.fake.record('update', this.info, namespace, obj.metadata?.name);
    return this.store.update(this.info, namespace, obj, 'main', !!opts?.dryRun) as T;
  }

  async updateStatus(namespace: string | undefined, obj: T, opts?: WriteOptions): Promise<T> {
    this.fake.record('updateStatus', this.info, namespace, obj.metadata?.name);
    return this.store.update(this.info, namespace, obj, 'status', !!opts?.dryRun) as T;
  }

  async patch(namespace: string | undefined, name: string, patchType: string, patch: string, opts?: UpdateRequest): Promise<T> {
    this.fake.record('patch', this.info, namespace, name);
    const old = this.store.get(this.info, namespace, name);
    const next = applyPatch(clone(old) as unknown as JsonObject, patchType, patch, {
      apiVersion: apiVersionOf(this.info),
      kind: this.info.kind,
      fieldManager: opts?.fieldManager,
      force: opts?.force,
    }) as unknown as KubeObject;
    // A patch is not a compare-and-swap unless it names a resourceVersion itself.
    if (next.metadata.resourceVersion === old.metadata.resourceVersion) delete next.metadata.resourceVersion;
    const mode: UpdateMode = opts?.subresource === 'status' ? 'status' : 'main';
    return this.store.update(this.info, namespace, next, mode, !!opts?.dryRun) as T;
  }

  async delete(namespace: string | undefined, name: string, opts?: DeleteRequest): Promise<DeleteOutcome<T>> {
    this.fake.record('delete', this.info, namespace, name);
    const { object, deleted } = this.store.delete(this.info, namespace, name, opts);
    return { object: object as T, deleted };
  }

  async deleteCollection(namespace: string | undefined, listOpts?: ListRequest, deleteOpts?: DeleteRequest): Promise<KubeList<T>> {
    this.fake.record('deletecollection', this.info, namespace);
    const items: T[] = [];
    for (const o of this.store.list(this.info, namespace, listOpts)) {
      items.push(this.store.delete(this.info, o.metadata.namespace, o.metadata.name ?? '', deleteOpts).object as T);
    }
    return this.listOf(items);
  }

  watch(namespace: string | undefined, opts?: WatchRequest): ClientWatch<T> {
    this.fake.record('watch', this.info, namespace);
    const queue: ApiWatchEvent<T>[] = [];
    let wake: (() => void) | undefined;
    let stopped = false;
    let failure: unknown;
    const store = this.store;
    const watcher: StoreWatcher = {
      info: this.info,
      namespace: this.info.namespaced ? namespace : undefined,
      opts,
      push: (ev) => {
        queue.push(ev as ApiWatchEvent<T>);
        wake?.();
      },
    };
    try {
      store.watch(watcher);
    } catch (err) {
      failure = err; // thrown from next(), as a watch ERROR event is
    }
    const stop = (): void => {
      stopped = true;
      store.unwatch(watcher);
      wake?.();
    };
    return {
      stop,
      [Symbol.asyncIterator](): AsyncIterator<ApiWatchEvent<T>> {
        return {
          async next(): Promise<IteratorResult<ApiWatchEvent<T>>> {
            if (failure !== undefined) {
              const err = failure;
              failure = undefined;
              stopped = true;
              throw err;
            }
            while (queue.length === 0 && !stopped) await new Promise<void>((r) => (wake = r));
            wake = undefined;
            if (queue.length > 0) return { done: false, value: queue.shift()! };
            return { done: true, value: undefined };
          },
          async return(): Promise<IteratorResult<ApiWatchEvent<T>>> {
            stop();
            return { done: true, value: undefined };
          },
        };
      },
    };
  }

  async getScale(namespace: string | undefined, name: string): Promise<Scale> {
    this.fake.record('getScale', this.info, namespace, name);
    return scaleOf(this.store.get(this.info, namespace, name));
  }

  async updateScale(namespace: string | undefined, name: string, scale: Scale, opts?: WriteOptions): Promise<Scale> {
    this.fake.record('updateScale', this.info, namespace, name);
    const o = clone(this.store.get(this.info, namespace, name));
    o.spec = { ...(o.spec ?? {}), replicas: scale.spec?.replicas ?? 0 };
    o.metadata.resourceVersion = scale.metadata.resourceVersion; // CAS only when the Scale names a version
    return scaleOf(this.store.update(this.info, namespace, o, 'main', !!opts?.dryRun));
  }

  async bind(namespace: string | undefined, name: string, binding: KubeObject, opts?: WriteOptions): Promise<KubeObject> {
    this.fake.record('bind', this.info, namespace, name);
    const target = (binding as { target?: { name?: string } }).target?.name;
    if (target) {
      const o = clone(this.store.get(this.info, namespace, name));
      o.spec = { ...(o.spec ?? {}), nodeName: target };
      delete o.metadata.resourceVersion;
      this.store.update(this.info, namespace, o, 'main', !!opts?.dryRun);
    }
    return binding;
  }

  /** Records the call and deletes the pod (the fake keeps no budgets: every eviction is allowed). */
  async evict(namespace: string | undefined, name: string): Promise<void> {
    this.fake.record('evict', this.info, namespace, name);
    await this.delete(namespace, name);
  }

  /**
   * Records the call and answers a TokenRequest whose token is `fake-token:<ns>/<name>:<n>`
   * (n counts the tokens issued), expiring spec.expirationSeconds (default 3600) from now.
   */
  async createToken(namespace: string | undefined, name: string, tokenRequest: KubeObject): Promise<KubeObject> {
    this.fake.record('createToken', this.info, namespace, name);
    this.store.get(this.info, namespace, name);
    const spec = (tokenRequest as { spec?: { expirationSeconds?: number } }).spec ?? {};
    const expires = new Date(this.fake.now().getTime() + (spec.expirationSeconds ?? 3600) * 1000);
    const token = `fake-token:${namespace}/${name}:${++this.fake.tokensIssued}`;
    return { ...clone(tokenRequest), apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: { name, namespace }, status: { token, expirationTimestamp: expires.toISOString().replace(/\.\d{3}Z$/, 'Z') } } as KubeObject;
  }

  async finalize(name: string, obj: T, opts?: WriteOptions): Promise<T> {
    this.fake.record('finalize', this.info, undefined, name);
    const o = clone(this.store.get(this.info, undefined, name));
    o.spec = { ...(o.spec ?? {}), finalizers: (obj.spec as { finalizers?: string[] } | undefined)?.finalizers ?? [] };
    o.metadata.resourceVersion = obj.metadata.resourceVersion;
    return this.store.update(this.info, undefined, o, 'main', !!opts?.dryRun) as T;
  }

  private listOf(items: T[]): KubeList<T> {
    return { apiVersion: apiVersionOf(this.info), kind: `${this.info.kind}List`, metadata: { resourceVersion: this.store.currentRv() }, items };
  }
}

function scaleOf(o: KubeObject): Scale {
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: { name: o.metadata.name, namespace: o.metadata.namespace, resourceVersion: o.metadata.resourceVersion, uid: o.metadata.uid },
    spec: { replicas: typeof o.spec?.replicas === 'number' ? o.spec.replicas : 1 },
    status: { replicas: typeof o.status?.replicas === 'number' ? (o.status.replicas as number) : 0, ...scaleSelectorOf(o) },
  };
}

/** The Scale's status.selector: the object's spec.selector as a selector string (none when it has none or a bad one). */
function scaleSelectorOf(o: KubeObject): { selector?: string } {
  const ls = o.spec?.selector as LabelSelector | undefined;
  if (!ls || typeof ls !== 'object') return {};
  try {
    return { selector: selectorFromLabelSelector(ls).toString() };
  } catch {
    return {};
  }
}
