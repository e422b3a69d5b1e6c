/**
 * The informers one scheduling term runs (kube-scheduler's informer factory): pods of every
 * scheduler (pending ones to schedule, bound ones for the cache), nodes and namespaces, and the
 * Services, ReplicaSets and StatefulSets that default spreading reads, and the
 * PodDisruptionBudgets preemption honours. Each term builds its own,
 * so a new leader rebuilds its cache from the API.
 */
import type { Logger } from 'pino';
import type { KubeObject, ResourceInfo } from '../../lib/api/object';
import { listerWatcherFor } from '../../lib/client/api-adapters';
import type { ApiClient } from '../../lib/client/api-client';
import type { Clock } from '../../lib/client/clock';
import { SharedInformer } from '../../lib/client/informer';
import type { Node, Pod } from './algorithm/api-types';
import { compileDisruptionBudget, type DisruptionBudget, type DisruptionBudgetSource } from './algorithm/disruption-budgets';
import { NAMESPACES, NODES, POD_DISRUPTION_BUDGETS, PODS, REPLICA_SETS, SERVICES, STATEFUL_SETS } from './api-resources';
import type { SpreadListers } from './default-spread-selector';
import type { Scheduler } from './scheduler';

/**
 * First retry delay of a list or watch, ms. Shorter than the informer's default (800 ms): the
 * apiserver ends the watch of a consumer that falls behind during bursts, and every moment
 * without a watch is a moment of pods not seen.
 */
export const SCHEDULER_WATCH_RETRY_BASE_MS = 100;

export class SchedulerInformers {
  readonly pods: SharedInformer<Pod>;
  readonly nodes: SharedInformer<Node>;
  readonly namespaces: SharedInformer<KubeObject>;
  readonly services: SharedInformer<KubeObject>;
  readonly replicaSets: SharedInformer<KubeObject>;
  readonly statefulSets: SharedInformer<KubeObject>;
  readonly disruptionBudgets: SharedInformer<KubeObject>;
  /** Compiled budgets by cached object (the informer replaces an object on every change). */
  private readonly compiledBudgets = new WeakMap<KubeObject, DisruptionBudget>();

  constructor(client: ApiClient, logger: Logger, clock?: Clock) {
    const make = <T extends KubeObject>(info: ResourceInfo) =>
      new SharedInformer<T>(listerWatcherFor(client.resource<T>(info)), { clock, logger: logger.child({ informer: info.resource }), retryBaseMs: SCHEDULER_WATCH_RETRY_BASE_MS });
    this.pods = make<Pod>(PODS);
    this.nodes = make<Node>(NODES);
    this.namespaces = make(NAMESPACES);
    this.services = make(SERVICES);
    this.replicaSets = make(REPLICA_SETS);
    this.statefulSets = make(STATEFUL_SETS);
    this.disruptionBudgets = make(POD_DISRUPTION_BUDGETS);
  }

  private all(): SharedInformer<KubeObject>[] {
    return [this.nodes, this.namespaces, this.services, this.replicaSets, this.statefulSets, this.disruptionBudgets, this.pods] as SharedInformer<KubeObject>[];
  }

  /** The caches default spreading reads. */
  spreadListers(): SpreadListers {
    return { services: this.services.lister, replicaSets: this.replicaSets.lister, statefulSets: this.statefulSets.lister };
  }

  /** The PodDisruptionBudgets in the cache, each compiled once per version. */
  disruptionBudgetSource(): DisruptionBudgetSource {
    return () =>
      this.disruptionBudgets.lister.list().map((obj) => {
        let compiled = this.compiledBudgets.get(obj);
        if (!compiled) {
          compiled = compileDisruptionBudget(obj);
          this.compiledBudgets.set(obj, compiled);
        }
        return compiled;
      });
  }

  /** Routes every change to `scheduler`. */
  connect(scheduler: Scheduler): void {
    this.nodes.addEventHandler({
      onAdd: (n) => scheduler.onNodeAdd(n),
      onUpdate: (o, n) => scheduler.onNodeUpdate(o, n),
      onDelete: (n) => scheduler.onNodeDelete(n),
    });
    this.namespaces.addEventHandler({
      onAdd: (ns) => scheduler.onNamespace(ns, false),
      onUpdate: (_o, ns) => scheduler.onNamespace(ns, false),
      onDelete: (ns) => scheduler.onNamespace(ns, true),
    });
    this.pods.addEventHandler({
      onAdd: (p) => scheduler.onPodAdd(p),
      onUpdate: (o, p) => scheduler.onPodUpdate(o, p),
      onDelete: (p) => scheduler.onPodDelete(p),
    });
  }

  /** Starts listing and watching, and resolves once every cache holds its first list. */
  async runAndSync(): Promise<void> {
    const all = this.all();
    for (const i of all) i.run();
    await Promise.all(all.map((i) => i.waitForSync()));
  }

  stop(): void {
    for (const i of this.all()) i.stop();
  }
}
