import { BadRequestError } from '../../../lib/api/errors';
import { apiVersionOf, type KubeList, type KubeObject, type ResourceInfo } from '../../../lib/api/object';
import { applyPatch, APPLY_PATCH_TYPE } from '../../../lib/api/patch';
import type { JsonObject } from '../../../lib/api/patch/json-value';
import { isConflict } from '../../../lib/api/status';
import { withWarnings } from '../../../lib/api/warnings';
import type { WatchEvent } from '../registry/cache-watcher';
import { patchFieldWarnings } from './patch-validation';
import { typedBody } from './generic-rest';
import type { DeleteOutcome, DeleteRequest, GetOptions, ListRequest, ResourceRest, ResourceWatch, Subresource, UpdateRequest, WatchRequest, WriteOptions } from './resource-rest';

/** Attempts of a patch through a version view before a conflict is returned. */
const MAX_VIEW_PATCH_ATTEMPTS = 5;

/** Converts between the stored version of a kind and another version it is served at. */
export interface VersionConverter {
  /** The object as clients of this version see it. */
  toView(stored: KubeObject): KubeObject;
  /** The stored object a body of this version stands for. */
  fromView(view: KubeObject): KubeObject;
}

/**
 * A kind served at a second version over the same storage (Kubernetes serves HPAs at
 * autoscaling/v1 and v2): every call goes to the stored version's ResourceRest, with objects
 * converted on the way in and out, so the rules, the cache and the watch are the one
 * resource's. Patches apply to this version's shape, then write back with a compare-and-swap.
 */
export class VersionViewRest implements ResourceRest {
  readonly subresources: readonly Subresource[];

  constructor(
    readonly info: ResourceInfo,
    /** The resource at its stored version. */
    readonly storage: ResourceRest,
    private readonly converter: VersionConverter,
  ) {
    this.subresources = storage.subresources.filter((s) => s === 'status');
  }

  async create(namespace: string | undefined, obj: KubeObject, opts?: WriteOptions): Promise<KubeObject> {
    return this.view(await this.storage.create(namespace, this.stored(obj), opts));
  }

  async get(namespace: string | undefined, name: string, opts?: GetOptions): Promise<KubeObject> {
    return this.view(await this.storage.get(namespace, name, opts));
  }

  async list(namespace: string | undefined, opts?: ListRequest): Promise<KubeList<KubeObject>> {
    return this.viewList(await this.storage.list(namespace, opts));
  }

  async update(namespace: string | undefined, name: string, obj: KubeObject, opts?: UpdateRequest): Promise<KubeObject> {
    return this.view(await this.storage.update(namespace, name, this.stored(obj), opts));
  }

  async patch(namespace: string | undefined, name: string, patchType: string, patch: Buffer | string, opts: UpdateRequest = {}): Promise<KubeObject> {
    const warnings = patchFieldWarnings(this.info, patchType, patch, opts.fieldValidation);
    const patched = await this.patchView(namespace, name, patchType, patch, opts);
    return warnings.length > 0 ? withWarnings({ ...patched }, warnings) : patched;
  }

  /** A patch applied to this version's shape, written back with a compare-and-swap (retried on conflicts). */
  private async patchView(namespace: string | undefined, name: string, patchType: string, patch: Buffer | string, opts: UpdateRequest): Promise<KubeObject> {
    if (patchType.split(';')[0]!.trim() === APPLY_PATCH_TYPE) {
      throw new BadRequestError(`server-side apply is served at ${apiVersionOf(this.storage.info)} for ${this.info.resource}; apply the object in that version`);
    }
    const identity = { apiVersion: apiVersionOf(this.info), kind: this.info.kind };
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(namespace, name);
      const patched = applyPatch(current as unknown as JsonObject, patchType, patch, identity) as unknown as KubeObject;
      patched.metadata = { ...patched.metadata, resourceVersion: current.metadata.resourceVersion };
      try {
        return await this.update(namespace, name, patched, opts);
      } catch (err) {
        if (!isConflict(err) || attempt >= MAX_VIEW_PATCH_ATTEMPTS) throw err;
      }
    }
  }

  async delete(namespace: string | undefined, name: string, opts?: DeleteRequest): Promise<DeleteOutcome<KubeObject>> {
    const outcome = await this.storage.delete(namespace, name, opts);
    return { ...outcome, object: this.view(outcome.object) };
  }

  async deleteCollection(namespace: string | undefined, listOpts?: ListRequest, deleteOpts?: DeleteRequest): Promise<KubeList<KubeObject>> {
    return this.viewList(await this.storage.deleteCollection(namespace, listOpts, deleteOpts));
  }

  get returnsDeletedObject(): boolean {
    return this.storage.returnsDeletedObject;
  }

  async watch(namespace: string | undefined, opts?: WatchRequest): Promise<ResourceWatch<KubeObject>> {
    const inner = await this.storage.watch(namespace, opts);
    const convert = (e: WatchEvent<KubeObject> | undefined): WatchEvent<KubeObject> | undefined =>
      e === undefined ? undefined : e.type === 'BOOKMARK' ? { ...e, object: { ...e.object, apiVersion: apiVersionOf(this.info) } } : { type: e.type, object: this.view(e.object) };
    return {
      next: async () => convert(await inner.next()),
      stop: () => inner.stop(),
      ended: inner.ended,
      async *[Symbol.asyncIterator]() {
        try {
          for (;;) {
            const e = convert(await inner.next());
            if (e === undefined) return;
            yield e;
          }
        } finally {
          inner.stop();
        }
      },
    };
  }

  /** A stored list as this version's list (the spread keeps the warnings it carries). */
  private viewList(list: KubeList<KubeObject>): KubeList<KubeObject> {
    return { ...list, apiVersion: apiVersionOf(this.info), kind: `${this.info.kind}List`, items: list.items.map((o) => this.view(o)) };
  }

  private view(stored: KubeObject): KubeObject {
    return this.converter.toView(stored);
  }

  private stored(obj: KubeObject): KubeObject {
    return this.converter.fromView(typedBody(obj, this.info));
  }
}

/** True when `rest` is another version's view of a stored resource (no gRPC service of its own). */
export function isVersionView(rest: ResourceRest): rest is VersionViewRest {
  return rest instanceof VersionViewRest;
}
