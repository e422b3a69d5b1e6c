import { AlreadyExistsError, BadRequestError, ConflictError } from '../../../lib/api/errors';
import type { KubeList, KubeObject } from '../../../lib/api/object';
import type { Service } from '../kinds/core/service';
import {
  GenericStore,
  MAX_GENERATE_NAME_ATTEMPTS,
  type CreateOptions,
  type DeleteOptions,
  type DeleteResult,
  type ListOptions,
  type UpdateOptions,
} from '../registry/generic-store';
import { deepCopy } from '../registry/object-codec';
import { GenericRest, type GenericRestOptions } from '../rest/generic-rest';
import type { ResourceRest } from '../rest/resource-rest';
import type { RestDecorator } from '../rest/resource-set';
import { heldItems, ownerOf, releaseHeld, type AllocationTxn, type ServiceAllocators } from './service-allocators';

/**
 * Services with ClusterIP and NodePort allocation (Kubernetes' service REST with its
 * allocators). Every rule stays in GenericRest (admission, patch, checks) and the strategy
 * (defaults, validation, immutability of clusterIP, keeping allocated values an update omits);
 * this layer only takes and gives back items around the writes:
 *
 * - create: the object is prepared and validated first (a dry-run create), then the items are
 *   taken, then written; a failed write (AlreadyExists, store error) releases them.
 * - update and patch: inside the registry's compare-and-swap loop, each attempt takes what the
 *   new spec needs beyond what the stored object holds (an ExternalName->ClusterIP change takes
 *   an IP, ClusterIP->NodePort takes NodePorts); a failed attempt gives them back; after the
 *   write, what the old object held and the new one does not (NodePort->ClusterIP) is released.
 * - delete: once the object is gone (deleted: true) everything it held is released.
 * - dryRun takes nothing (explicit values are still checked; automatic ones show a free item).
 *
 * Crash window: items are taken before the write and released after it, so an apiserver that
 * dies in between leaks them (records naming a Service that does not exist or does not hold
 * them); it never hands out an item twice. repairServiceAllocations (repair.ts) frees leaks.
 */
export class ServiceRest extends GenericRest<Service> {
  readonly allocators: ServiceAllocators;

  constructor(options: GenericRestOptions<Service> & { readonly allocators: ServiceAllocators }) {
    super({ ...options, store: new AllocatingServiceStore(options.store, options.allocators) });
    this.allocators = options.allocators;
  }
}

/** The `/services` decorator of a ResourceSet that serves Services through a ServiceRest. */
export function serviceRestDecorator(allocators: ServiceAllocators): RestDecorator {
  return (options) => new ServiceRest({ ...(options as unknown as GenericRestOptions<Service>), allocators }) as unknown as ResourceRest<KubeObject>;
}

/**
 * A GenericStore of Services that delegates to the resource's own store and allocates around
 * its writes (see ServiceRest). A subclass only so that GenericRest can take it as its store.
 */
class AllocatingServiceStore extends GenericStore<Service> {
  constructor(
    private readonly inner: GenericStore<Service>,
    private readonly allocators: ServiceAllocators,
  ) {
    // The base is never used for I/O: every method delegates to `inner`.
    super({ client: undefined as never, strategy: inner.strategy });
  }

  override get(namespace: string | undefined, name: string): Promise<Service> {
    return this.inner.get(namespace, name);
  }

  override list(opts?: ListOptions): Promise<KubeList<Service>> {
    return this.inner.list(opts);
  }

  override async create(input: Service, opts: CreateOptions = {}): Promise<Service> {
    const generated = !input.metadata?.name && !!input.metadata?.generateName;
    for (let attempt = 1; ; attempt++) {
      // Prepared and validated first: an invalid Service takes nothing.
      const preview = await this.inner.create(input, { ...opts, dryRun: true });
      preview.spec ??= {};
      // The uid is not known yet (the registry assigns it with the write): records name namespace/name.
      const owner = { namespace: preview.metadata.namespace ?? '', name: preview.metadata.name ?? '' };
      const txn = this.allocators.begin(owner, owner.name, !!opts.dryRun);
      await txn.fill(preview.spec, heldItems(undefined), false);
      if (opts.dryRun) return preview;
      const body = deepCopy(input);
      body.metadata = { ...body.metadata, name: preview.metadata.name };
      body.spec = preview.spec;
      try {
        return await this.inner.create(body, opts);
      } catch (err) {
        await txn.rollback();
        if (generated && err instanceof AlreadyExistsError && attempt < MAX_GENERATE_NAME_ATTEMPTS) continue;
        throw err;
      }
    }
  }

  override async update(input: Service, opts: UpdateOptions = {}): Promise<Service> {
    const name = input.metadata?.name;
    if (opts.subresource === 'status' || !name) return this.inner.update(input, opts);
    const bodyNs = input.metadata.namespace;
    if (opts.namespace && bodyNs && bodyNs !== opts.namespace) {
      throw new BadRequestError('the namespace of the provided object does not match the namespace sent on the request');
    }
    const expectedRv = input.metadata.resourceVersion || undefined;
    const info = this.strategy.info;
    return this.allocatingUpdate(
      bodyNs || opts.namespace,
      name,
      (current) => {
        // Same semantics as GenericStore.update: a resourceVersion is a compare-and-swap precondition.
        if (expectedRv !== undefined && expectedRv !== current.metadata.resourceVersion) throw new ConflictError(info.resource, info.group, name);
        return deepCopy(input);
      },
      opts,
    );
  }

  override guaranteedUpdate(
    namespace: string | undefined,
    name: string,
    mutate: (current: Service) => Service | Promise<Service>,
    opts: Omit<UpdateOptions, 'namespace'> = {},
  ): Promise<Service> {
    if (opts.subresource === 'status') return this.inner.guaranteedUpdate(namespace, name, mutate, opts);
    return this.allocatingUpdate(namespace, name, mutate, opts);
  }

  override async delete(namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<DeleteResult<Service>> {
    const res = await this.inner.delete(namespace, name, opts);
    if (res.deleted && !opts.dryRun) await releaseHeld(this.allocators, ownerOf(res.object), heldItems(res.object));
    return res;
  }

  /**
   * guaranteedUpdate with allocation: each attempt (re)computes what the new spec needs against
   * the object it replaces; the last attempt's `current` is the version the write replaced.
   */
  private async allocatingUpdate(
    namespace: string | undefined,
    name: string,
    mutate: (current: Service) => Service | Promise<Service>,
    opts: Omit<UpdateOptions, 'namespace'>,
  ): Promise<Service> {
    let txn: AllocationTxn | undefined;
    let replaced: Service | undefined;
    try {
      const result = await this.inner.guaranteedUpdate(
        namespace,
        name,
        async (current) => {
          await txn?.rollback(); // another writer came first: the previous attempt's items are not needed
          txn = undefined;
          replaced = deepCopy(current);
          const mutated = await mutate(current);
          const prepared = deepCopy(mutated);
          prepared.metadata = { ...(prepared.metadata ?? {}), namespace: replaced.metadata.namespace, name };
          this.strategy.prepareForUpdate(prepared, replaced);
          // An invalid update takes nothing: the registry reports it with the strategy's errors.
          if (this.strategy.validateUpdate(prepared, replaced).length > 0) return mutated;
          const held = heldItems(replaced);
          txn = this.allocators.begin(ownerOf(replaced), name, !!opts.dryRun);
          await txn.fill(prepared.spec ?? {}, held, held.ips.size > 0);
          return prepared;
        },
        opts,
      );
      if (!opts.dryRun && replaced) {
        // Removing the last finalizer of a Service being deleted deletes it.
        const gone = !!result.metadata.deletionTimestamp && (result.metadata.finalizers ?? []).length === 0;
        await (txn ?? this.allocators.begin(ownerOf(replaced), name, false)).commit(replaced, gone ? undefined : result);
      }
      return result;
    } catch (err) {
      await txn?.rollback();
      throw err;
    }
  }
}
