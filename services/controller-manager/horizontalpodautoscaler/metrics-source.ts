/**
 * Where the HPA controller reads pods' resource usage: an interface, so production reads the
 * metrics.k8s.io API and tests a fake they steer. The production source GETs PodMetricsList over
 * the apiserver's HTTPS door (the metrics API has no gRPC service: it is answered, never
 * stored), with the controller-manager's kubeconfig server, CA and token.
 */
import * as https from 'node:https';
import { parseQuantity } from '../../../lib/api/quantity';
import { METRICS_GROUP, METRICS_VERSION, type PodMetrics } from '../../../lib/api/types/metrics';
import type { ResourceName } from './replica-calculator';

/** Longest one metrics request may take, ms. */
export const METRICS_REQUEST_TIMEOUT_MS = 10_000;
/** Largest metrics answer read, bytes. */
const MAX_ANSWER_BYTES = 32 * 1024 * 1024;

/** Pods' usage of a resource. */
export interface PodMetricsSource {
  /**
   * The usage of `resource` of the pods of `namespace` matching `selector` (a label selector
   * string), milli-units (millicores; milli-bytes for memory) by pod name, summed over
   * containers. Rejects when the metrics cannot be read.
   */
  podUsage(namespace: string, selector: string, resource: ResourceName): Promise<Map<string, number>>;
}

/** The sum over a PodMetrics' containers of `resource`, milli-units. */
export function podMetricsUsage(m: PodMetrics, resource: ResourceName): number {
  return (m.containers ?? []).reduce((sum, c) => sum + parseQuantity(String(c.usage?.[resource] ?? '0')).milliValue(), 0);
}

/** Where the production source reaches the HTTPS API. */
export interface MetricsApiConnection {
  /** https://host:port */
  readonly server: string;
  /** PEM of the cluster CA. */
  readonly caCert?: string;
  readonly token?: string;
}

/** Reads PodMetrics from metrics.k8s.io over HTTPS. */
export class RestPodMetricsSource implements PodMetricsSource {
  constructor(private readonly conn: MetricsApiConnection) {}

  async podUsage(namespace: string, selector: string, resource: ResourceName): Promise<Map<string, number>> {
    const path = `/apis/${METRICS_GROUP}/${METRICS_VERSION}/namespaces/${encodeURIComponent(namespace)}/pods?labelSelector=${encodeURIComponent(selector)}`;
    const list = (await this.get(path)) as { items?: PodMetrics[] };
    const out = new Map<string, number>();
    for (const m of list.items ?? []) out.set(m.metadata.name ?? '', podMetricsUsage(m, resource));
    return out;
  }

  private get(path: string): Promise<unknown> {
    const url = new URL(path, this.conn.server);
    return new Promise((resolve, reject) => {
      const req = https.request(
        url,
        { method: 'GET', ca: this.conn.caCert, headers: { Accept: 'application/json', ...(this.conn.token ? { Authorization: `Bearer ${this.conn.token}` } : {}) }, timeout: METRICS_REQUEST_TIMEOUT_MS },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (d: Buffer) => {
            size += d.length;
            if (size > MAX_ANSWER_BYTES) req.destroy(new Error(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`));
            else chunks.push(d);
          });
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode !== 200) return reject(new Error(`unable to get metrics from the resource metrics API: ${res.statusCode}: ${text.slice(0, 300)}`));
            try {
              resolve(JSON.parse(text));
            } catch (err) {
              reject(new Error(`unable to get metrics from the resource metrics API: ${(err as Error).message}`));
            }
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`unable to get metrics from the resource metrics API: no answer within ${METRICS_REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end();
    });
  }
}
