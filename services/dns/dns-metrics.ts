/**
 * The cluster DNS's metrics under CoreDNS's names, so dashboards built for CoreDNS read them:
 * - `coredns_dns_requests_total{server,zone,proto,family,type}`: queries received;
 * - `coredns_dns_responses_total{server,zone,rcode}`: responses sent, by response code;
 * - `coredns_dns_request_duration_seconds{server,zone,type}`: time to answer (forwarding
 *   included), CoreDNS's buckets (0.25 ms doubling 16 times).
 * `zone` is the cluster zone for names under it and "." for everything else.
 */
import { Counter, Histogram, type MetricType, type Registry } from 'prom-client';

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

/** What one label combination has seen: counts, the duration sum and per-bucket counts. */
interface Tally {
  readonly request: Record<'server' | 'zone' | 'proto' | 'family' | 'type', string>;
  readonly response: Record<'server' | 'zone' | 'rcode', string>;
  readonly duration: Record<'server' | 'zone' | 'type', string>;
  count: number;
  sum: number;
  /** Observations per bucket (not cumulative); the last slot is +Inf. */
  readonly buckets: number[];
}

/** Series of the same labels summed (several tallies share request, response or duration labels). */
function sumBy<L extends Record<string, string>>(tallies: Iterable<Tally>, labelsOf: (t: Tally) => L): { labels: L; tallies: Tally[] }[] {
  const groups = new Map<string, { labels: L; tallies: Tally[] }>();
  for (const t of tallies) {
    const labels = labelsOf(t);
    const key = JSON.stringify(labels);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { labels, tallies: [] }));
    g.tallies.push(t);
  }
  return [...groups.values()];
}

const DURATION_NAME = 'coredns_dns_request_duration_seconds';
/** prom-client's d.ts declares MetricType as an enum that does not exist at run time: its value is the string. */
const HISTOGRAM_TYPE = 'histogram' as unknown as MetricType;
const DURATION_HELP = 'Histogram of the time (in seconds) each request took per zone.';

/**
 * A histogram whose observations are tallied in plain numbers by the caller and read at scrape
 * time (prom-client hashes the labels on every observe, which cost more than answering a
 * cached query).
 */
/** Labels of the histogram's series (`le` on the buckets only). */
type DurationLabel = 'server' | 'zone' | 'type' | 'le';

class TalliedHistogram extends Histogram<DurationLabel> {
  constructor(
    registry: Registry,
    private readonly tallies: Map<string, Tally>,
  ) {
    super({
      name: DURATION_NAME,
      help: DURATION_HELP,
      labelNames: ['server', 'zone', 'type'] as DurationLabel[],
      buckets: [...DNS_DURATION_BUCKETS_SECONDS],
      registers: [registry],
    });
  }

  override async get(): ReturnType<Histogram<DurationLabel>['get']> {
    const values: Awaited<ReturnType<Histogram<DurationLabel>['get']>>['values'] = [];
    for (const { labels, tallies } of sumBy(this.tallies.values(), (t) => t.duration)) {
      let cumulative = 0;
      for (const [i, bound] of [...DNS_DURATION_BUCKETS_SECONDS, Infinity].entries()) {
        cumulative += tallies.reduce((n, t) => n + t.buckets[i]!, 0);
        values.push({ metricName: `${DURATION_NAME}_bucket`, labels: { ...labels, le: bound === Infinity ? '+Inf' : bound }, value: cumulative });
      }
      values.push({ metricName: `${DURATION_NAME}_sum`, labels, value: tallies.reduce((n, t) => n + t.sum, 0) });
      values.push({ metricName: `${DURATION_NAME}_count`, labels, value: tallies.reduce((n, t) => n + t.count, 0) });
    }
    return { name: DURATION_NAME, help: DURATION_HELP, type: HISTOGRAM_TYPE, values, aggregator: 'sum', collect: () => undefined };
  }

  /** prom-client's registry reads this form when present. */
  getForPromString(): ReturnType<Histogram<DurationLabel>['get']> {
    return this.get();
  }
}

/** The metrics in a component registry: tallied per query in plain numbers, read by prom-client at scrape time. */
export class DnsMetrics implements DnsObserver {
  private readonly tallies = new Map<string, Tally>();

  /** `server` is CoreDNS's server label, `dns://host:port`. */
  constructor(
    registry: Registry,
    private readonly server: string,
  ) {
    const tallies = this.tallies;
    new Counter({
      name: 'coredns_dns_requests_total',
      help: 'Counter of DNS requests made per zone, protocol and family.',
      labelNames: ['server', 'zone', 'proto', 'family', 'type'],
      registers: [registry],
      collect() {
        this.reset();
        for (const { labels, tallies: ts } of sumBy(tallies.values(), (t) => t.request)) this.inc(labels, ts.reduce((n, t) => n + t.count, 0));
      },
    });
    new Counter({
      name: 'coredns_dns_responses_total',
      help: 'Counter of response status codes.',
      labelNames: ['server', 'zone', 'rcode'],
      registers: [registry],
      collect() {
        this.reset();
        for (const { labels, tallies: ts } of sumBy(tallies.values(), (t) => t.response)) this.inc(labels, ts.reduce((n, t) => n + t.count, 0));
      },
    });
    new TalliedHistogram(registry, tallies);
  }

  observe(o: DnsObservation): void {
    const type = KNOWN_TYPES.has(o.type) ? o.type : 'other';
    const key = `${o.zone} ${o.proto} ${type} ${o.rcode}`;
    let t = this.tallies.get(key);
    if (!t) {
      t = {
        request: { server: this.server, zone: o.zone, proto: o.proto, family: '1', type },
        response: { server: this.server, zone: o.zone, rcode: o.rcode },
        duration: { server: this.server, zone: o.zone, type },
        count: 0,
        sum: 0,
        buckets: new Array<number>(DNS_DURATION_BUCKETS_SECONDS.length + 1).fill(0),
      };
      this.tallies.set(key, t);
    }
    t.count++;
    t.sum += o.seconds;
    let i = 0;
    while (i < DNS_DURATION_BUCKETS_SECONDS.length && o.seconds > DNS_DURATION_BUCKETS_SECONDS[i]!) i++;
    t.buckets[i]!++;
  }
}
