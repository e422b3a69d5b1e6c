/**
 * The writes the scheduler makes, behind one small interface so the scheduler can be driven by
 * a fake in unit tests: binding (pods/binding), the PodScheduled condition and
 * status.nominatedNodeName (a strategic merge patch of pods/status, so other status fields are
 * left alone), and graceful eviction of preemption victims (the DisruptionTarget condition,
 * then a delete with the victim's uid as precondition).
 */
import type { ResourceClient } from '../../lib/client/api-client';
import type { Pod, PodCondition } from './algorithm/api-types';
import type { PodInfo } from './algorithm/pod-info';
import type { SelectedNodeAnnotator } from './selected-node';

/** The scheduler's API writes. Each rejects with the API's error (an ApiError with its code). */
export interface SchedulerApi {
  /** Binds the pod to `nodeName`; a 409 means it is bound already (or may not be bound). */
  bind(pod: PodInfo, nodeName: string): Promise<void>;
  /**
   * Writes `condition` (by type) into status.conditions and, when given, sets
   * status.nominatedNodeName ("" clears it).
   */
  patchStatus(pod: PodInfo, condition: PodCondition | undefined, nominatedNodeName?: string): Promise<void>;
  /** Evicts a preemption victim: marks it DisruptionTarget, then deletes it gracefully. */
  evict(victim: PodInfo, message: string): Promise<void>;
}

const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';

/** Kubernetes' reason of the DisruptionTarget condition set on preemption victims. */
export const REASON_PREEMPTION_BY_SCHEDULER = 'PreemptionByScheduler';

/** The SchedulerApi over the pods resource of an ApiClient. */
export class ApiSchedulerWrites implements SchedulerApi {
  constructor(
    private readonly pods: ResourceClient<Pod>,
    private readonly now: () => number,
    /** Annotates the pod's WaitForFirstConsumer claims with the node before the bind (none: claims are left alone). */
    private readonly volumes?: SelectedNodeAnnotator,
  ) {}

  async bind(pod: PodInfo, nodeName: string): Promise<void> {
    await this.volumes?.annotate(pod.pod, nodeName);
    await this.pods.bind(pod.namespace, pod.name, {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: pod.name, namespace: pod.namespace, uid: pod.uid },
      target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
    });
  }

  async patchStatus(pod: PodInfo, condition: PodCondition | undefined, nominatedNodeName?: string): Promise<void> {
    const status: Record<string, unknown> = {};
    if (condition) status.conditions = [condition];
    if (nominatedNodeName !== undefined) status.nominatedNodeName = nominatedNodeName === '' ? null : nominatedNodeName;
    await this.pods.patch(pod.namespace, pod.name, STRATEGIC_MERGE_PATCH, JSON.stringify({ metadata: { uid: pod.uid }, status }), { subresource: 'status' });
  }

  async evict(victim: PodInfo, message: string): Promise<void> {
    const condition: PodCondition = {
      type: 'DisruptionTarget',
      status: 'True',
      reason: REASON_PREEMPTION_BY_SCHEDULER,
      message,
      lastTransitionTime: new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
    await this.patchStatus(victim, condition);
    await this.pods.delete(victim.namespace, victim.name, { preconditions: { uid: victim.uid } });
  }
}
