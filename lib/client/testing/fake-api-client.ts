/**
 * An in-memory ApiClient for tests (CLI, controllers, the event recorder): objects kept per
 * resource, namespace and name, a global resourceVersion counter, label and field selectors,
 * watches fed from every write, the scale subresource on `spec.replicas`, and a log of the
 * calls made. No sockets, no timers.
 */
import { AlreadyExistsError, ApiError, ConflictError, NotFoundError } from '../../api/errors';
import { parseFieldSelector } from '../../api/field-selector';
import { parseLabelSelector } from '../../api/label-selector';
import type { KubeList, KubeObject, ResourceInfo } from '../../api/object';
import { apiVersionOf } from '../../api/object';
import { applyMergePatch } from '../../api/patch/json-merge-patch';
import type { JsonValue } from '../../api/patch/json-value';
import type { ApiWatchEvent, DeleteOutcome, DeleteRequest, ListRequest, Scale, UpdateRequest, WatchRequest, WriteOptions } from '../../api/requests';
import type { ApiClient, ClientWatch, ResourceClient, ServedResource } from '../api-client';

const STANDARD_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function served(
  group: string,
  version: string,
  kind: string,
  resource: string,
  namespaced: boolean,
  shortNames: string[],
  categories: string[],
  subresources: ServedResource['subresources'] = [],
): ServedResource {
  return { group, version, kind, resource, singular: kind.toLowerCase(), namespaced, shortNames, categories, verbs: STANDARD_VERBS, subresources };
}

/** The resources a Bosun apiserver serves, as discovery reports them. */
export const DEFAULT_SERVED_RESOURCES: readonly ServedResource[] = [
  served('', 'v1', 'Pod', 'pods', true, ['po'], ['all'], ['status', 'binding', 'eviction']),
  served('', 'v1', 'Service', 'services', true, ['svc'], ['all'], ['status']),
  served('', 'v1', 'Namespace', 'namespaces', false, ['ns'], [], ['status']),
  served('', 'v1', 'Node', 'nodes', false, ['no'], [], ['status']),
  served('', 'v1', 'ConfigMap', 'configmaps', true, ['cm'], []),
  served('', 'v1', 'Secret', 'secrets', true, [], []),
  served('', 'v1', 'Endpoints', 'endpoints', true, ['ep'], []),
  served('', 'v1', 'Event', 'events', true, ['ev'], []),
  served('', 'v1', 'ServiceAccount', 'serviceaccounts', true, ['sa'], []),
  served('', 'v1', 'PersistentVolume', 'persistentvolumes', false, ['pv'], [], ['status']),
  served('', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, ['pvc'], [], ['status']),
  served('apps', 'v1', 'Deployment', 'deployments', true, ['deploy'], ['all'], ['status', 'scale']),
  served('apps', 'v1', 'ReplicaSet', 'replicasets', true, ['rs'], ['all'], ['status', 'scale']),
  served('apps', 'v1', 'DaemonSet', 'daemonsets', true, ['ds'], ['all'], ['status']),
  served('apps', 'v1', 'StatefulSet', 'statefulsets', true, ['sts'], ['all'], ['status', 'scale']),
  served('batch', 'v1', 'Job', 'jobs', true, [], ['all'], ['status']),
  served('batch', 'v1', 'CronJob', 'cronjobs', true, ['cj'], ['all'], ['status']),
  served('autoscaling', 'v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', true, ['hpa'], ['all'], ['status']),
  served('coordination.k8s.io', 'v1', 'Lease', 'leases', true, [], []),
  served('scheduling.k8s.io', 'v1', 'PriorityClass', 'priorityclasses', false, ['pc'], []),
  served('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true, ['pdb'], [], ['status']),
  served('rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true, [], []),
  served('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true, [], []),
  served('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false, [], []),
  served('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false, [], []),
];

/** One recorded call: `verb resource[/namespace][/name]`, e.g. `update deployments/default/web`. */
export type FakeCall = string;

interface Waiter {
  info: ResourceInfo;
  namespace: string | undefined;
  opts: WatchRequest | undefined;
  push(ev: ApiWatchEvent): void;
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** The value at a dotted path of `obj` as a field-selector string. */
function fieldValue(obj: unknown, dotted: string): string | undefined {
  let cur: unknown = obj;
  for (const part of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null) return '';
  return typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
}

/** Whether `obj` matches the label and field selectors of `opts`. */
function selectorsMatch(obj: KubeObject, opts: ListRequest | WatchRequest | undefined): boolean {
  if (opts?.labelSelector && !parseLabelSelector(opts.labelSelector).matches(obj.metadata.labels ?? {})) return false;
  if (opts?.fieldSelector) {
    const fields = parseFieldSelector(opts.fieldSelector);
    const values: Record<string, string | undefined> = {};
    for (const t of fields.terms) values[t.field] = fieldValue(obj, t.field);
    if (!fields.matches(values)) return false;
  }
  return true;
}

/** The in-memory ApiClient. */
export class FakeApiClient implements ApiClient {
  /** Every call made, in order (see {@link FakeCall}). */
  readonly calls: FakeCall[] = [];
  /** Set once close() was called. */
  closed = false;
  private readonly objects = new Map<string, KubeObject>();
  private readonly waiters = new Set<Waiter>();
  private rv = 100;
  private readonly failures: { verb: string; err: ApiError }[] = [];

  constructor(
    readonly resources: readonly ServedResource[] = DEFAULT_SERVED_RESOURCES,
    private readonly now: () => Date = () => new Date('2024-01-01T00:00:00Z'),
  ) {}

  async discover(): Promise<ServedResource[]> {
    this.calls.push('discover');
    const i = this.failures.findIndex((f) => f.verb === 'discover');
    if (i >= 0) throw this.failures.splice(i, 1)[0]!.err;
    return this.resources.map((r) => ({ ...r }));
  }

  resource<T extends KubeObject = KubeObject>(info: ResourceInfo): ResourceClient<T> {
    return new FakeResourceClient<T>(this, info);
  }

  close(): void {
    this.closed = true;
  }

  /** Makes the next call of `verb` (create, update, get, …) fail with `err`. */
  failNext(verb: string, err: ApiError): void {
    this.failures.push({ verb, err });
  }

  /** The info of the served resource of `kind` (test helper). */
  infoOf(kind: string): ServedResource {
    const r = this.resources.find((x) => x.kind === kind);
    if (!r) throw new Error(`fake: no served kind ${kind}`);
    return r;
  }

  /** Stores `obj` directly (as a controller would have), filling uid, resourceVersion and timestamps. */
  seed(obj: KubeObject): KubeObject {
    const info = this.infoOf(String(obj.kind));
    const ns = info.namespaced ? (obj.metadata.namespace ?? 'default') : undefined;
    return this.doCreate(info, ns, obj, false);
  }

  /** The stored object, or undefined (test helper). */
  peek(kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const info = this.infoOf(kind);
    const o = this.objects.get(this.key(info, namespace, name));
    return o ? clone(o) : undefined;
  }

  // ---- internals used by FakeResourceClient ----

  record(verb: string, info: ResourceInfo, namespace: string | undefined, name?: string): void {
    const ns = info.namespaced ? namespace : undefined;
    this.calls.push([`${verb} ${info.resource}`, ns, name].filter((p) => p !== undefined && p !== '').join('/'));
    const i = this.failures.findIndex((f) => f.verb === verb);
    if (i >= 0) {
      const [f] = this.failures.splice(i, 1);
      throw f!.err;
    }
  }

  key(info: ResourceInfo, namespace: string | undefined, name: string): string {
    return `${info.group}/${info.resource}/${info.namespaced ? (namespace ?? '') : ''}/${name}`;
  }

  nextRv(): string {
    this.rv += 1;
    return String(this.rv);
  }

  currentRv(): string {
    return String(this.rv);
  }

  notify(info: ResourceInfo, type: ApiWatchEvent['type'], obj: KubeObject): void {
    for (const w of this.waiters) {
      if (w.info.group !== info.group || w.info.resource !== info.resource) continue;
      if (info.namespaced && w.namespace && w.namespace !== obj.metadata.namespace) continue;
      if (!selectorsMatch(obj, w.opts)) continue;
      w.push({ type, object: clone(obj) });
    }
  }

  addWaiter(w: Waiter): void {
    this.waiters.add(w);
  }

  removeWaiter(w: Waiter): void {
    this.waiters.delete(w);
  }

  doCreate(info: ResourceInfo, namespace: string | undefined, obj: KubeObject, dryRun: boolean): KubeObject {
    const o = clone(obj);
    o.apiVersion = apiVersionOf(info);
    o.kind = info.kind;
    o.metadata = o.metadata ?? {};
    if (!o.metadata.name && o.metadata.generateName) o.metadata.name = `${o.metadata.generateName}${(this.rv + 1).toString(36)}`;
    const name = o.metadata.name ?? '';
    if (info.namespaced) o.metadata.namespace = namespace ?? o.metadata.namespace ?? 'default';
    else delete o.metadata.namespace;
    const key = this.key(info, o.metadata.namespace, name);
    if (this.objects.has(key)) throw new AlreadyExistsError(info.resource, info.group, name);
    o.metadata.uid = `uid-${info.resource}-${name}`;
    o.metadata.creationTimestamp = this.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
    o.metadata.generation = 1;
    o.metadata.resourceVersion = dryRun ? undefined : this.nextRv();
    if (dryRun) return o;
    this.objects.set(key, o);
    this.notify(info, 'ADDED', o);
    return clone(o);
  }

  getStored(info: ResourceInfo, namespace: string | undefined, name: string): KubeObject {
    const o = this.objects.get(this.key(info, namespace, name));
    if (!o) throw new NotFoundError(info.resource, info.group, name);
    return o;
  }

  doUpdate(info: ResourceInfo, namespace: string | undefined, obj: KubeObject, dryRun: boolean): KubeObject {
    const name = obj.metadata?.name ?? '';
    const old = this.getStored(info, namespace, name);
    const rv = obj.metadata.resourceVersion;
    if (rv && rv !== old.metadata.resourceVersion) throw new ConflictError(info.resource, info.group, name);
    const o = clone(obj);
    o.apiVersion = apiVersionOf(info);
    o.kind = info.kind;
    o.metadata = { ...o.metadata, uid: old.metadata.uid, creationTimestamp: old.metadata.creationTimestamp, namespace: old.metadata.namespace };
    if (!info.namespaced) delete o.metadata.namespace;
    const specChanged = JSON.stringify(o.spec) !== JSON.stringify(old.spec);
    o.metadata.generation = (old.metadata.generation ?? 1) + (specChanged ? 1 : 0);
    if (dryRun) return o;
    o.metadata.resourceVersion = this.nextRv();
    this.objects.set(this.key(info, namespace, name), o);
    this.notify(info, 'MODIFIED', o);
    return clone(o);
  }

  doDelete(info: ResourceInfo, namespace: string | undefined, name: string, dryRun: boolean): KubeObject {
    const old = this.getStored(info, namespace, name);
    if (dryRun) return clone(old);
    this.objects.delete(this.key(info, namespace, name));
    const gone = clone(old);
    gone.metadata.resourceVersion = this.nextRv();
    this.notify(info, 'DELETED', gone);
    return gone;
  }

  doList(info: ResourceInfo, namespace: string | undefined, opts: ListRequest | WatchRequest | undefined): KubeObject[] {
    const prefix = `${info.group}/${info.resource}/${info.namespaced && namespace ? namespace : ''}`;
    const out: KubeObject[] = [];
    for (const [k, o] of [...this.objects.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (!k.startsWith(`${info.group}/${info.resource}/`)) continue;
      if (info.namespaced && namespace && !k.startsWith(`${prefix}/`)) continue;
      if (!selectorsMatch(o, opts)) continue;
      out.push(clone(o));
    }
    return out;
  }
}

class FakeResourceClient<T extends KubeObject> implements ResourceClient<T> {
  constructor(
    private readonly fake: FakeApiClient,
    readonly info: ResourceInfo,
  ) {}

  async create(namespace: string | undefined, obj: T, opts?: WriteOptions): Promise<T> {
    this.fake.record('create', this.info, namespace, obj.metadata?.name);
    return this.fake.doCreate(this.info, namespace, obj, !!opts?.dryRun) as T;
  }

  async get(namespace: string | undefined, name: string): Promise<T> {
    this.fake.record('get', this.info, namespace, name);
    return clone(this.fake.getStored(this.info, namespace, name)) as T;
  }

  async list(namespace: string | undefined, opts?: ListRequest): Promise<KubeList<T>> {
    this.fake.record('list', this.info, namespace);
    return {
      apiVersion: apiVersionOf(this.info),
      kind: `${this.info.kind}List`,
      metadata: { resourceVersion: this.fake.currentRv() },
      items: this.fake.doList(this.info, namespace, opts) as T[],
    };
  }

  async update(namespace: string | undefined, obj: T, opts?: WriteOptions): Promise<T> {
    this.fake.record('update', this.info, namespace, obj.metadata?.name);
    return this.fake.doUpdate(this.info, namespace, obj, !!opts?.dryRun) as T;
  }

  async updateStatus(namespace: string | undefined, obj: T, opts?: WriteOptions): Promise<T> {
    this.fake.record('updateStatus', this.info, namespace, obj.metadata?.name);
    const old = this.fake.getStored(this.info, namespace, obj.metadata.name ?? '');
    return this.fake.doUpdate(this.info, namespace, { ...clone(old), status: obj.status, metadata: { ...old.metadata, resourceVersion: obj.metadata.resourceVersion } }, !!opts?.dryRun) as T;
  }

  async patch(namespace: string | undefined, name: string, patchType: string, patch: string, opts?: UpdateRequest): Promise<T> {
    this.fake.record('patch', this.info, namespace, name);
    if (patchType !== 'application/merge-patch+json') throw new ApiError(415, 'UnsupportedMediaType', `fake: patch type ${patchType} not supported`);
    const old = clone(this.fake.getStored(this.info, namespace, name));
    const next = applyMergePatch(old as unknown as JsonValue, JSON.parse(patch) as JsonValue) as unknown as KubeObject;
    return this.fake.doUpdate(this.info, namespace, next, !!opts?.dryRun) as T;
  }

  async delete(namespace: string | undefined, name: string, opts?: DeleteRequest): Promise<DeleteOutcome<T>> {
    this.fake.record('delete', this.info, namespace, name);
    return { object: this.fake.doDelete(this.info, namespace, name, !!opts?.dryRun) as T, deleted: true };
  }

  /** Deletes every object matching the list options (deletecollection). */
  async deleteCollection(namespace: string | undefined, listOpts?: ListRequest, deleteOpts?: DeleteRequest): Promise<KubeList<T>> {
    const list = await this.list(namespace, listOpts);
    const items = list.items.map((o) => this.fake.doDelete(this.info, o.metadata.namespace, o.metadata.name ?? '', !!deleteOpts?.dryRun) as T);
    return { ...list, items };
  }

  watch(namespace: string | undefined, opts?: WatchRequest): ClientWatch<T> {
    this.fake.record('watch', this.info, namespace);
    const queue: ApiWatchEvent<T>[] = [];
    let wake: (() => void) | undefined;
    let stopped = false;
    const fake = this.fake;
    const waiter: Waiter = {
      info: this.info,
      namespace: this.info.namespaced ? namespace : undefined,
      opts,
      push: (ev) => {
        queue.push(ev as ApiWatchEvent<T>);
        wake?.();
      },
    };
    if (!opts?.resourceVersion || opts.resourceVersion === '0') {
      for (const o of fake.doList(this.info, namespace, opts)) queue.push({ type: 'ADDED', object: o as T });
    }
    fake.addWaiter(waiter);
    const stop = (): void => {
      stopped = true;
      fake.removeWaiter(waiter);
      wake?.();
    };
    return {
      stop,
      [Symbol.asyncIterator](): AsyncIterator<ApiWatchEvent<T>> {
        return {
          async next(): Promise<IteratorResult<ApiWatchEvent<T>>> {
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
    const o = this.fake.getStored(this.info, namespace, name);
    return scaleOf(o);
  }

  async updateScale(namespace: string | undefined, name: string, scale: Scale, opts?: WriteOptions): Promise<Scale> {
    this.fake.record('updateScale', this.info, namespace, name);
    const o = clone(this.fake.getStored(this.info, namespace, name));
    if (scale.metadata.resourceVersion && scale.metadata.resourceVersion !== o.metadata.resourceVersion) {
      throw new ConflictError(this.info.resource, this.info.group, name);
    }
    o.spec = { ...(o.spec ?? {}), replicas: scale.spec?.replicas ?? 0 };
    delete o.metadata.resourceVersion;
    return scaleOf(this.fake.doUpdate(this.info, namespace, o, !!opts?.dryRun));
  }

  async bind(namespace: string | undefined, name: string, binding: KubeObject): Promise<KubeObject> {
    this.fake.record('bind', this.info, namespace, name);
    return binding;
  }

  /** Records the call and deletes the pod (the fake keeps no budgets: every eviction is allowed). */
  async evict(namespace: string | undefined, name: string): Promise<void> {
    this.fake.record('evict', this.info, namespace, name);
    await this.delete(namespace, name);
  }

  async finalize(name: string, obj: T, opts?: WriteOptions): Promise<T> {
    this.fake.record('finalize', this.info, undefined, name);
    const o = clone(this.fake.getStored(this.info, undefined, name));
    o.spec = { ...(o.spec ?? {}), finalizers: (obj.spec as { finalizers?: string[] } | undefined)?.finalizers ?? [] };
    delete o.metadata.resourceVersion;
    return this.fake.doUpdate(this.info, undefined, o, !!opts?.dryRun) as T;
  }
}

function scaleOf(o: KubeObject): Scale {
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: { name: o.metadata.name, namespace: o.metadata.namespace, resourceVersion: o.metadata.resourceVersion, uid: o.metadata.uid },
    spec: { replicas: typeof o.spec?.replicas === 'number' ? o.spec.replicas : 1 },
    status: { replicas: typeof o.status?.replicas === 'number' ? (o.status.replicas as number) : 0 },
  };
}
