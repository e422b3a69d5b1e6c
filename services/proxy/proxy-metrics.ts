/**
 * The proxy's metrics, under kube-proxy's names where Kubernetes has one: the sync duration
 * histogram and the last-sync timestamp, plus gauges of what the last sync serves.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { SyncResult } from './data-path';

/** kube-proxy's sync duration buckets, seconds (exponential from 1 ms). */
export const SYNC_DURATION_BUCKETS_SECONDS: readonly number[] = [0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192, 16.384];

/** The metric families of one proxy. */
export class ProxyMetrics {
  private readonly duration: Histogram;
  private readonly lastTimestamp: Gauge;
  private readonly servicePorts: Gauge;
  private readonly endpoints: Gauge;
  private readonly rules: Gauge;
  private readonly failures: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.duration = new Histogram({
      name: 'kubeproxy_sync_proxy_rules_duration_seconds',
      help: 'SyncProxyRules latency in seconds (the proxy_sync_duration_seconds of Bosun issue 15, under Kubernetes\' name)',
      buckets: [...SYNC_DURATION_BUCKETS_SECONDS],
      registers,
    });
    this.lastTimestamp = new Gauge({ name: 'kubeproxy_sync_proxy_rules_last_timestamp_seconds', help: 'The last time proxy rules were successfully synced', registers });
    this.servicePorts = new Gauge({ name: 'bosun_proxy_service_ports', help: 'Service ports served after the last sync', registers });
    this.endpoints = new Gauge({ name: 'bosun_proxy_endpoints', help: 'Endpoints in rotation after the last sync, over every served port', registers });
    this.rules = new Gauge({ name: 'bosun_proxy_rules', help: 'Kernel rules written (nftables) or listeners open (userspace) after the last sync', registers });
    this.failures = new Counter({ name: 'bosun_proxy_sync_failures_total', help: 'Syncs that failed and were retried', registers });
  }

  /** Records a successful sync that took `durationMs` and finished at `atMs`. */
  synced(result: SyncResult, durationMs: number, atMs: number): void {
    this.duration.observe(durationMs / 1000);
    this.lastTimestamp.set(atMs / 1000);
    this.servicePorts.set(result.servicePorts);
    this.endpoints.set(result.endpoints);
    this.rules.set(result.rules);
  }

  /** Records a failed sync. */
  failed(): void {
    this.failures.inc();
  }
}
