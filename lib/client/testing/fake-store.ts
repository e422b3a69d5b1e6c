/**
 * The in-memory object store behind {@link FakeApiClient}: what the apiserver's generic registry
 * does to objects, minus validation and defaulting, so controller tests see the same object
 * lifecycle as against a real server.
 *
 * - One global resourceVersion counter; every write takes the next value and is appended to an
 *   event history, so a watch from resourceVersion N replays every later event (and a version
 *   older than {@link FakeStore.compact}'s answers 410 Gone, as a compacted store does).
 * - Create fills uid (unique per incarnation), creationTimestamp, generation 1 and a name from
 *   generateName; an existing name is 409 AlreadyExists.
 * - Update is compare-and-swap when metadata.resourceVersion is set (409 Conflict), a
 *   metadata.uid that differs from the stored one is a failed precondition (409), generation
 *   moves only when spec changes, and for resources with a status subresource a plain update
 *   keeps the stored status while a status update keeps everything but status.
 * - Delete of an object with finalizers (for namespaces also spec.finalizers) only sets
 *   deletionTimestamp (outcome `deleted: false`); Foreground and Orphan propagation add the
 *   `foregroundDeletion` / `orphan` finalizer as the apiserver does; an update that removes the
 *   last finalizer of an object being deleted deletes it. Preconditions (uid, resourceVersion)
 *   are checked.
 * - ownerReferences and every other field are stored exactly as given.
 */
import { finalizersForDeletion, type PropagationPolicy } from '../../api/deletion-propagation';
import { AlreadyExistsError, ConflictError, GoneError, NotFoundError } from '../../api/errors';
import { parseFieldSelector } from '../../api/field-selector';
import { parseLabelSelector } from '../../api/label-selector';
import type { KubeObject, ResourceInfo } from '../../api/object';
import { apiVersionOf } from '../../api/object';
import type { ApiWatchEvent, DeleteRequest, ListRequest, WatchRequest } from '../../api/requests';

/** The resourceVersion the fake starts counting from. */
export const FAKE_INITIAL_RESOURCE_VERSION = 100;
export { FOREGROUND_FINALIZER, ORPHAN_FINALIZER } from '../../api/deletion-propagation';

/** A deep copy through JSON (objects handed in and out are never shared with the store). */
export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
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
export function selectorsMatch(obj: KubeObject, opts: ListRequest | WatchRequest | undefined): boolean {
  if (opts?.labelSelector && !parseLabelSelector(opts.labelSelector).matches(obj.metadata.labels ?? {})) return false;
  if (opts?.fieldSelector) {
    const fields = parseFieldSelector(opts.fieldSelector);
    const values: Record<string, string | undefined> = {};
    for (const t of fields.terms) values[t.field] = fieldValue(obj, t.field);
    if (!fields.matches(values)) return false;
  }
  return true;
}

/** One write as a watch reports it, with the resourceVersion it was made at. */
interface HistoryEvent {
  readonly rv: number;
  readonly resource: string;
  readonly type: ApiWatchEvent['type'];
  readonly object: KubeObject;
  /** The state before a MODIFIED. */
  readonly old?: KubeObject;
}

/** A live watch: where it looks and where its events go. */
export interface StoreWatcher {
  readonly info: ResourceInfo;
  /** Only this namespace (undefined: all). */
  readonly namespace: string | undefined;
  readonly opts: WatchRequest | undefined;
  push(ev: ApiWatchEvent): void;
}

/** How an update treats status (see the file comment). */
export type UpdateMode = 'main' | 'status' | 'any';

/** The in-memory store. See the file comment for its rules. */
export class FakeStore {
  private readonly objects = new Map<string, KubeObject>();
  private readonly history: HistoryEvent[] = [];
  private readonly watchers = new Set<StoreWatcher>();
  private readonly usedUids = new Set<string>();
  private rv = FAKE_INITIAL_RESOURCE_VERSION;
  /** Events at or below this version are gone from the history. */
  private compactedRv = FAKE_INITIAL_RESOURCE_VERSION;
  private nameSeq = 0;

  constructor(
    private readonly now: () => Date,
    /** Whether a resource serves the status subresource (then plain updates keep status). */
    private readonly hasStatus: (info: ResourceInfo) => boolean,
  ) {}

  /** The newest resourceVersion. */
  currentRv(): string {
    return String(this.rv);
  }

  /** Forgets the event history up to now: watches from older versions get 410 Gone. */
  compact(): void {
    this.history.length = 0;
    this.compactedRv = this.rv;
  }

  /** The stored object (the store's own copy: do not mutate); NotFound when absent. */
  get(info: ResourceInfo, namespace: string | undefined, name: string): KubeObject {
    const o = this.objects.get(this.key(info, namespace, name));
    if (!o) throw new NotFoundError(info.resource, info.group, name);
    return o;
  }

  /** Copies of the objects of `info` in `namespace` (all when undefined) matching the selectors, by key. */
  list(info: ResourceInfo, namespace: string | undefined, opts: ListRequest | WatchRequest | undefined): KubeObject[] {
    const prefix = `${info.group}/${info.resource}/${info.namespaced && namespace ? `${namespace}/` : ''}`;
    const out: KubeObject[] = [];
    for (const [k, o] of [...this.objects.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (k.startsWith(prefix) && selectorsMatch(o, opts)) out.push(clone(o));
    }
    return out;
  }

  create(info: ResourceInfo, namespace: string | undefined, obj: KubeObject, dryRun: boolean): KubeObject {
    const o = clone(obj);
    o.apiVersion = apiVersionOf(info);
    o.kind = info.kind;
    o.metadata = o.metadata ?? {};
    if (!o.metadata.name && o.metadata.generateName) o.metadata.name = `${o.metadata.generateName}${this.nextNameSuffix()}`;
    const name = o.metadata.name ?? '';
    if (info.namespaced) o.metadata.namespace = namespace ?? o.metadata.namespace ?? 'default';
    else delete o.metadata.namespace;
    const key = this.key(info, o.metadata.namespace, name);
    if (this.objects.has(key)) throw new AlreadyExistsError(info.resource, info.group, name);
    o.metadata.uid = this.newUid(info, name, dryRun);
    o.metadata.creationTimestamp = this.timestamp();
    o.metadata.generation = 1;
    delete o.metadata.deletionTimestamp;
    if (dryRun) {
      delete o.metadata.resourceVersion;
      return o;
    }
    o.metadata.resourceVersion = this.nextRv();
    this.objects.set(key, o);
    this.emit(info, 'ADDED', o);
    return clone(o);
  }

  /**
   * Replaces the stored object with `obj` under the rules of the file comment; `mode` says
   * which parts may change. Removing the last finalizer of an object being deleted deletes it.
   */
  update(info: ResourceInfo, namespace: string | undefined, obj: KubeObject, mode: UpdateMode, dryRun: boolean): KubeObject {
    const name = obj.metadata?.name ?? '';
    const old = this.get(info, namespace, name);
    const rv = obj.metadata.resourceVersion;
    if (rv && rv !== old.metadata.resourceVersion) throw new ConflictError(info.resource, info.group, name);
    if (obj.metadata.uid && obj.metadata.uid !== old.metadata.uid) {
      throw new ConflictError(info.resource, info.group, name, `Precondition failed: UID in precondition: ${obj.metadata.uid}, UID in object meta: ${old.metadata.uid ?? ''}`);
    }
    let o = clone(obj);
    const statusSplit = this.hasStatus(info) && mode !== 'any';
    if (statusSplit && mode === 'main') o.status = clone(old.status);
    if (statusSplit && mode === 'status') o = { ...clone(old), status: clone(obj.status) };
    o.apiVersion = apiVersionOf(info);
    o.kind = info.kind;
    o.metadata = {
      ...o.metadata,
      uid: old.metadata.uid,
      creationTimestamp: old.metadata.creationTimestamp,
      deletionTimestamp: old.metadata.deletionTimestamp,
      namespace: old.metadata.namespace,
    };
    if (o.metadata.deletionTimestamp === undefined) delete o.metadata.deletionTimestamp;
    if (!info.namespaced) delete o.metadata.namespace;
    if (o.status === undefined) delete o.status;
    const specChanged = JSON.stringify(o.spec) !== JSON.stringify(old.spec);
    o.metadata.generation = (old.metadata.generation ?? 1) + (specChanged ? 1 : 0);
    if (dryRun) return o;
    o.metadata.resourceVersion = this.nextRv();
    if (o.metadata.deletionTimestamp && pendingFinalizers(info, o).length === 0) return this.remove(info, o);
    this.objects.set(this.key(info, namespace, name), o);
    this.emit(info, 'MODIFIED', o, old);
    return clone(o);
  }

  /** Deletes (or marks for deletion) the object; see the file comment. */
  delete(info: ResourceInfo, namespace: string | undefined, name: string, opts: DeleteRequest | undefined): { object: KubeObject; deleted: boolean } {
    const old = this.get(info, namespace, name);
    const pre = opts?.preconditions;
    if (pre?.uid !== undefined && pre.uid !== old.metadata.uid) {
      throw new ConflictError(info.resource, info.group, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid ?? ''}`);
    }
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== old.metadata.resourceVersion) {
      throw new ConflictError(info.resource, info.group, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion ?? ''}`);
    }
    const o = clone(old);
    const policy = opts?.propagationPolicy ?? (opts?.orphanDependents === true ? 'Orphan' : opts?.orphanDependents === false ? 'Background' : undefined);
    const finalizers = finalizersForDeletion(o.metadata.finalizers ?? [], policy as PropagationPolicy | undefined);
    if (finalizers.length > 0) o.metadata.finalizers = finalizers;
    else delete o.metadata.finalizers;
    if (pendingFinalizers(info, o).length === 0) {
      if (opts?.dryRun) return { object: o, deleted: true };
      return { object: this.remove(info, o), deleted: true };
    }
    if (opts?.dryRun) return { object: o, deleted: false };
    if (o.metadata.deletionTimestamp && JSON.stringify(o) === JSON.stringify(old)) return { object: clone(old), deleted: false };
    o.metadata.deletionTimestamp ??= this.timestamp();
    o.metadata.deletionGracePeriodSeconds ??= 0;
    if (info.group === '' && info.resource === 'namespaces') o.status = { ...(o.status ?? {}), phase: 'Terminating' };
    o.metadata.resourceVersion = this.nextRv();
    this.objects.set(this.key(info, namespace, name), o);
    this.emit(info, 'MODIFIED', o, old);
    return { object: clone(o), deleted: false };
  }

  /** Registers a watch: first the events it must replay (from `opts.resourceVersion`), then live ones. */
  watch(w: StoreWatcher): void {
    const from = w.opts?.resourceVersion;
    if (!from || from === '0') {
      for (const o of this.list(w.info, w.namespace, w.opts)) w.push({ type: 'ADDED', object: o });
    } else {
      const rv = Number(from);
      if (!Number.isInteger(rv)) throw new GoneError(`invalid resourceVersion ${JSON.stringify(from)}`);
      if (rv < this.compactedRv) throw new GoneError(`too old resource version: ${rv} (${this.compactedRv})`);
      for (const e of this.history) if (e.rv > rv) this.deliver(w, e);
    }
    this.watchers.add(w);
  }

  /** Ends a watch. */
  unwatch(w: StoreWatcher): void {
    this.watchers.delete(w);
  }

  private remove(info: ResourceInfo, o: KubeObject): KubeObject {
    this.objects.delete(this.key(info, o.metadata.namespace, o.metadata.name ?? ''));
    const gone = clone(o);
    gone.metadata.resourceVersion = this.nextRv();
    this.emit(info, 'DELETED', gone);
    return clone(gone);
  }

  private emit(info: ResourceInfo, type: ApiWatchEvent['type'], obj: KubeObject, old?: KubeObject): void {
    const resource = `${info.group}/${info.resource}`;
    const event: HistoryEvent = { rv: this.rv, resource, type, object: clone(obj), old: old && clone(old) };
    this.history.push(event);
    for (const w of this.watchers) this.deliver(w, event);
  }

  /**
   * Sends `e` to `w` as the apiserver's watch cache would: a MODIFIED that moves the object into
   * the watcher's selectors is an ADDED, one that moves it out is a DELETED.
   */
  private deliver(w: StoreWatcher, e: HistoryEvent): void {
    const now = this.wants(w, e.resource, e.object);
    const before = e.type === 'MODIFIED' && e.old !== undefined ? this.wants(w, e.resource, e.old) : now;
    if (!now && !before) return;
    const type = e.type !== 'MODIFIED' || now === before ? e.type : now ? 'ADDED' : 'DELETED';
    w.push({ type, object: clone(e.object) });
  }

  private wants(w: StoreWatcher, resource: string, obj: KubeObject): boolean {
    if (`${w.info.group}/${w.info.resource}` !== resource) return false;
    if (w.info.namespaced && w.namespace && w.namespace !== obj.metadata.namespace) return false;
    return selectorsMatch(obj, w.opts);
  }

  private key(info: ResourceInfo, namespace: string | undefined, name: string): string {
    return `${info.group}/${info.resource}/${info.namespaced ? `${namespace ?? ''}/` : ''}${name}`;
  }

  private nextRv(): string {
    this.rv += 1;
    return String(this.rv);
  }

  /** Five lower-case alphanumerics, like the apiserver's generateName suffix (deterministic here). */
  private nextNameSuffix(): string {
    this.nameSeq += 1;
    return (this.nameSeq * 7919 + 10_000_000).toString(36).slice(-5);
  }

  /** `uid-<resource>-<name>` the first time, with a counter for later incarnations of the name. */
  private newUid(info: ResourceInfo, name: string, dryRun: boolean): string {
    const base = `uid-${info.resource}-${name}`;
    let uid = base;
    for (let n = 2; this.usedUids.has(uid); n++) uid = `${base}-${n}`;
    if (!dryRun) this.usedUids.add(uid);
    return uid;
  }

  private timestamp(): string {
    return this.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
}

/** The finalizers that keep `o` stored: metadata.finalizers, and for namespaces spec.finalizers. */
function pendingFinalizers(info: ResourceInfo, o: KubeObject): string[] {
  const meta = o.metadata.finalizers ?? [];
  if (info.group !== '' || info.resource !== 'namespaces') return meta;
  const spec = (o.spec as { finalizers?: string[] } | undefined)?.finalizers ?? [];
  return [...meta, ...spec];
}
