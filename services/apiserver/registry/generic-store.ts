import { randomUUID } from 'node:crypto';
import type { KeyValue } from '../../../gen/etcd/kv';
import {
  AlreadyExistsError,
  ApiError,
  BadRequestError,
  ConflictError,
  GoneError,
  InvalidError,
  NotFoundError,
  type FieldError,
} from '../../../lib/api/errors';
import { finalizersForDeletion } from '../../../lib/api/deletion-propagation';
import { apiVersionOf, type KubeList, type KubeObject } from '../../../lib/api/object';
import { ErrCompacted } from '../../../store/errors';
import { prefixRangeEnd, type StoreClient } from '../../../store/client';
import { decodeContinue, encodeContinue } from './continue-token';
import type { LeaseManager } from './lease-manager';
import { validateObjectMeta, validateObjectMetaUpdate } from '../../../lib/api/validation';
import { findProtoKind, type ProtoKind } from '../../../lib/api/proto/kinds';
import { withWarnings } from '../../../lib/api/warnings';
import { corruptObjectApiError, CorruptObjectError, decodeObject, deepCopy, rfc3339Seconds, sameStoredContent, skippedObjectWarning, storedValue, type DecodeOptions } from './object-codec';
import type { ValueTransformer } from '../encryption/value-transformer';
import { matchesFilter, type ObjectFilter } from './object-filter';
import { listPrefix, objectKey } from './storage-keys';
import { storeCall, toApiError } from './store-error-mapping';
import type { Strategy } from './strategy';

/** Random characters appended to metadata.generateName. */
export const GENERATED_NAME_SUFFIX_LENGTH = 5;
/** Longest generateName prefix kept (63 - suffix, as Kubernetes). */
export const MAX_GENERATE_NAME_PREFIX_LENGTH = 58;
/** Creates tried with fresh generated names before giving up on collisions. */
export const MAX_GENERATE_NAME_ATTEMPTS = 8;
/** Compare-and-swap attempts of an unconditional update, guaranteedUpdate or delete. */
export const MAX_CAS_ATTEMPTS = 16;
/** The first HTTP status code of a server-side failure. */
const SERVER_ERROR_CODE = 500;
/** Keys read per store range while filling a filtered page. */
export const LIST_READ_CHUNK = 500;

const NAME_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
/** Kubernetes' message for a continue token whose revision has been compacted. */
export const CONTINUE_EXPIRED_MESSAGE =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.';
/** Finalizers of Foreground and Orphan deletes (the garbage collector removes them). */
export { FOREGROUND_FINALIZER, ORPHAN_FINALIZER } from '../../../lib/api/deletion-propagation';

/** Constructor parameters of a GenericStore. */
export interface GenericStoreOptions<T extends KubeObject> {
  readonly client: StoreClient;
  readonly strategy: Strategy<T>;
  /** Wall clock for creation/deletion timestamps (default: new Date()). */
  readonly clock?: () => Date;
  /** New object UIDs (default crypto.randomUUID). */
  readonly uid?: () => string;
  /** Random source in [0, 1) for generated names (default Math.random). */
  readonly random?: () => number;
  /** Objects of this store expire (Kubernetes' TTLFunc, e.g. Events); absent: they live until deleted. */
  readonly expiry?: ObjectExpiry;
  /** How values are stored (encryption at rest); absent: plain JSON. */
  readonly transformer?: ValueTransformer;
  /**
   * The resource's watch cache copy of an object (frozen), if it holds one: updates start
   * from it instead of reading the store (see guaranteedUpdate). Ignored with a transformer
   * (a cached object does not say whether its stored value is stale).
   */
  readonly cached?: CachedObject<T>;
}

/** The watch cache's current copy of namespace/name, or undefined (see GenericStoreOptions.cached). */
export type CachedObject<T> = (namespace: string | undefined, name: string) => T | undefined;

/**
 * How the objects of a store expire: every write (create, update, a deletion mark) attaches the
 * object to a store lease from `leases` good for `ttlSeconds`, so the store deletes it by itself
 * once it has gone that long (plus the lease's reuse window) without a write.
 */
export interface ObjectExpiry {
  /** Seconds an object lives after its last write (a positive integer). */
  readonly ttlSeconds: number;
  readonly leases: LeaseManager;
}

/** Options of create. */
export interface CreateOptions {
  /** The namespace of the request path; must agree with metadata.namespace when both are set. */
  readonly namespace?: string;
  /** Run every step but the write. */
  readonly dryRun?: boolean;
}

/** Options of update. */
export interface UpdateOptions {
  readonly namespace?: string;
  /** 'status': only .status changes; spec and metadata are kept from the stored object. */
  readonly subresource?: 'status';
  readonly dryRun?: boolean;
}

/** Options of list. */
export interface ListOptions extends ObjectFilter {
  /** At most this many items per page (0 or absent: all). */
  readonly limit?: number;
  /** The token of the previous page. */
  readonly continue?: string;
  /** With resourceVersionMatch 'Exact': read at this revision. Otherwise the newest state is read (it is never older). */
  readonly resourceVersion?: string;
  readonly resourceVersionMatch?: 'Exact' | 'NotOlderThan';
}

/** Options of delete. */
export interface DeleteOptions {
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string };
  /** Recorded as metadata.deletionGracePeriodSeconds when the object waits for finalizers. */
  readonly gracePeriodSeconds?: number;
  /** Foreground adds the foregroundDeletion finalizer, Orphan the orphan finalizer. */
  readonly propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  readonly dryRun?: boolean;
  /** A stored value that cannot be decoded is removed as it is (no finalizers, no grace period). */
  readonly ignoreStoreReadErrorWithClusterBreakingPotential?: boolean;
  /**
   * Checks the object as stored before it is deleted (or marked), once the preconditions held;
   * throws to refuse. Called on every compare-and-swap attempt, with that attempt's object.
   */
  readonly validateDeletion?: (obj: KubeObject) => Promise<void>;
}

/** What delete did. */
export interface DeleteResult<T> {
  /** The last state when deleted; the object with deletionTimestamp when it waits for finalizers. */
  readonly object: T;
  /** True when the object is gone from the store. */
  readonly deleted: boolean;
}

/** An object read from the store with its mod revision. */
interface Stored<T> {
  readonly obj: T;
  readonly modRevision: number;
  /** Written by another provider than the one writes use now: an update rewrites it even unchanged. */
  readonly stale?: boolean;
  /** The watch cache's copy, which may be behind the store: only a successful write based on it counts. */
  readonly cached?: boolean;
}

/** Outcome of one compare-and-swap attempt. */
type Attempt<T> = { readonly done: true; readonly result: T; readonly written: boolean } | { readonly done: false; readonly current: Stored<T> | undefined };

/**
 * The one registry every kind is served by (Kubernetes' generic registry Store): names, uid,
 * timestamps, generation, resourceVersion (= the store's mod revision) and storage are handled
 * here for all kinds; the kind's Strategy does defaulting, validation and the spec/status split.
 * Every write is a compare-and-swap transaction, so several apiserver replicas can share one
 * store. Errors are ApiErrors only (store failures go through store-error-mapping).
 */
export class GenericStore<T extends KubeObject> {
  readonly strategy: Strategy<T>;
  private readonly client: StoreClient;
  private readonly clock: () => Date;
  private readonly newUid: () => string;
  private readonly random: () => number;
  /** The kind's protobuf schema: every stored object read must fit it (undefined: no schema). */
  private readonly schema: ProtoKind | undefined;
  private readonly transformer: ValueTransformer | undefined;
  private readonly expiry: ObjectExpiry | undefined;
  private readonly cached: CachedObject<T> | undefined;

  constructor(options: GenericStoreOptions<T>) {
    this.client = options.client;
    this.cached = options.transformer ? undefined : options.cached;
    this.expiry = options.expiry;
    this.strategy = options.strategy;
    this.schema = findProtoKind(apiVersionOf(options.strategy.info), options.strategy.info.kind);
    this.transformer = options.transformer;
    this.clock = options.clock ?? (() => new Date());
    this.newUid = options.uid ?? randomUUID;
    this.random = options.random ?? Math.random;
  }

  private get info() {
    return this.strategy.info;
  }

  private get decodeOptions(): DecodeOptions {
    return { schema: this.schema, transformer: this.transformer };
  }

  /**
   * Stores a new object: fills system metadata (uid, creationTimestamp, generation 1, a name
   * from generateName), runs the strategy's prepareForCreate and validate, and creates the key
   * only if absent. Returns the stored object with its resourceVersion.
   */
  async create(input: T, opts: CreateOptions = {}): Promise<T> {
    const obj = deepCopy(input);
    obj.metadata = obj.metadata ?? {};
    const meta = obj.metadata;
    this.settleNamespace(obj, opts.namespace);
    obj.apiVersion = apiVersionOf(this.info);
    obj.kind = this.info.kind;
    meta.uid = this.newUid();
    meta.creationTimestamp = rfc3339Seconds(this.clock());
    meta.generation = 1;
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    const generated = !meta.name && !!meta.generateName;
    // The strategy prepares and validates the object under its final name (a Job, say, copies
    // its name into labels), so a generated name that collides means preparing it again.
    const prepare = (name: string | undefined): T => {
      // Only a generated name may need preparing again, from the untouched object.
      const candidate = generated ? deepCopy(obj) : obj;
      if (name !== undefined) candidate.metadata.name = name;
      this.strategy.prepareForCreate(candidate);
      const metaErrors = validateObjectMeta(candidate.metadata, { namespaced: this.info.namespaced, nameValidator: this.strategy.nameValidator });
      this.validate(candidate, [...metaErrors, ...this.strategy.validate(candidate)]);
      return candidate;
    };
    let prepared = prepare(generated ? this.generateName(meta.generateName!) : undefined);
    if (opts.dryRun) return prepared;

    for (let attempt = 1; ; attempt++) {
      const name = prepared.metadata.name!;
      const write = await this.writeOptions();
      const key = objectKey(this.info, prepared.metadata.namespace, name);
      const res = await storeCall(() => this.client.createIfAbsent(key, storedValue(prepared, key, this.transformer), write));
      if (res.succeeded) return this.withVersion(prepared, res.revision);
      if (!generated || attempt >= MAX_GENERATE_NAME_ATTEMPTS) throw new AlreadyExistsError(this.info.resource, this.info.group, name);
      prepared = prepare(this.generateName(meta.generateName!));
    }
  }

  /** The stored object; NotFoundError when absent. */
  async get(namespace: string | undefined, name: string): Promise<T> {
    const stored = await this.read(namespace, name);
    if (!stored) throw this.notFound(name);
    return stored.obj;
  }

  /**
   * Lists objects under the namespace (or all), filtered by the selectors on the server,
   * paged by `limit` with a continue token that reads the following pages at the first page's
   * revision. metadata.resourceVersion is the revision the list shows. An expired continue
   * token (its revision compacted) is a GoneError.
   */
  async list(opts: ListOptions = {}): Promise<KubeList<T>> {
    const prefix = listPrefix(this.info, opts.namespace);
    const end = prefixRangeEnd(prefix);
    let start = prefix;
    let revision = 0;
    if (opts.continue) {
      const token = decodeContinue(opts.continue, prefix);
      start = token.start;
      revision = token.revision;
    } else if (opts.resourceVersionMatch === 'Exact' && opts.resourceVersion) {
      revision = parseResourceVersion(opts.resourceVersion);
    }
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    const filtered = !!(opts.labelSelector || opts.fieldSelector);
    const items: T[] = [];
    const skipped: string[] = [];
    let nextStart: string | undefined;
    let remaining: number | undefined;
    for (;;) {
      const want = limit === 0 ? 0 : filtered ? Math.max(LIST_READ_CHUNK, limit - items.length) : limit - items.length;
      const res = await this.readRange(start, end, revision, want, !!opts.continue);
      // The header carries the store's current revision even for a read at an older one.
      if (revision === 0) revision = res.revision;
      let lastKey: string | undefined;
      let index = 0;
      for (const kv of res.kvs) {
        index++;
        lastKey = kv.key.toString('utf8');
        const obj = this.decode(kv, skipped);
        if (obj && matchesFilter(obj, opts, this.strategy)) items.push(obj);
        if (limit > 0 && items.length >= limit) break;
      }
      const moreInStore = res.more || index < res.kvs.length;
      if (!moreInStore || lastKey === undefined) break;
      start = lastKey + '\u0000';
      if (limit > 0 && items.length >= limit) {
        nextStart = start;
        if (!filtered) remaining = res.count - index;
        break;
      }
    }
    const list: KubeList<T> = {
      apiVersion: apiVersionOf(this.info),
      kind: `${this.info.kind}List`,
      metadata: { resourceVersion: String(revision) },
      items,
    };
    if (nextStart !== undefined) {
      list.metadata.continue = encodeContinue({ start: nextStart, revision });
      if (remaining !== undefined && remaining > 0) list.metadata.remainingItemCount = remaining;
    }
    return withWarnings(list, skipped);
  }

  /**
   * Replaces an object. With metadata.resourceVersion set it is a compare-and-swap on it
   * (stale: ConflictError); without, the newest stored version is updated, retrying on races.
   * uid, name, namespace, creationTimestamp, generation and deletion fields are kept from the
   * stored object; the main resource keeps the stored status of kinds with a status
   * subresource, and the status subresource changes only status. Generation moves when the
   * strategy says the spec changed. An update identical to the stored object writes nothing
   * and returns it unchanged (same resourceVersion). Removing the last finalizer of an object
   * being deleted deletes it.
   */
  async update(input: T, opts: UpdateOptions = {}): Promise<T> {
    const obj = deepCopy(input);
    obj.metadata = obj.metadata ?? {};
    this.settleNamespace(obj, opts.namespace);
    const name = obj.metadata.name;
    if (!name) this.validate(obj, [{ type: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name is required' }]);
    const expectedRv = obj.metadata.resourceVersion || undefined;
    const ns = obj.metadata.namespace;
    let current = await this.readForWrite(ns, name!, opts.dryRun);
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      if (!current) throw this.notFound(name!);
      const from = current;
      const outcome = await this.fromStoreUnlessWritten(from, ns, name!, () => {
        if (expectedRv !== undefined && expectedRv !== String(from.modRevision)) throw this.conflict(name!);
        return this.tryUpdate(from, obj, opts);
      });
      if (outcome.done) return outcome.result;
      current = outcome.current;
    }
    throw this.conflict(name!, 'too many concurrent updates; please try again');
  }

  /**
   * Read-modify-write for patches and internal changes: reads the object, applies `mutate` to
   * a copy (it may throw an ApiError to refuse), and updates with a compare-and-swap, retrying
   * from a fresh read when another writer came first (at most MAX_CAS_ATTEMPTS times).
   */
  async guaranteedUpdate(
    namespace: string | undefined,
    name: string,
    mutate: (current: T) => T | Promise<T>,
    opts: Omit<UpdateOptions, 'namespace'> = {},
  ): Promise<T> {
    let current = await this.readForWrite(namespace, name, opts.dryRun);
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      if (!current) throw this.notFound(name);
      const from = current;
      const outcome = await this.fromStoreUnlessWritten(from, namespace, name, async () => {
        const mutated = await mutate(deepCopy(from.obj));
        const obj = deepCopy(mutated);
        obj.metadata = obj.metadata ?? {};
        obj.metadata.namespace = from.obj.metadata.namespace;
        obj.metadata.name = name;
        return this.tryUpdate(from, obj, opts);
      });
      if (outcome.done) return outcome.result;
      current = outcome.current;
    }
    throw this.conflict(name, 'too many concurrent updates; please try again');
  }

  /**
   * Deletes an object. Preconditions (uid, resourceVersion) that do not hold are a
   * ConflictError. A kind with graceful deletion (pods on a node) is only marked: deletionTimestamp
   * set the grace period ahead, `deleted: false`; a later delete with grace 0 removes it. An object with finalizers (after adding foregroundDeletion or orphan for
   * those propagation policies) is not removed: it gets deletionTimestamp (and
   * deletionGracePeriodSeconds) and is returned with `deleted: false`. Otherwise the key is
   * removed with a compare-and-swap on its revision and the last state is returned.
   */
  async delete(namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<DeleteResult<T>> {
    if (opts.ignoreStoreReadErrorWithClusterBreakingPotential) {
      const removed = await this.deleteIfCorrupt(namespace, name, opts.dryRun ?? false);
      if (removed) return removed;
    }
    let current = await this.read(namespace, name);
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      if (!current) throw this.notFound(name);
      const { obj, modRevision } = current;
      const pre = opts.preconditions;
      if (pre?.uid !== undefined && pre.uid !== obj.metadata.uid) {
        throw this.conflict(name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${obj.metadata.uid ?? ''}`);
      }
      if (pre?.resourceVersion !== undefined && pre.resourceVersion !== String(modRevision)) {
        throw this.conflict(name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${modRevision}`);
      }
      await opts.validateDeletion?.(obj);
      const key = objectKey(this.info, obj.metadata.namespace, name);
      const grace = this.strategy.gracePeriodSeconds?.(obj, opts.gracePeriodSeconds) ?? 0;
      if (grace > 0) {
        const graceful = this.gracefulDeletion(obj, grace);
        if (!graceful || opts.dryRun) return { object: graceful ?? obj, deleted: false };
        const write = await this.writeOptions();
        const res = await storeCall(() => this.client.putIfModRevision(key, storedValue(graceful, key, this.transformer), modRevision, write));
        if (res.succeeded) return { object: this.withVersion(graceful, res.revision), deleted: false };
        current = this.storedFromKv(res.current);
        continue;
      }
      const next = deepCopy(obj);
      const finalizers = finalizersForDeletion(next.metadata.finalizers ?? [], opts.propagationPolicy);

      if (finalizers.length > 0 || this.strategy.holdsDeletion?.(next)) {
        if (finalizers.length > 0) next.metadata.finalizers = finalizers;
        else delete next.metadata.finalizers;
        this.strategy.markDeleting?.(next);
        if (!next.metadata.deletionTimestamp) {
          next.metadata.deletionTimestamp = rfc3339Seconds(this.clock());
          next.metadata.deletionGracePeriodSeconds = opts.gracePeriodSeconds ?? 0;
        }
        if (opts.dryRun || sameStoredContent(next, obj)) return { object: opts.dryRun ? next : obj, deleted: false };
        const write = await this.writeOptions();
        const res = await storeCall(() => this.client.putIfModRevision(key, storedValue(next, key, this.transformer), modRevision, write));
        if (res.succeeded) return { object: this.withVersion(next, res.revision), deleted: false };
        current = this.storedFromKv(res.current);
        continue;
      }
      if (opts.dryRun) return { object: obj, deleted: true };
      const res = await storeCall(() => this.client.deleteIfModRevision(key, modRevision));
      if (res.succeeded) return { object: obj, deleted: true };
      current = this.storedFromKv(res.current);
    }
    throw this.conflict(name, 'too many concurrent updates; please try again');
  }

  /**
   * Removes every corrupt object (one that cannot be decoded as the kind) stored in
   * `namespace`; returns their keys. Run when a namespace is gone for good, so nothing invisible
   * to lists stays behind under its name.
   */
  async purgeCorrupt(namespace: string): Promise<string[]> {
    if (!this.info.namespaced) return [];
    const prefix = listPrefix(this.info, namespace);
    const res = await storeCall(() => this.client.get(prefix, { rangeEnd: prefixRangeEnd(prefix) }));
    const removed: string[] = [];
    for (const kv of res.kvs) {
      try {
        decodeObject<T>(kv, this.decodeOptions);
        continue;
      } catch (err) {
        if (!(err instanceof CorruptObjectError)) throw err;
      }
      const key = kv.key.toString('utf8');
      const del = await storeCall(() => this.client.deleteIfModRevision(key, kv.modRevision));
      if (del.succeeded) removed.push(key);
    }
    return removed;
  }

  // ---- internals ----

  /**
   * The object marked for a graceful deletion `grace` seconds from now (deletionTimestamp that
   * far ahead, deletionGracePeriodSeconds = grace), or undefined when it is already marked with
   * a grace period no longer than that (a delete may shorten the wait, never lengthen it).
   */
  private gracefulDeletion(obj: T, grace: number): T | undefined {
    const pending = obj.metadata.deletionGracePeriodSeconds;
    if (obj.metadata.deletionTimestamp && pending !== undefined && pending <= grace) return undefined;
    const next = deepCopy(obj);
    next.metadata.deletionTimestamp = rfc3339Seconds(new Date(this.clock().getTime() + grace * 1000));
    next.metadata.deletionGracePeriodSeconds = grace;
    return next;
  }

  /**
   * One compare-and-swap attempt of an update of `current` to `input` (already namespaced
   * and named). Returns the result, or the object as it now is when another write came first.
   */
  private async tryUpdate(current: Stored<T>, input: T, opts: Omit<UpdateOptions, 'namespace'>): Promise<Attempt<T>> {
    const old = current.obj;
    const name = old.metadata.name!;
    if (input.metadata.uid && input.metadata.uid !== old.metadata.uid) {
      throw this.conflict(name, `Precondition failed: UID in precondition: ${input.metadata.uid}, UID in object meta: ${old.metadata.uid ?? ''}`);
    }
    let obj: T;
    if (opts.subresource === 'status') {
      if (!this.strategy.hasStatus) throw new BadRequestError(`${this.info.resource} has no status subresource`);
      obj = deepCopy(old);
      obj.status = deepCopy(input.status);
      if (obj.status === undefined) delete obj.status;
      this.strategy.prepareForStatusUpdate?.(obj, old);
    } else {
      obj = deepCopy(input);
      const m = obj.metadata;
      m.uid = old.metadata.uid;
      m.creationTimestamp = old.metadata.creationTimestamp;
      m.generation = old.metadata.generation;
      setOrDelete(m, 'deletionTimestamp', old.metadata.deletionTimestamp);
      setOrDelete(m, 'deletionGracePeriodSeconds', old.metadata.deletionGracePeriodSeconds);
      delete m.generateName;
      if (old.metadata.generateName !== undefined) m.generateName = old.metadata.generateName;
      if (this.strategy.hasStatus) {
        if (old.status === undefined) delete obj.status;
        else obj.status = deepCopy(old.status);
      }
      this.strategy.prepareForUpdate(obj, old);
    }
    obj.apiVersion = apiVersionOf(this.info);
    obj.kind = this.info.kind;
    obj.metadata.resourceVersion = old.metadata.resourceVersion;
    this.validate(obj, [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...this.strategy.validateUpdate(obj, old)]);
    obj.metadata.generation = (old.metadata.generation ?? 1) + (this.strategy.specChanged(obj, old) ? 1 : 0);

    const key = objectKey(this.info, old.metadata.namespace, name);
    if (obj.metadata.deletionTimestamp && (obj.metadata.finalizers ?? []).length === 0 && !this.strategy.holdsDeletion?.(obj)) {
      // The last finalizer is gone: the deletion completes now.
      if (opts.dryRun) return { done: true, result: obj, written: false };
      const res = await storeCall(() => this.client.deleteIfModRevision(key, current.modRevision));
      return res.succeeded ? { done: true, result: obj, written: true } : { done: false, current: this.storedFromKv(res.current) };
    }
    // An unchanged object is not written again, unless its stored value is stale (re-encryption).
    const unchanged = sameStoredContent(obj, old) && !current.stale;
    if (unchanged || opts.dryRun) return { done: true, result: unchanged ? old : obj, written: false };
    const write = await this.writeOptions();
    const res = await storeCall(() => this.client.putIfModRevision(key, storedValue(obj, key, this.transformer), current.modRevision, write));
    if (res.succeeded) return { done: true, result: this.withVersion(obj, res.revision), written: true };
    return { done: false, current: this.storedFromKv(res.current) };
  }

  /**
   * The options of a put of an object: the lease it expires with, for a store of expiring
   * objects (a put without a lease would detach the object from its old one). Grant failures
   * are ApiErrors (store-error-mapping).
   */
  private async writeOptions(): Promise<{ readonly lease?: number }> {
    const expiry = this.expiry;
    if (!expiry) return {};
    return { lease: await storeCall(() => expiry.leases.leaseFor(expiry.ttlSeconds)) };
  }

  /** The object at namespace/name with its revision, or undefined when absent. */
  private async read(namespace: string | undefined, name: string): Promise<Stored<T> | undefined> {
    const ns = this.info.namespaced ? namespace : undefined;
    if (this.info.namespaced && !ns) throw new BadRequestError(`a namespace is required to address ${this.info.resource} "${name}"`);
    const res = await storeCall(() => this.client.get(objectKey(this.info, ns, name)));
    return this.storedFromKv(res.kvs[0]);
  }

  /**
   * The object an update starts from: the watch cache's copy when it holds one (no store read;
   * Kubernetes' GuaranteedUpdate does the same with its cached object), else the store's. A dry
   * run always reads the store: it writes nothing that would catch a stale copy.
   */
  private async readForWrite(namespace: string | undefined, name: string, dryRun: boolean | undefined): Promise<Stored<T> | undefined> {
    const obj = this.cached && !dryRun && (!this.info.namespaced || namespace) ? this.cached(this.info.namespaced ? namespace : undefined, name) : undefined;
    // A copy: strategies may keep parts of the old object in the new one (status), which must not be the cache's frozen ones.
    if (obj) return { obj: deepCopy(obj), modRevision: Number(obj.metadata.resourceVersion), cached: true };
    return this.read(namespace, name);
  }

  /**
   * One update attempt from `current`. From the watch cache's copy, only a write that the store
   * took counts: an error (a conflict, a failed precondition or validation), or an update that
   * would change nothing, may be an artifact of a copy that is behind, so the attempt is redone
   * from the store's copy — the outcome is then exactly what it would have been without the cache.
   * A server-side failure (5xx: the store unreachable) is not about the copy and is thrown.
   */
  private async fromStoreUnlessWritten(current: Stored<T>, namespace: string | undefined, name: string, attempt: () => Promise<Attempt<T>>): Promise<Attempt<T>> {
    if (!current.cached) return attempt();
    let outcome: Attempt<T>;
    try {
      outcome = await attempt();
    } catch (err) {
      if (err instanceof ApiError && err.code >= SERVER_ERROR_CODE) throw err;
      return { done: false, current: await this.read(namespace, name) };
    }
    if (outcome.done && !outcome.written) return { done: false, current: await this.read(namespace, name) };
    return outcome;
  }

  /** The object a key-value holds; a corrupt one is an InternalError saying how to delete it. */
  private storedFromKv(kv: KeyValue | undefined): Stored<T> | undefined {
    if (!kv) return undefined;
    try {
      return { obj: decodeObject<T>(kv, this.decodeOptions), modRevision: kv.modRevision, stale: this.transformer?.isStale(Buffer.from(kv.value)) };
    } catch (err) {
      if (err instanceof CorruptObjectError) throw corruptObjectApiError(err);
      throw err;
    }
  }

  /** A list item; a corrupt stored value is skipped with a warning (never fails the whole list). */
  private decode(kv: KeyValue, skipped: string[]): T | undefined {
    try {
      return decodeObject<T>(kv, this.decodeOptions);
    } catch (err) {
      if (!(err instanceof CorruptObjectError)) throw err;
      skipped.push(skippedObjectWarning(err.key, err.reason));
      return undefined;
    }
  }

  /**
   * Kubernetes' unsafe deletion of a corrupt object: when the value at namespace/name cannot be
   * decoded, its key is removed as it is (compare-and-swap on its revision) and a stub naming it
   * is returned; undefined when the object decodes (it is then deleted the normal way).
   */
  private async deleteIfCorrupt(namespace: string | undefined, name: string, dryRun: boolean): Promise<DeleteResult<T> | undefined> {
    const ns = this.info.namespaced ? namespace : undefined;
    const key = objectKey(this.info, ns, name);
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const kv = (await storeCall(() => this.client.get(key))).kvs[0];
      if (!kv) throw this.notFound(name);
      try {
        decodeObject<T>(kv, this.decodeOptions);
        return undefined;
      } catch (err) {
        if (!(err instanceof CorruptObjectError)) throw err;
      }
      const stub = { apiVersion: apiVersionOf(this.info), kind: this.info.kind, metadata: { name, ...(ns ? { namespace: ns } : {}), resourceVersion: String(kv.modRevision) } } as T;
      if (dryRun) return { object: stub, deleted: true };
      const res = await storeCall(() => this.client.deleteIfModRevision(key, kv.modRevision));
      if (res.succeeded) return { object: stub, deleted: true };
    }
    throw this.conflict(name, 'too many concurrent updates; please try again');
  }

  /** One range read of a list; compaction of a fixed revision becomes GoneError. */
  private async readRange(start: string, end: Buffer, revision: number, limit: number, fromContinue: boolean) {
    try {
      return await this.client.get(start, { rangeEnd: end, revision, limit });
    } catch (err) {
      if (err instanceof ErrCompacted) {
        throw new GoneError(fromContinue ? CONTINUE_EXPIRED_MESSAGE : `too old resource version: ${revision}`);
      }
      throw toApiError(err);
    }
  }

  /**
   * Makes metadata.namespace agree with the request: cleared for cluster-scoped kinds; taken
   * from the path when the object has none; a different one is a BadRequestError.
   */
  private settleNamespace(obj: T, pathNamespace: string | undefined): void {
    const meta = obj.metadata;
    if (!this.info.namespaced) {
      delete meta.namespace;
      return;
    }
    if (pathNamespace && meta.namespace && meta.namespace !== pathNamespace) {
      throw new BadRequestError('the namespace of the provided object does not match the namespace sent on the request');
    }
    if (!meta.namespace && pathNamespace) meta.namespace = pathNamespace;
  }

  private generateName(prefix: string): string {
    let suffix = '';
    for (let i = 0; i < GENERATED_NAME_SUFFIX_LENGTH; i++) suffix += NAME_ALPHABET[Math.floor(this.random() * NAME_ALPHABET.length)];
    return prefix.slice(0, MAX_GENERATE_NAME_PREFIX_LENGTH) + suffix;
  }

  private validate(obj: T, errs: FieldError[]): void {
    if (errs.length > 0) throw new InvalidError(this.info.kind, this.info.group, obj.metadata.name ?? obj.metadata.generateName ?? '', errs);
  }

  private withVersion(obj: T, revision: number): T {
    obj.metadata.resourceVersion = String(revision);
    return obj;
  }

  private notFound(name: string): NotFoundError {
    return new NotFoundError(this.info.resource, this.info.group, name);
  }

  private conflict(name: string, why?: string): ConflictError {
    return new ConflictError(this.info.resource, this.info.group, name, why);
  }
}

/** A resourceVersion as a revision; BadRequestError when it is not a positive integer. */
export function parseResourceVersion(rv: string): number {
  const n = Number(rv);
  if (!/^\d+$/.test(rv) || !Number.isSafeInteger(n)) throw new BadRequestError(`invalid resource version: "${rv}"`);
  return n;
}

function setOrDelete<K extends 'deletionTimestamp' | 'deletionGracePeriodSeconds'>(
  meta: KubeObject['metadata'],
  field: K,
  value: KubeObject['metadata'][K],
): void {
  if (value === undefined) delete meta[field];
  else meta[field] = value;
}
