/**
 * The ingress controller's Prometheus metrics (named after nginx-ingress' where one exists):
 * `ingress_requests_total{status}` (requests answered, by HTTP status code),
 * `ingress_upstream_connect_errors_total` (endpoints that refused or failed a connection, each
 * retried on another endpoint), `ingress_request_duration_seconds` (from request to the response
 * head), `ingress_routes` (compiled routes) and `ingress_config_reloads_total` (route table rebuilds).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Buckets of the request duration histogram, seconds: 1 ms to 10 s. */
export const REQUEST_DURATION_BUCKETS_SECONDS: readonly number[] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];

/** What the proxy and the controller report. */
export interface IngressMetrics {
  /** A request was answered with `status` after `seconds`. */
  answered(status: number, seconds: number): void;
  /** A connection to an endpoint failed (the request moves to another endpoint if one is left). */
  connectFailed(): void;
  /** The route table was rebuilt with `routes` routes. */
  reloaded(routes: number): void;
}

/** Metrics that go nowhere (tests, or a process without /metrics). */
export const NO_INGRESS_METRICS: IngressMetrics = { answered() {}, connectFailed() {}, reloaded() {} };

/** The metrics in `registry`. */
export function ingressMetrics(registry: Registry): IngressMetrics {
  const registers = [registry];
  const requests = new Counter({ name: 'ingress_requests_total', help: 'Requests the ingress answered, by HTTP status', labelNames: ['status'] as const, registers });
  const connectErrors = new Counter({ name: 'ingress_upstream_connect_errors_total', help: 'Failed connections to endpoints', registers });
  const duration = new Histogram({ name: 'ingress_request_duration_seconds', help: 'Seconds from a request to its response head', buckets: [...REQUEST_DURATION_BUCKETS_SECONDS], registers });
  const routes = new Gauge({ name: 'ingress_routes', help: 'Routes compiled from the served Ingresses', registers });
  const reloads = new Counter({ name: 'ingress_config_reloads_total', help: 'Route table rebuilds', registers });
  return {
    answered(status, seconds) {
      requests.inc({ status: String(status) });
      duration.observe(seconds);
    },
    connectFailed: () => connectErrors.inc(),
    reloaded(n) {
      routes.set(n);
      reloads.inc();
    },
  };
}
