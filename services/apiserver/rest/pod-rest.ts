import { BadRequestError, InvalidError, NotFoundError } from '../../../lib/api/errors';
import type { Node } from '../../../lib/api/types/core';
import type { KubeObject } from '../../../lib/api/object';
import { isConflict } from '../../../lib/api/status';
import { bindPod, validateBinding, type Binding, type Pod } from '../kinds/core';
import { deleteRequestOf, planEviction, validateEviction, type Eviction, type PodDisruptionBudget } from '../kinds/policy';
import type { GenericStore } from '../registry/generic-store';
import { typedBody, GenericRest, type GenericRestOptions } from './generic-rest';
import { isPodStreamSubresource, podStreamLocation, type NodeStreamLocation } from './pod-stream-location';
import type { BindableRest, ConnectableRest, EvictableRest, WriteOptions } from './resource-rest';

/** Pod subresources that stream from the pod's node (Kubernetes' connect subresources). */
export const POD_CONNECT_SUBRESOURCES: readonly string[] = ['log', 'exec', 'attach', 'portforward'];

/**
 * Attempts of an eviction whose budget status write lost a compare-and-swap race (another
 * eviction or the disruption controller wrote first): each re-reads the pod and its budgets.
 */
export const EVICTION_CONFLICT_ATTEMPTS = 5;

/** The PodDisruptionBudgets an eviction reads and spends. */
export interface DisruptionBudgets {
  /** The budgets of a namespace, newest state. */
  list(namespace: string): Promise<PodDisruptionBudget[]>;
  /** Writes a budget's status with a compare-and-swap on its metadata.resourceVersion (stale: ConflictError). */
  writeStatus(budget: PodDisruptionBudget): Promise<void>;
}

/** DisruptionBudgets over the PodDisruptionBudget store. */
export function storeDisruptionBudgets(store: GenericStore<PodDisruptionBudget>): DisruptionBudgets {
  return {
    list: async (namespace) => (await store.list({ namespace })).items,
    writeStatus: async (budget) => {
      await store.update(budget, { subresource: 'status' });
    },
  };
}

/**
 * Pods: the generic resource plus the binding subresource, which sets spec.nodeName once
 * through a store whose strategy allows exactly that (a second bind is a Conflict), and the
 * eviction subresource, which deletes a pod only when its PodDisruptionBudget allows it; the
 * streaming subresources (log, exec, attach, portforward) resolve to the pod's node agent. A completed
 * delete answers the pod, as Kubernetes' pod registry does.
 */
export class PodRest extends GenericRest<Pod> implements BindableRest, EvictableRest, ConnectableRest {
  override readonly returnsDeletedObject = true;
  readonly connectSubresources = POD_CONNECT_SUBRESOURCES;
  private readonly bindingStore: GenericStore<Pod>;
  private readonly budgets: DisruptionBudgets | undefined;
  private readonly clock: () => Date;
  /** Reads a Node by name (undefined when it does not exist), for the streaming subresources. */
  private readonly nodes: ((name: string) => Promise<Node | undefined>) | undefined;

  constructor(
    options: GenericRestOptions<Pod> & {
      readonly bindingStore: GenericStore<Pod>;
      readonly budgets?: DisruptionBudgets;
      readonly clock?: () => Date;
      readonly nodes?: (name: string) => Promise<Node | undefined>;
    },
  ) {
    super({ ...options, subresources: options.budgets ? ['status', 'binding', 'eviction'] : ['status', 'binding'] });
    this.bindingStore = options.bindingStore;
    this.budgets = options.budgets;
    this.clock = options.clock ?? (() => new Date());
    this.nodes = options.nodes;
  }

  async bind(namespace: string | undefined, name: string, body: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    const binding = typedBody<KubeObject>(body, this.info, 'Binding') as unknown as Binding;
    const bindingName = binding.metadata?.name || name;
    const errs = validateBinding(binding);
    if (bindingName !== name) errs.push({ type: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: "${bindingName}": must match the pod's name ${name}` });
    if (errs.length > 0) throw new InvalidError('Binding', '', bindingName, errs);
    return this.bindingStore.guaranteedUpdate(this.requestNamespace(namespace), name, (pod) => bindPod(pod, binding, this.clock()), { dryRun: opts.dryRun });
  }

  /**
   * Evicts a pod (Kubernetes' EvictionREST): decides with planEviction, spends the covering
   * budget with a compare-and-swap status write (recording the pod in disruptedPods), then
   * deletes the pod with the eviction's DeleteOptions. A lost race on the budget starts over.
   */
  async evict(namespace: string | undefined, name: string, body: KubeObject, opts: WriteOptions = {}): Promise<void> {
    const budgets = this.budgets!;
    const eviction = typedBody<KubeObject>(body, { ...this.info, group: 'policy', version: 'v1' }, 'Eviction') as Eviction;
    const errs = validateEviction(eviction, name);
    if (errs.length > 0) throw new InvalidError('Eviction', 'policy', name, errs);
    const ns = this.requestNamespace(namespace) ?? '';
    const del = deleteRequestOf(eviction, !!opts.dryRun);
    for (let attempt = 1; ; attempt++) {
      const pod = await this.store.get(ns, name);
      const plan = planEviction(pod, await budgets.list(ns), this.clock());
      try {
        if (plan.budget && !del.dryRun) await budgets.writeStatus(plan.budget);
      } catch (err) {
        if (isConflict(err) && attempt < EVICTION_CONFLICT_ATTEMPTS) continue;
        throw err;
      }
      await this.delete(ns, name, del);
      return;
    }
  }

  async connect(namespace: string | undefined, name: string, subresource: string, query: URLSearchParams): Promise<NodeStreamLocation | null> {
    const pod = (await this.get(namespace, name)) as Pod; // a missing pod answers NotFound first, as Kubernetes does
    if (!isPodStreamSubresource(subresource)) throw new BadRequestError(`pods/${subresource} is not served`);
    const nodeName = pod.spec?.nodeName;
    const node = nodeName && this.nodes ? await this.nodes(nodeName) : undefined;
    if (nodeName && !node) throw new NotFoundError('nodes', '', nodeName);
    return podStreamLocation(pod, node, subresource, query);
  }
}
