import { BadRequestError, ConflictError } from '../../../lib/api/errors';
import type { KubeObject } from '../../../lib/api/object';
import type { Namespace } from '../kinds/core';
import type { GenericStore } from '../registry/generic-store';
import { typedBody, GenericRest, type GenericRestOptions } from './generic-rest';
import type { FinalizableRest, WriteOptions } from './resource-rest';

/**
 * Namespaces: the generic resource plus the finalize subresource, which replaces
 * spec.finalizers only, through a store whose strategy allows exactly that. The namespace
 * controller calls it once a deleted namespace is empty; removing the last spec finalizer of a
 * namespace being deleted completes the deletion. A completed delete answers the namespace, as
 * Kubernetes' namespace registry does.
 */
export class NamespaceRest extends GenericRest<Namespace> implements FinalizableRest {
  override readonly returnsDeletedObject = true;
  private readonly finalizeStore: GenericStore<Namespace>;
  private readonly purge: (namespace: string) => Promise<void>;

  constructor(
    options: GenericRestOptions<Namespace> & {
      readonly finalizeStore: GenericStore<Namespace>;
      /** Removes what is left of a namespace once it is gone (corrupt objects no list shows). */
      readonly purgeNamespace?: (namespace: string) => Promise<void>;
    },
  ) {
    super({ ...options, subresources: ['status', 'finalize'] });
    this.finalizeStore = options.finalizeStore;
    this.purge = options.purgeNamespace ?? (async () => undefined);
  }

  async finalize(name: string, input: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    const body = typedBody<KubeObject>(input, this.info);
    if (!name) throw new BadRequestError('resource name may not be empty');
    if (body.metadata.name && body.metadata.name !== name) {
      throw new BadRequestError(`the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`);
    }
    const expectedRv = body.metadata.resourceVersion || undefined;
    const result = await this.finalizeStore.guaranteedUpdate(
      undefined,
      name,
      (current) => {
        if (expectedRv !== undefined && expectedRv !== current.metadata.resourceVersion) throw new ConflictError(this.info.resource, this.info.group, name);
        const next = JSON.parse(JSON.stringify(body)) as Namespace;
        next.metadata = { ...next.metadata, name };
        if (current.metadata.managedFields !== undefined) next.metadata.managedFields = current.metadata.managedFields;
        else delete next.metadata.managedFields;
        return next;
      },
      { dryRun: opts.dryRun },
    );
    // The last finalizer of a deleted namespace removed: the namespace is gone.
    if (!opts.dryRun && result.metadata.deletionTimestamp && (result.spec?.finalizers ?? []).length === 0) await this.purge(name);
    return result;
  }
}
