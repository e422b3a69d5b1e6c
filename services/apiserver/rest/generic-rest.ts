import { AlreadyExistsError, BadRequestError, ConflictError, NotFoundError, TimeoutError } from '../../../lib/api/errors';
import { checkFieldSelector, DEFAULT_SELECTABLE_FIELDS, parseFieldSelector } from '../../../lib/api/field-selector';
import { parseLabelSelector } from '../../../lib/api/label-selector';
import { apiVersionOf, type KubeList, type KubeObject, type ResourceInfo } from '../../../lib/api/object';
import { APPLY_PATCH_TYPE, applyPatch, patchMediaType, recordUpdate, UNKNOWN_FIELD_MANAGER } from '../../../lib/api/patch';
import type { JsonObject } from '../../../lib/api/patch/json-value';
import { findProtoKind } from '../../../lib/api/proto/kinds';
import { typedObject } from '../../../lib/api/proto/typed-object';
import { isNotFound } from '../../../lib/api/status';
import { warningsOf, withWarnings } from '../../../lib/api/warnings';
import type { StoreClient } from '../../../store/client';
import type { Admission } from '../admission/admission';
import type { GenericStore } from '../registry/generic-store';
import type { ObjectFilter } from '../registry/object-filter';
import { resourcePrefix } from '../registry/storage-keys';
import { storeCall } from '../registry/store-error-mapping';
import type { WatchCache } from '../registry/watch-cache';
import { patchFieldWarnings } from './patch-validation';
import type {
  DeleteOutcome,
  DeleteRequest,
  GetOptions,
  ListRequest,
  ResourceRest,
  ResourceWatch,
  Subresource,
  UpdateRequest,
  WatchRequest,
  WriteOptions,
} from './resource-rest';

/** How long a consistent list waits for the watch cache to reach the store's revision before reading the store. */
export const CONSISTENT_CACHE_WAIT_MS = 100;
/** Longest list page a client may ask for; larger limits are cut to this. */
export const MAX_LIST_LIMIT = 10_000;
const PROPAGATION_POLICIES = ['Orphan', 'Background', 'Foreground'] as const;

/** Constructor parameters of a GenericRest. */
export interface GenericRestOptions<T extends KubeObject> {
  readonly store: GenericStore<T>;
  readonly cache: WatchCache<T>;
  readonly client: StoreClient;
  readonly admission: Admission;
  readonly subresources?: readonly Subresource[];
  /** The time recorded in managedFields entries (default: the system clock). */
  readonly clock?: () => Date;
}

/**
 * A resource served by the generic registry: writes through the GenericStore (after admission),
 * lists and watches from the resource's watch cache. A list with no limit, continue or exact
 * resourceVersion is served from the cache once it has caught up with the store's current
 * revision (a consistent read without reading every object from the store); paged and exact
 * lists read the store.
 */
export class GenericRest<T extends KubeObject> implements ResourceRest<T> {
  readonly info: ResourceInfo;
  readonly subresources: readonly Subresource[];
  readonly returnsDeletedObject: boolean = false;
  protected readonly store: GenericStore<T>;
  protected readonly cache: WatchCache<T>;
  protected readonly client: StoreClient;
  protected readonly admission: Admission;
  private readonly selectableFields: readonly string[];
  private readonly fieldsClock: () => Date;

  constructor(options: GenericRestOptions<T>) {
    this.store = options.store;
    this.cache = options.cache;
    this.client = options.client;
    this.admission = options.admission;
    this.info = options.store.strategy.info;
    this.subresources = options.subresources ?? (options.store.strategy.hasStatus ? ['status'] : []);
    this.selectableFields = selectableFieldNames(options.store.strategy);
    this.fieldsClock = options.clock ?? (() => new Date());
  }

  async create(namespace: string | undefined, obj: T, opts: WriteOptions = {}): Promise<T> {
    checkFieldManager(opts.fieldManager);
    const body = typedBody<T>(obj, this.info);
    return this.createChecked(namespace, this.recordWrite({} as T, body, opts.fieldManager), opts);
  }

  /** Create of a checked body whose managedFields are already recorded: admission, then the store. */
  private async createChecked(namespace: string | undefined, obj: T, opts: WriteOptions): Promise<T> {
    const ns = this.namespaceOf(namespace, obj);
    await this.admission.admitCreate(this.info, ns, obj, { dryRun: opts.dryRun });
    return this.store.create(obj, { namespace: ns, dryRun: opts.dryRun });
  }

  /**
   * `next` with the managedFields of a non-apply write by `manager` from `current` (an Update
   * entry for the fields it changed). Status, which the main resource of a kind with a status
   * subresource never writes, is left out of the comparison. `subresource` ('scale') records the
   * writer as that subresource's manager; a subclass's own write paths (updateScale) call this in
   * their guaranteedUpdate.
   */
  protected recordWrite(current: T, next: T, manager: string | undefined, subresource?: string): T {
    const effective = { ...next } as T;
    if (this.store.strategy.hasStatus) {
      if (current.status === undefined) delete effective.status;
      else effective.status = current.status;
    }
    const recorded = recordUpdate(
      current as unknown as JsonObject,
      effective as unknown as JsonObject,
      manager || UNKNOWN_FIELD_MANAGER,
      apiVersionOf(this.info),
      this.fieldsClock(),
      { kind: this.info.kind, subresource },
    ) as unknown as T;
    return { ...next, metadata: { ...next.metadata, managedFields: recorded.metadata.managedFields } } as T;
  }

  async get(namespace: string | undefined, name: string, _opts: GetOptions = {}): Promise<T> {
    return this.store.get(this.requestNamespace(namespace), checkName(name));
  }

  async list(namespace: string | undefined, req: ListRequest = {}): Promise<KubeList<T>> {
    const ns = this.info.namespaced ? checkNamespace(namespace || undefined) : undefined;
    const filter = this.filter(ns, req.labelSelector, req.fieldSelector);
    const limit = req.limit && req.limit > 0 ? Math.min(req.limit, MAX_LIST_LIMIT) : 0;
    const match = req.resourceVersionMatch || undefined;
    if (match !== undefined && match !== 'Exact' && match !== 'NotOlderThan') {
      throw new BadRequestError(`resourceVersionMatch: Unsupported value: "${match}": supported values: "Exact", "NotOlderThan"`);
    }
    if (match !== undefined && !req.resourceVersion) {
      throw new BadRequestError('resourceVersionMatch is forbidden unless resourceVersion is provided');
    }
    if (req.continue && req.resourceVersion && req.resourceVersion !== '0') {
      throw new BadRequestError('specifying resource version is not allowed when using continue');
    }
    if (limit > 0 || req.continue || match === 'Exact') {
      return this.store.list({ ...filter, limit, continue: req.continue, resourceVersion: req.resourceVersion, resourceVersionMatch: match });
    }
    // rv "0": whatever the cache holds; a given rv: at least that new.
    if (req.resourceVersion !== undefined && req.resourceVersion !== '') return this.cache.list({ ...filter, resourceVersion: req.resourceVersion });
    // No rv: a consistent read. The cache serves it when it reaches the store's current
    // revision promptly; the cache of a resource nobody writes lags behind the revision
    // (it sees only its own keys' events), and then the store answers.
    const current = String(await this.currentRevision());
    try {
      return await this.cache.list({ ...filter, resourceVersion: current, waitTimeoutMs: CONSISTENT_CACHE_WAIT_MS });
    } catch (err) {
      if (!(err instanceof TimeoutError)) throw err;
      return this.store.list(filter);
    }
  }

  async update(namespace: string | undefined, name: string, obj: T, opts: UpdateRequest = {}): Promise<T> {
    checkFieldManager(opts.fieldManager);
    checkName(name);
    const typed = typedBody<T>(obj, this.info);
    if (typed.metadata.name && typed.metadata.name !== name) {
      throw new BadRequestError(`the name of the object (${typed.metadata.name}) does not match the name on the URL (${name})`);
    }
    const body = { ...typed, metadata: { ...typed.metadata, name } };
    const ns = this.requestNamespace(namespace);
    if (ns !== undefined && body.metadata.namespace && body.metadata.namespace !== ns) {
      throw new BadRequestError('the namespace of the provided object does not match the namespace sent on the request');
    }
    const expectedRv = body.metadata.resourceVersion || undefined;
    return this.store.guaranteedUpdate(
      ns,
      name,
      async (current) => {
        if (expectedRv !== undefined && expectedRv !== current.metadata.resourceVersion) throw new ConflictError(this.info.resource, this.info.group, name);
        // The status subresource writes status only: its managers are not recorded (yet).
        if (opts.subresource === 'status') return this.admitStatusUpdate(ns, body, current);
        const next = this.recordWrite(current, body, opts.fieldManager);
        return this.admitUpdate(ns, next, current);
      },
      { subresource: opts.subresource, dryRun: opts.dryRun },
    );
  }

  async patch(namespace: string | undefined, name: string, patchType: string, patch: Buffer | string, opts: UpdateRequest = {}): Promise<T> {
    // The patch body first: a malformed patch is the client's 400 before anything else.
    const warnings = patchFieldWarnings(this.info, patchType, patch, opts.fieldValidation);
    checkFieldManager(opts.fieldManager);
    const ns = this.requestNamespace(namespace);
    checkName(name);
    const patched = await this.patchOrApply(ns, namespace, name, patchType, patch, opts);
    return warnings.length > 0 ? withWarnings({ ...patched }, warnings) : patched;
  }

  /** A patch of the stored object; an apply patch of a missing object creates it. */
  private async patchOrApply(ns: string | undefined, namespace: string | undefined, name: string, patchType: string, patch: Buffer | string, opts: UpdateRequest): Promise<T> {
    const apply = patchMediaType(patchType) === APPLY_PATCH_TYPE;
    const target = {
      apiVersion: apiVersionOf(this.info),
      kind: this.info.kind,
      fieldManager: opts.fieldManager,
      force: opts.force,
      ignoredFields: this.store.strategy.hasStatus && opts.subresource !== 'status' ? ['status'] : [],
      subresource: opts.subresource,
    };
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.patchExisting(ns, name, patchType, patch, opts, apply, target);
      } catch (err) {
        // Server-side apply to a missing object creates it, as Kubernetes does.
        if (!apply || !(err instanceof NotFoundError) || err.details?.name !== name || opts.subresource !== undefined) throw err;
      }
      const created = typedBody<T>(applyPatch({}, patchType, patch, { ...target, now: this.fieldsClock() }), this.info);
      if (created.metadata.name !== undefined && created.metadata.name !== name) {
        throw new BadRequestError(`the name of the object (${String(created.metadata.name)}) does not match the name on the URL (${name})`);
      }
      created.metadata.name = name;
      try {
        return await this.createChecked(namespace, created, opts);
      } catch (err) {
        // Created meanwhile by someone else: apply to it.
        if (!(err instanceof AlreadyExistsError) || attempt >= 2) throw err;
      }
    }
  }

  /** A patch (any type) of the stored object, retried on write races by the store. */
  private patchExisting(
    ns: string | undefined,
    name: string,
    patchType: string,
    patch: Buffer | string,
    opts: UpdateRequest,
    apply: boolean,
    target: Parameters<typeof applyPatch>[3],
  ): Promise<T> {
    return this.store.guaranteedUpdate(
      ns,
      name,
      async (current) => {
        const result = typedBody<T>(applyPatch(current as unknown as JsonObject, patchType, patch, { ...target, now: this.fieldsClock() }), this.info);
        const patched = apply || opts.subresource === 'status' ? result : this.recordWrite(current, result, opts.fieldManager);
        const rv = patched.metadata.resourceVersion;
        // A resourceVersion in the patch is a precondition, as in Kubernetes.
        if (rv && rv !== current.metadata.resourceVersion) throw new ConflictError(this.info.resource, this.info.group, name);
        if (patched.metadata.name !== undefined && patched.metadata.name !== name) {
          throw new BadRequestError(`metadata.name: Invalid value: "${String(patched.metadata.name)}": field is immutable`);
        }
        if (opts.subresource === 'status') return this.admitStatusUpdate(ns, patched, current);
        return opts.subresource === undefined ? this.admitUpdate(ns, patched, current) : patched;
      },
      { subresource: opts.subresource, dryRun: opts.dryRun },
    );
  }

  /** `next` (a status write from `current`) once the status-checking admission has passed it. */
  private async admitStatusUpdate(ns: string | undefined, next: T, current: T): Promise<T> {
    await this.admission.admitStatusUpdate?.(this.info, ns, next, current);
    return next;
  }

  /** `next` (an update of the main resource from `current`) once admission has passed it (and completed it). */
  private async admitUpdate(ns: string | undefined, next: T, current: T): Promise<T> {
    await this.admission.admitUpdate(this.info, ns, next, current);
    return next;
  }

  async delete(namespace: string | undefined, name: string, req: DeleteRequest = {}): Promise<DeleteOutcome<T>> {
    const ns = this.requestNamespace(namespace);
    checkName(name);
    const { policy, grace } = checkDeleteRequest(req);
    return this.store.delete(ns, name, {
      validateDeletion: (obj) => this.admission.admitDelete(this.info, ns, obj),
      gracePeriodSeconds: grace,
      propagationPolicy: policy,
      preconditions: req.preconditions,
      dryRun: req.dryRun,
      ignoreStoreReadErrorWithClusterBreakingPotential: req.ignoreStoreReadErrorWithClusterBreakingPotential,
    });
  }

  async deleteCollection(namespace: string | undefined, listOpts: ListRequest = {}, deleteOpts: DeleteRequest = {}): Promise<KubeList<T>> {
    const ns = this.requestNamespace(namespace);
    checkDeleteRequest(deleteOpts); // bad options fail the call even when nothing matches, as in Kubernetes
    const list = await this.list(ns, listOpts);
    const items: T[] = [];
    for (const item of list.items) {
      try {
        items.push((await this.delete(item.metadata.namespace || ns, item.metadata.name ?? '', deleteOpts)).object);
      } catch (err) {
        if (!isNotFound(err)) throw err; // deleted meanwhile: nothing to do
      }
    }
    const answer: KubeList<T> = { apiVersion: list.apiVersion, kind: list.kind, metadata: { resourceVersion: list.metadata.resourceVersion }, items };
    return withWarnings(answer, warningsOf(list));
  }

  async watch(namespace: string | undefined, req: WatchRequest = {}): Promise<ResourceWatch<T>> {
    const ns = this.info.namespaced ? checkNamespace(namespace || undefined) : undefined;
    const filter = this.filter(ns, req.labelSelector, req.fieldSelector);
    return this.cache.watch({ ...filter, resourceVersion: req.resourceVersion, bookmarks: req.allowWatchBookmarks });
  }

  /** The store's current revision (a count-only read), which a consistent cache read must reach. */
  protected async currentRevision(): Promise<number> {
    const res = await storeCall(() => this.client.get(resourcePrefix(this.info), { prefix: true, countOnly: true }));
    return res.revision;
  }

  /** The namespace a request on one object addresses; BadRequest when a namespaced kind has none. */
  protected requestNamespace(namespace: string | undefined): string | undefined {
    if (!this.info.namespaced) return undefined;
    if (!namespace) throw new BadRequestError(`a namespace is required for ${this.info.resource}`);
    return checkNamespace(namespace);
  }

  /** The namespace a create goes to: the request's, else the body's; cluster-scoped kinds none. */
  private namespaceOf(namespace: string | undefined, obj: T): string | undefined {
    if (!this.info.namespaced) return undefined;
    const bodyNs = obj.metadata?.namespace;
    if (namespace && bodyNs && bodyNs !== namespace) {
      throw new BadRequestError('the namespace of the provided object does not match the namespace sent on the request');
    }
    const ns = namespace || bodyNs;
    if (!ns) throw new BadRequestError(`a namespace is required to create ${this.info.resource}`);
    return checkNamespace(ns);
  }

  private filter(namespace: string | undefined, labelSelector: string | undefined, fieldSelector: string | undefined): ObjectFilter {
    const labels = labelSelector ? parseLabelSelector(labelSelector) : undefined;
    let fields: ObjectFilter['fieldSelector'];
    if (fieldSelector) {
      const parsed = parseFieldSelector(fieldSelector);
      checkFieldSelector(parsed, this.selectableFields);
      fields = (f) => parsed.matches(f);
    }
    return {
      namespace,
      labelSelector: labels && !labels.empty() ? (l) => labels.matches(l) : undefined,
      fieldSelector: fields,
    };
  }
}

/** Field names a kind's fieldSelector may use: metadata.name/namespace and the strategy's own. */
function selectableFieldNames(strategy: GenericStore<KubeObject>['strategy']): string[] {
  let own: string[] = [];
  try {
    own = Object.keys(strategy.selectableFields?.({ metadata: {} }) ?? {});
  } catch {
    own = [];
  }
  const base = strategy.info.namespaced ? DEFAULT_SELECTABLE_FIELDS : ['metadata.name'];
  return [...new Set([...base, ...own])];
}

/**
 * A request body as an object of the resource's kind (or of `kind`, for subresource bodies such
 * as a Binding): a JSON object whose apiVersion/kind, when set, are the kind's, read through the
 * kind's schema — wrong JSON types are a 400 naming the field and the expected type, unknown
 * fields are dropped (front doors warn about them or refuse them first, per fieldValidation).
 */
export function typedBody<T extends KubeObject>(obj: unknown, info: ResourceInfo, kind = info.kind): T {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new BadRequestError('the request body must be a JSON object');
  const o = obj as Record<string, unknown>;
  if (o.metadata !== undefined && o.metadata !== null && (typeof o.metadata !== 'object' || Array.isArray(o.metadata))) {
    throw new BadRequestError(`${decodeContext(info, kind)}metadata: expected an object, got ${JSON.stringify(o.metadata)}`);
  }
  const apiVersion = apiVersionOf(info);
  if (o.apiVersion !== undefined && o.apiVersion !== '' && o.apiVersion !== apiVersion) {
    throw new BadRequestError(`the API version in the data (${String(o.apiVersion)}) does not match the expected API version (${apiVersion})`);
  }
  if (o.kind !== undefined && o.kind !== '' && o.kind !== kind) {
    throw new BadRequestError(`the kind in the data (${String(o.kind)}) does not match the expected kind (${kind})`);
  }
  const schema = findProtoKind(apiVersion, kind);
  if (!schema) return { ...o, metadata: o.metadata ?? {} } as T;
  let out: KubeObject;
  try {
    out = typedObject(schema, { ...o, apiVersion, kind }) as unknown as KubeObject;
  } catch (err) {
    if (err instanceof BadRequestError) throw new BadRequestError(decodeContext(info, kind) + err.message);
    throw err;
  }
  out.metadata ??= {};
  return out as T;
}

/** Kubernetes' words before a body decoding error: `Deployment in version "v1" cannot be handled as a Deployment: `. */
function decodeContext(info: ResourceInfo, kind: string): string {
  return `${kind} in version "${info.version}" cannot be handled as a ${kind}: `;
}

/** Longest fieldManager (Kubernetes' limit). */
export const MAX_FIELD_MANAGER_LENGTH = 128;

/** Throws BadRequest for a fieldManager Kubernetes refuses (too long, or not printable). */
export function checkFieldManager(manager: string | undefined): void {
  if (manager === undefined) return;
  if (Buffer.byteLength(manager) > MAX_FIELD_MANAGER_LENGTH) {
    throw new BadRequestError(`fieldManager: Too long: may not be more than ${MAX_FIELD_MANAGER_LENGTH} bytes`);
  }
  if (/[^\x20-\x7e]/.test(manager)) throw new BadRequestError(`fieldManager: Invalid value: ${JSON.stringify(manager)}: must consist of printable characters`);
}

/** Longest name or namespace a request may address (Kubernetes' longest names are DNS subdomains). */
export const MAX_REQUEST_NAME_LENGTH = 253;

/** Throws BadRequest for a name that can't address an object (empty, too long, or with a path separator). */
function checkName(name: string): string {
  if (!name) throw new BadRequestError('resource name may not be empty');
  if (name.length > MAX_REQUEST_NAME_LENGTH) throw new BadRequestError(`name: Too long: may not be more than ${MAX_REQUEST_NAME_LENGTH} characters (got ${name.length})`);
  if (name.includes('/') || name.includes('%') || name === '.' || name === '..') {
    throw new BadRequestError(`invalid resource name "${name}": may not contain '/', '%', or be '.' or '..'`);
  }
  return name;
}

/** Throws BadRequest for a namespace no object can live in (too long to be a namespace name). */
function checkNamespace(namespace: string | undefined): string | undefined {
  if (namespace !== undefined && namespace.length > MAX_REQUEST_NAME_LENGTH) {
    throw new BadRequestError(`namespace: Too long: may not be more than ${MAX_REQUEST_NAME_LENGTH} characters (got ${namespace.length})`);
  }
  return namespace;
}

/** The checked propagation policy and grace period of a delete; 400 naming the field when one is invalid. */
function checkDeleteRequest(req: DeleteRequest): { policy: ReturnType<typeof propagationPolicy>; grace: number | undefined } {
  const policy = propagationPolicy(req);
  const grace = req.gracePeriodSeconds;
  if (grace !== undefined && (!Number.isInteger(grace) || grace < 0)) {
    throw new BadRequestError(`gracePeriodSeconds: Invalid value: ${grace}: must be a non-negative integer`);
  }
  return { policy, grace };
}

/** The propagation policy of a delete, from propagationPolicy or the older orphanDependents. */
function propagationPolicy(req: DeleteRequest): 'Orphan' | 'Background' | 'Foreground' | undefined {
  const p = req.propagationPolicy;
  if (p !== undefined && p !== '') {
    if (!(PROPAGATION_POLICIES as readonly string[]).includes(p)) {
      throw new BadRequestError(`propagationPolicy: Unsupported value: "${p}": supported values: "Foreground", "Background", "Orphan"`);
    }
    if (req.orphanDependents !== undefined) throw new BadRequestError('propagationPolicy: Invalid value: "' + p + '": orphanDependents and deletionPropagation cannot be both set');
    return p as 'Orphan' | 'Background' | 'Foreground';
  }
  if (req.orphanDependents === true) return 'Orphan';
  if (req.orphanDependents === false) return 'Background';
  return undefined;
}
