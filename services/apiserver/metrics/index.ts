/**
 * The in-process resource metrics API (metrics.k8s.io/v1beta1): what an apiserver adds to its
 * ResourceSet so `kubectl top` and the HorizontalPodAutoscaler find NodeMetrics and PodMetrics.
 * Served by the HTTP door only: like the access reviews these are answered, never stored, and
 * the gRPC door's services are generated from the stored kinds' schemas.
 */
import type { Node, Pod } from '../../../lib/api/types/core';
import { STATS_SUMMARY_PATH } from '../../../lib/api/types/metrics';
import type { Logger } from '../../../lib/logger';
import type { NodeStreamProxy } from '../http/node-stream-proxy';
import { nodeAddress } from '../rest/pod-stream-location';
import type { ResourceRest } from '../rest/resource-rest';
import type { ResourceSet } from '../rest/resource-set';
import { MetricsCollector, SCRAPE_TIMEOUT_MS } from './metrics-collector';
import { NodeMetricsRest, PodMetricsRest } from './metrics-rest';

/** Largest Summary document read from a node, bytes. */
export const MAX_SUMMARY_BYTES = 16 * 1024 * 1024;

/**
 * The metrics resources over `resources`' node and pod caches, scraping nodes through `proxy`
 * (the apiserver's kubelet client certificate) — resolved when first asked, as the HTTP door
 * that owns the proxy starts after the resources.
 */
export function metricsRests(resources: ResourceSet, proxy: () => NodeStreamProxy | undefined, opts: { logger?: Logger; resolutionMs?: number } = {}): ResourceRest[] {
  const nodeCache = resources.cacheOf<Node>('', 'nodes');
  const podCache = resources.cacheOf<Pod>('', 'pods');
  if (!nodeCache || !podCache) throw new Error('the metrics API needs the nodes and pods caches');
  const nodes = async () => (await nodeCache.list()).items;
  const collector = new MetricsCollector({
    nodes,
    scrape: async (node) => {
      const streams = proxy();
      if (!streams) throw new Error('the apiserver has no kubelet client (no HTTPS door)');
      const { host, port } = nodeAddress(node);
      return streams.getJson({ nodeName: node.metadata.name ?? '', host, port, path: STATS_SUMMARY_PATH }, SCRAPE_TIMEOUT_MS, MAX_SUMMARY_BYTES);
    },
    logger: opts.logger?.child({ part: 'metrics' }),
    resolutionMs: opts.resolutionMs,
  });
  const sources = { collector, nodes, pods: async (namespace: string | undefined) => (await podCache.list({ namespace })).items };
  return [new NodeMetricsRest(sources), new PodMetricsRest(sources)];
}
