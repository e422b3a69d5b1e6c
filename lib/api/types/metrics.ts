/**
 * The metrics.k8s.io/v1beta1 kinds (what metrics-server serves and `kubectl top` and the
 * HorizontalPodAutoscaler read): NodeMetrics and PodMetrics, with Kubernetes' JSON field names.
 * Usage is a ResourceList of quantity strings: cpu in nanocores ("123456n"), memory in Ki.
 */
import type { KubeObject, ResourceInfo } from '../object';

/** The group and version of the resource metrics API. */
export const METRICS_GROUP = 'metrics.k8s.io';
export const METRICS_VERSION = 'v1beta1';

/** cpu and memory as quantity strings. */
export type ResourceUsage = { cpu: string; memory: string };

/** metrics.k8s.io/v1beta1 NodeMetrics. */
export type NodeMetrics = KubeObject & { timestamp: string; window: string; usage: ResourceUsage };

/** One container's usage in a PodMetrics. */
export type ContainerMetrics = { name: string; usage: ResourceUsage };

/** metrics.k8s.io/v1beta1 PodMetrics. */
export type PodMetrics = KubeObject & { timestamp: string; window: string; containers: ContainerMetrics[] };

function metricsInfo(kind: string, resource: string, namespaced: boolean): ResourceInfo {
  return Object.freeze({ group: METRICS_GROUP, version: METRICS_VERSION, kind, resource, singular: '', namespaced, shortNames: [], categories: [] });
}

/** The served resources (answered from node agents' figures, never stored). */
export const NODE_METRICS_INFO = metricsInfo('NodeMetrics', 'nodes', false);
export const POD_METRICS_INFO = metricsInfo('PodMetrics', 'pods', true);

/** Where a node agent serves its Summary API (the kubelet's path), read by the metrics API. */
export const STATS_SUMMARY_PATH = '/stats/summary';
