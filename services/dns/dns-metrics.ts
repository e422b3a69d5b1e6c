/**
 * The cluster DNS's metrics under CoreDNS's names, so dashboards built for CoreDNS read them:
 * - `coredns_dns_requests_total{server,zone,proto,family,type}`: queries received;
 * - `coredns_dns_responses_total{server,zone,rcode}`: responses sent, by response code;
 * - `coredns_dns_request_duration_seconds{server,zone,type}`: time to answer (forwarding
 *   included), CoreDNS's buckets (0.25 ms doubling 16 times).
 * `zone` is the cluster zone for names under it and "." for everything else.
 */
import { Counter, Histogram, type Registry } from 'prom-client';

/** CoreDNS's duration buckets: 0.25 ms doubling 16 times (to ~8 s). */
export const DNS_DURATION_BUCKETS_SECONDS: readonly number[] = Array.from({ length: 16 }, (_, i) => 0.00025 * 2 ** i);

/** One answered query, as the responder reports it. */
export interface DnsObservation {
  readonly proto: 'udp' | 'tcp';
  /** The question's type ("A", "SRV", ...; "other" when the packet had none). */
  readonly type: string;
  /** The cluster zone with a trailing dot, or "." for names outside it. */
  readonly zone: string;
  readonly rcode: string;
  readonly seconds: number;
}

/** Where the responder reports what it answered (metrics, the status API's counts). */
export interface DnsObserver {
  observe(o: DnsObservation): void;
}

/** Types CoreDNS names in its `type` label; anything else is "other" (bounded cardinality). */
const KNOWN_TYPES = new Set(['A', 'AAAA', 'NS', 'PTR', 'SRV', 'SOA', 'CNAME', 'MX', 'TXT', 'ANY', 'HTTPS', 'SVCB']);

/** The metrics in a component registry. */
export class DnsMetrics implements DnsObserver {
  private readonly requests: Counter<'server' | 'zone' | 'proto' | 'family' | 'type'>;
  private readonly responses: Counter<'server' | 'zone' | 'rcode'>;
  private readonly duration: Histogram<'server' | 'zone' | 'type'>;

  /** `server` is CoreDNS's server label, `dns://host:port`. */
  constructor(
    registry: Registry,
    private readonly server: string,
  ) {
    this.requests = new Counter({ name: 'coredns_dns_requests_total', help: 'Counter of DNS requests made per zone, protocol and family.', labelNames: ['server', 'zone', 'proto', 'family', 'type'], registers: [registry] });
    this.responses = new Counter({ name: 'coredns_dns_responses_total', help: 'Counter of response status codes.', labelNames: ['server', 'zone', 'rcode'], registers: [registry] });
    this.duration = new Histogram({
      name: 'coredns_dns_request_duration_seconds',
      help: 'Histogram of the time (in seconds) each request took per zone.',
      labelNames: ['server', 'zone', 'type'],
      buckets: [...DNS_DURATION_BUCKETS_SECONDS],
      registers: [registry],
    });
  }

  observe(o: DnsObservation): void {
    const type = KNOWN_TYPES.has(o.type) ? o.type : 'other';
    this.requests.inc({ server: this.server, zone: o.zone, proto: o.proto, family: '1', type });
    this.responses.inc({ server: this.server, zone: o.zone, rcode: o.rcode });
    this.duration.observe({ server: this.server, zone: o.zone, type }, o.seconds);
  }
}
