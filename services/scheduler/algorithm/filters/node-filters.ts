/**
 * The filters that look at one node and the pod alone, with kube-scheduler's plugin names,
 * status codes and reason strings: NodeUnschedulable, NodeName, TaintToleration, NodeAffinity
 * (spec.nodeSelector + required node affinity) and NodePorts.
 */
import { rejection, statelessFilter, type FilterPlugin, type Rejection } from '../framework';
import { DO_NOT_SCHEDULE_EFFECTS, EFFECT_NO_SCHEDULE, findUntoleratedTaint, tolerationsTolerate } from '../../../../lib/api/tolerations';
import { TAINT_NODE_UNSCHEDULABLE } from '../taints';

export const NODE_UNSCHEDULABLE = 'NodeUnschedulable';
export const NODE_NAME = 'NodeName';
export const TAINT_TOLERATION = 'TaintToleration';
export const NODE_AFFINITY = 'NodeAffinity';
export const NODE_PORTS = 'NodePorts';

export const REASON_UNSCHEDULABLE = 'node(s) were unschedulable';
export const REASON_NODE_NAME = "node(s) didn't match the requested node name";
export const REASON_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";
export const REASON_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";

/** Kubernetes' reason for an untolerated NoSchedule/NoExecute taint. */
export function untoleratedTaintReason(key: string, value: string | undefined): string {
  return `node(s) had untolerated taint {${key}: ${value ?? ''}}`;
}

const UNSCHEDULABLE_TAINT = { key: TAINT_NODE_UNSCHEDULABLE, effect: EFFECT_NO_SCHEDULE };
const UNSCHEDULABLE: Rejection = rejection(NODE_UNSCHEDULABLE, 'UnschedulableAndUnresolvable', REASON_UNSCHEDULABLE);
const WRONG_NAME: Rejection = rejection(NODE_NAME, 'UnschedulableAndUnresolvable', REASON_NODE_NAME);
const AFFINITY_MISMATCH: Rejection = rejection(NODE_AFFINITY, 'UnschedulableAndUnresolvable', REASON_NODE_AFFINITY);
const PORTS_TAKEN: Rejection = rejection(NODE_PORTS, 'Unschedulable', REASON_NODE_PORTS);

/** A cordoned node (spec.unschedulable) takes only pods tolerating node.kubernetes.io/unschedulable:NoSchedule. */
export const nodeUnschedulable: FilterPlugin = {
  name: NODE_UNSCHEDULABLE,
  preFilter(pod) {
    if (tolerationsTolerate(pod.tolerations, UNSCHEDULABLE_TAINT)) return undefined;
    return statelessFilter(NODE_UNSCHEDULABLE, (node) => (node.unschedulable ? UNSCHEDULABLE : undefined));
  },
};

/** A pod that names its node (spec.nodeName) fits only there. */
export const nodeName: FilterPlugin = {
  name: NODE_NAME,
  preFilter(pod) {
    const wanted = pod.nodeName;
    if (!wanted) return undefined;
    return statelessFilter(NODE_NAME, (node) => (node.name === wanted ? undefined : WRONG_NAME));
  },
};

/** Every NoSchedule and NoExecute taint of the node must be tolerated. */
export const taintToleration: FilterPlugin = {
  name: TAINT_TOLERATION,
  preFilter(pod) {
    return statelessFilter(TAINT_TOLERATION, (node) => {
      if (node.taints.length === 0) return undefined;
      const taint = findUntoleratedTaint(node.taints, pod.tolerations, DO_NOT_SCHEDULE_EFFECTS);
      return taint ? rejection(TAINT_TOLERATION, 'UnschedulableAndUnresolvable', untoleratedTaintReason(taint.key, taint.value)) : undefined;
    });
  },
};

/** spec.nodeSelector and the required node affinity must match the node. */
export const nodeAffinity: FilterPlugin = {
  name: NODE_AFFINITY,
  preFilter(pod) {
    const required = pod.nodeSelection.required;
    if (!required) return undefined;
    return statelessFilter(NODE_AFFINITY, (node) => (required(node) ? undefined : AFFINITY_MISMATCH));
  },
};

/** None of the pod's host ports may be in use on the node. */
export const nodePorts: FilterPlugin = {
  name: NODE_PORTS,
  preFilter(pod) {
    const ports = pod.hostPorts;
    if (ports.length === 0) return undefined;
    return statelessFilter(NODE_PORTS, (node) => {
      if (node.usedPorts.size === 0) return undefined;
      for (const p of ports) if (node.usedPorts.conflicts(p)) return PORTS_TAKEN;
      return undefined;
    });
  },
};
