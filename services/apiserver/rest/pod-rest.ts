import { BadRequestError, InvalidError } from '../../../lib/api/errors';
import type { KubeObject } from '../../../lib/api/object';
import { bindPod, validateBinding, type Binding, type Pod } from '../kinds/core';
import type { GenericStore } from '../registry/generic-store';
import { typedBody, GenericRest, type GenericRestOptions } from './generic-rest';
import type { BindableRest, ConnectableRest, WriteOptions } from './resource-rest';

/** Pod subresources that stream from the pod's node (Kubernetes' connect subresources). */
export const POD_CONNECT_SUBRESOURCES: readonly string[] = ['log', 'exec', 'attach', 'portforward', 'proxy'];

/**
 * Pods: the generic resource plus the binding subresource, which sets spec.nodeName once
 * through a store whose strategy allows exactly that (a second bind is a Conflict); the
 * streaming subresources (log, exec, …) answer that no node serves them yet. A completed
 * delete answers the pod, as Kubernetes' pod registry does.
 */
export class PodRest extends GenericRest<Pod> implements BindableRest, ConnectableRest {
  override readonly returnsDeletedObject = true;
  readonly connectSubresources = POD_CONNECT_SUBRESOURCES;
  private readonly bindingStore: GenericStore<Pod>;
  private readonly clock: () => Date;

  constructor(options: GenericRestOptions<Pod> & { readonly bindingStore: GenericStore<Pod>; readonly clock?: () => Date }) {
    super({ ...options, subresources: ['status', 'binding'] });
    this.bindingStore = options.bindingStore;
    this.clock = options.clock ?? (() => new Date());
  }

  async bind(namespace: string | undefined, name: string, body: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    const binding = typedBody<KubeObject>(body, this.info, 'Binding') as unknown as Binding;
    const bindingName = binding.metadata?.name || name;
    const errs = validateBinding(binding);
    if (bindingName !== name) errs.push({ type: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: "${bindingName}": must match the pod's name ${name}` });
    if (errs.length > 0) throw new InvalidError('Binding', '', bindingName, errs);
    return this.bindingStore.guaranteedUpdate(this.requestNamespace(namespace), name, (pod) => bindPod(pod, binding, this.clock()), { dryRun: opts.dryRun });
  }

  async connect(namespace: string | undefined, name: string, subresource: string): Promise<never> {
    await this.get(namespace, name); // a missing pod answers NotFound first, as Kubernetes does
    const what = subresource === 'log' ? 'logs are' : `${subresource} is`;
    throw new BadRequestError(`${what} not available yet for pod "${name}": the node agent is not implemented`);
  }
}
