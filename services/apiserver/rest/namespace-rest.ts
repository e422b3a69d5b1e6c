import { BadRequestError, ConflictError } from '../../../lib/api/errors';
import type { KubeObject } from '../../../lib/api/object';
import type { Namespace } from '../kinds/core';
import type { GenericStore } from '../registry/generic-store';
import { checkBody, GenericRest, type GenericRestOptions } from './generic-rest';
import type { FinalizableRest, WriteOptions } from './resource-rest';

/**
 * Namespaces: the generic resource plus the finalize subresource, which replaces
 * spec.finalizers only, through a store whose strategy allows exactly that. The namespace
 * controller calls it once a deleted namespace is empty; removing the last spec finalizer of a
 * namespace being deleted completes the deletion.
 */
export class NamespaceRest extends GenericRest<Namespace> implements FinalizableRest {
  private readonly finalizeStore: GenericStore<Namespace>;

  constructor(options: GenericRestOptions<Namespace> & { readonly finalizeStore: GenericStore<Namespace> }) {
    super({ ...options, subresources: ['status', 'finalize'] });
    this.finalizeStore = options.finalizeStore;
  }

  async finalize(name: string, body: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    checkBody(body, this.info);
    if (!name) throw new BadRequestError('resource name may not be empty');
    if (body.metadata.name && body.metadata.name !== name) {
      throw new BadRequestError(`the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`);
    }
    const expectedRv = body.metadata.resourceVersion || undefined;
    return this.finalizeStore.guaranteedUpdate(
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
  }
}
