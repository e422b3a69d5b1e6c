/**
 * Whether a DaemonSet belongs on a node (Kubernetes' NodeShouldRunDaemonPod): the template's
 * nodeSelector and required node affinity must match the node, and its tolerations plus the
 * daemon tolerations must tolerate the node's NoSchedule/NoExecute taints to place a new pod;
 * a pod already there keeps running unless a NoExecute taint is untolerated. Reuses the
 * scheduler's pure matching (services/scheduler/algorithm) so both agree.
 */
import type { DaemonSet } from '../../../lib/api/types/apps';
import type { Node, PodSpec } from '../../../lib/api/types/core';
import type { PodSpec as SchedulerPodSpec } from '../../scheduler/algorithm/api-types';
import { compilePodNodeSelection, type NodeMatcher } from '../../scheduler/algorithm/node-selector';
import { DO_NOT_SCHEDULE_EFFECTS, EFFECT_NO_EXECUTE, findUntoleratedTaint } from '../../../lib/api/tolerations';
import { parseTaints, parseTolerations } from '../../scheduler/algorithm/taints';
import { daemonTolerations } from './daemon-pod';

/** The placement decision for one node. */
export interface NodePlacement {
  /** A daemon pod should be created here if missing. */
  readonly shouldRun: boolean;
  /** A daemon pod already here may stay. */
  readonly shouldContinueRunning: boolean;
}

const NO_EXECUTE_ONLY: ReadonlySet<string> = new Set([EFFECT_NO_EXECUTE]);

/** A DaemonSet's placement rules, compiled once per sync; throws MalformedObjectError naming the field. */
export function compilePlacement(ds: DaemonSet): (node: Node) => NodePlacement {
  const spec: PodSpec = ds.spec?.template?.spec ?? {};
  const required: NodeMatcher | undefined = compilePodNodeSelection(spec as unknown as SchedulerPodSpec).required;
  const tolerations = parseTolerations(daemonTolerations(spec), 'spec.template.spec.tolerations');
  return (node) => {
    const identity = { name: node.metadata.name ?? '', labels: node.metadata.labels ?? {} };
    if (required && !required(identity)) return { shouldRun: false, shouldContinueRunning: false };
    let taints;
    try {
      taints = parseTaints(node.spec?.taints);
    } catch {
      // A node with malformed taints gets no new daemon pod; one already there is left alone.
      return { shouldRun: false, shouldContinueRunning: true };
    }
    return {
      shouldRun: findUntoleratedTaint(taints, tolerations, DO_NOT_SCHEDULE_EFFECTS) === undefined,
      shouldContinueRunning: findUntoleratedTaint(taints, tolerations, NO_EXECUTE_ONLY) === undefined,
    };
  };
}
