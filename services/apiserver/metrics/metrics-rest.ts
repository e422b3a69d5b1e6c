/**
 * metrics.k8s.io/v1beta1 NodeMetrics and PodMetrics as read-only ResourceRests (get and list,
 * label selectors; every other verb is 405), answered from a MetricsCollector and the
 * apiserver's caches of nodes and pods — the objects metrics-server serves through aggregation
 * in Kubernetes, here in process. Only objects that exist and have figures are listed; a get of
 * one without figures is NotFound, as in metrics-server.
 */
import { NotFoundError } from '../../../lib/api/errors';
import { parseLabelSelector, type Selector } from '../../../lib/api/label-selector';
import type { KubeList, KubeObject } from '../../../lib/api/object';
import type { ListRequest } from '../../../lib/api/requests';
import type { Node, Pod } from '../../../lib/api/types/core';
import { METRICS_GROUP, METRICS_VERSION, NODE_METRICS_INFO, POD_METRICS_INFO, type NodeMetrics, type PodMetrics, type ResourceUsage } from '../../../lib/api/types/metrics';
import { UnstoredRest } from '../rest/unstored-rest';
import type { MetricsCollector, UsagePoint } from './metrics-collector';

/** Where the metrics resources read the objects they describe. */
export interface MetricsSources {
  readonly collector: MetricsCollector;
  /** Nodes now, optionally of one name. */
  readonly nodes: () => Promise<readonly Node[]>;
  /** Pods now, of one namespace or all. */
  readonly pods: (namespace: string | undefined) => Promise<readonly Pod[]>;
}

/** Kubernetes' quantity strings of a figure: nanocores, and memory in Ki (rounded up). */
export function usageOf(point: Pick<UsagePoint, 'cpuNanoCores' | 'memoryBytes'>): ResourceUsage {
  return { cpu: `${Math.round(point.cpuNanoCores)}n`, memory: `${Math.ceil(point.memoryBytes / 1024)}Ki` };
}

function windowOf(ms: number): string {
  return `${Math.round(ms) / 1000}s`;
}

function selectorOf(opts: ListRequest | undefined): Selector {
  return parseLabelSelector(opts?.labelSelector ?? '');
}

/** What every read-only metrics resource shares: 405 for writes and watches. */
abstract class ReadOnlyRest<T extends KubeObject> extends UnstoredRest<T> {
  readonly verbs = ['get', 'list'] as const;

  abstract override get(namespace: string | undefined, name: string): Promise<T>;
  abstract override list(namespace: string | undefined, opts?: ListRequest): Promise<KubeList<T>>;

  protected listOf(items: T[]): KubeList<T> {
    return { apiVersion: `${METRICS_GROUP}/${METRICS_VERSION}`, kind: `${this.info.kind}List`, metadata: {}, items };
  }
}

/** NodeMetrics: one per Ready node that answered two scrapes. */
export class NodeMetricsRest extends ReadOnlyRest<NodeMetrics> {
  constructor(private readonly sources: MetricsSources) {
    super(NODE_METRICS_INFO);
  }

  async get(_namespace: string | undefined, name: string): Promise<NodeMetrics> {
    const found = (await this.items(() => true)).find((m) => m.metadata.name === name);
    if (!found) throw new NotFoundError('nodes', METRICS_GROUP, name);
    return found;
  }

  async list(_namespace: string | undefined, opts?: ListRequest): Promise<KubeList<NodeMetrics>> {
    const selector = selectorOf(opts);
    return this.listOf(await this.items((n) => selector.matches(n.metadata.labels ?? {})));
  }

  private async items(wanted: (node: Node) => boolean): Promise<NodeMetrics[]> {
    const [snapshot, nodes] = await Promise.all([this.sources.collector.current(), this.sources.nodes()]);
    const out: NodeMetrics[] = [];
    for (const node of nodes) {
      const point = snapshot.nodes.get(node.metadata.name ?? '');
      if (!point || !wanted(node)) continue;
      out.push({
        apiVersion: `${METRICS_GROUP}/${METRICS_VERSION}`,
        kind: 'NodeMetrics',
        metadata: { name: node.metadata.name, creationTimestamp: new Date().toISOString(), ...(node.metadata.labels ? { labels: { ...node.metadata.labels } } : {}) },
        timestamp: new Date(point.timestampMs).toISOString(),
        window: windowOf(point.windowMs),
        usage: usageOf(point),
      });
    }
    return out.sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  }
}

/** PodMetrics: one per pod whose every running container answered two scrapes. */
export class PodMetricsRest extends ReadOnlyRest<PodMetrics> {
  constructor(private readonly sources: MetricsSources) {
    super(POD_METRICS_INFO);
  }

  async get(namespace: string | undefined, name: string): Promise<PodMetrics> {
    const found = (await this.items(namespace, () => true)).find((m) => m.metadata.name === name);
    if (!found) throw new NotFoundError('pods', METRICS_GROUP, name);
    return found;
  }

  async list(namespace: string | undefined, opts?: ListRequest): Promise<KubeList<PodMetrics>> {
    const selector = selectorOf(opts);
    return this.listOf(await this.items(namespace, (p) => selector.matches(p.metadata.labels ?? {})));
  }

  private async items(namespace: string | undefined, wanted: (pod: Pod) => boolean): Promise<PodMetrics[]> {
    const [snapshot, pods] = await Promise.all([this.sources.collector.current(), this.sources.pods(namespace || undefined)]);
    const out: PodMetrics[] = [];
    for (const pod of pods) {
      const key = `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
      const point = snapshot.pods.get(key);
      if (!point || (point.uid && pod.metadata.uid && point.uid !== pod.metadata.uid) || !wanted(pod)) continue;
      out.push({
        apiVersion: `${METRICS_GROUP}/${METRICS_VERSION}`,
        kind: 'PodMetrics',
        metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, creationTimestamp: new Date().toISOString(), ...(pod.metadata.labels ? { labels: { ...pod.metadata.labels } } : {}) },
        timestamp: new Date(point.timestampMs).toISOString(),
        window: windowOf(point.windowMs),
        containers: [...point.containers].map(([name, p]) => ({ name, usage: usageOf(p) })),
      });
    }
    return out;
  }
}
