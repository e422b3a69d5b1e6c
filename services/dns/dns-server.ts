/**
 * `bosun dns`: the cluster DNS add-on. One API client; shared informers on Services and
 * EndpointSlices feed the record index; the wire server answers on UDP and TCP from it; the
 * kube-dns Service and Endpoints are kept pointing at this server; gRPC serves reflection,
 * health and the DnsStatus API; CoreDNS's metrics go to the component registry.
 *
 * Until the caches have listed once, names under the zone are answered from what is known (an
 * empty index answers NXDOMAIN) — the health service says NOT_SERVING until then, so a
 * launcher waits for it.
 */
import type { Logger } from 'pino';
import type { GrpcClientTls, GrpcServerTls } from '../../lib/grpc/tls';
import { DnsStatusService, type DnsStatusResponse, type DnsStatusServer } from '../../gen/bosun/dns';
import { RESOURCES } from '../../lib/api/resources';
import type { Endpoints, Service } from '../../lib/api/types/core';
import type { ApiClient } from '../../lib/client/api-client';
import { GrpcApiClient } from '../../lib/client/grpc-api-client';
import { SharedInformerFactory } from '../../lib/controller/informer-factory';
import { ServiceHost } from '../../lib/grpc/service-host';
import type { Registry } from '../../lib/metrics';
import { UpstreamForwarder } from './dns-forwarder';
import type { DnsIndex } from './dns-index';
import { feedDnsIndex } from './dns-index-feed';
import { DnsMetrics, type DnsObservation, type DnsObserver } from './dns-metrics';
import { DnsResponder } from './dns-responder';
import { DnsWireServer } from './dns-wire-server';
import { ensureKubeDns, KUBE_DNS_RESYNC_MS, type KubeDnsOutcome } from './kube-dns-registration';
import { DEFAULT_CLUSTER_DNS_IP, DEFAULT_CLUSTER_DOMAIN, DEFAULT_DNS_TTL_SECONDS } from './resolver';

/** First retry delay of a failed kube-dns registration, ms (doubling to KUBE_DNS_RESYNC_MS). */
const REGISTRATION_RETRY_BASE_MS = 500;
/** Grace for in-flight gRPC calls at shutdown, ms. */
const GRPC_SHUTDOWN_GRACE_MS = 1000;

/** Configuration of the DNS server. */
export interface DnsServerConfig {
  /** Apiserver gRPC endpoints, host:port. */
  readonly apiservers: readonly string[];
  /** Bearer token of the DNS's identity. */
  readonly token?: string;
  /** TLS towards the apiservers (the cluster CA, and a client certificate when the identity has one); undefined: plain text. */
  readonly tls?: GrpcClientTls;
  /** host:port answered on, UDP and TCP (port 0: any free port). */
  readonly listen: string;
  /** The zone served (default cluster.local). */
  readonly clusterDomain?: string;
  /** The kube-dns Service's ClusterIP (default 10.43.0.10). */
  readonly clusterDnsIp?: string;
  /** Address written into the kube-dns Endpoints; undefined: do not register the Service. */
  readonly advertiseAddress?: string;
  /** Upstream servers (host:port) for names outside the zone; empty: REFUSED. */
  readonly upstreams?: readonly string[];
  readonly ttlSeconds?: number;
  /** host:port of the gRPC status API ("" for none). */
  readonly grpcListen?: string;
  /** TLS of the gRPC status API (`--tls-cert-file`, `--tls-private-key-file`); undefined: plain text. */
  readonly grpcServingTls?: GrpcServerTls;
  readonly metrics?: Registry;
}

/** Counts responses by rcode for the status API, and forwards to the metrics. */
class ResponseCounter implements DnsObserver {
  readonly byRcode = new Map<string, number>();
  constructor(private readonly next?: DnsObserver) {}
  observe(o: DnsObservation): void {
    this.byRcode.set(o.rcode, (this.byRcode.get(o.rcode) ?? 0) + 1);
    this.next?.observe(o);
  }
}

/** The running DNS add-on. See the file comment. */
export class DnsServer {
  private readonly client: ApiClient;
  private readonly informers: SharedInformerFactory;
  private readonly index: DnsIndex;
  private readonly wire: DnsWireServer;
  private readonly counter: ResponseCounter;
  private readonly zone: string;
  private host: ServiceHost | undefined;
  private registrationTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The bound DNS port. */
  port = 0;
  /** The bound gRPC port (0 when not serving). */
  grpcPort = 0;
  /** The last registration outcome (tests, status). */
  lastRegistration: KubeDnsOutcome | undefined;

  private constructor(
    private readonly config: DnsServerConfig,
    private readonly logger: Logger,
  ) {
    this.zone = (config.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN).toLowerCase().replace(/\.$/, '');
    this.client = new GrpcApiClient({ endpoints: [...config.apiservers], token: config.token, tls: config.tls });
    this.informers = new SharedInformerFactory({ client: this.client, logger: logger.child({ part: 'informers' }) });
    this.index = feedDnsIndex(this.informers);
    this.counter = new ResponseCounter(config.metrics ? new DnsMetrics(config.metrics, `dns://${config.listen}`) : undefined);
    const responder = new DnsResponder({
      index: this.index,
      config: { zone: this.zone, ttlSeconds: config.ttlSeconds ?? DEFAULT_DNS_TTL_SECONDS, dnsIp: config.clusterDnsIp ?? DEFAULT_CLUSTER_DNS_IP },
      upstream: config.upstreams && config.upstreams.length > 0 ? new UpstreamForwarder(config.upstreams) : undefined,
      observer: this.counter,
    });
    this.wire = new DnsWireServer(responder, logger);
  }

  /** Binds the DNS and status ports, starts the informers and the registration loop. */
  static async start(config: DnsServerConfig, logger: Logger): Promise<DnsServer> {
    const s = new DnsServer(config, logger);
    s.port = await s.wire.start(config.listen);
    try {
      if (config.grpcListen) {
        const host = new ServiceHost(['bosun/dns.proto'], {}, { '': 'NOT_SERVING' }, config.grpcServingTls);
        host.addService(DnsStatusService, s.statusService());
        s.grpcPort = await host.listen(config.grpcListen);
        s.host = host;
      }
    } catch (err) {
      await s.wire.stop();
      s.client.close();
      throw err;
    }
    s.informers.start();
    void s.informers.waitForCacheSync().then(() => {
      if (s.stopped) return;
      s.host?.health.setStatus('', 'SERVING');
      logger.info({ services: s.index.serviceCount }, 'dns caches synced');
    });
    if (config.advertiseAddress) s.register(REGISTRATION_RETRY_BASE_MS);
    logger.info({ listen: `${config.listen.replace(/:\d+$/, '')}:${s.port}`, zone: s.zone, grpcPort: s.grpcPort, upstreams: config.upstreams ?? [] }, 'dns started');
    return s;
  }

  /** The status API's answer. */
  status(): DnsStatusResponse {
    return {
      listen: `${this.config.listen.replace(/:\d+$/, '')}:${this.port}`,
      clusterDomain: this.zone,
      synced: this.informers.hasSynced(),
      services: this.index.serviceCount,
      upstreams: [...(this.config.upstreams ?? [])],
      responses: Object.fromEntries(this.counter.byRcode),
      ttlSeconds: this.config.ttlSeconds ?? DEFAULT_DNS_TTL_SECONDS,
    };
  }

  /** Stops answering, the informers, the registration loop and the status API. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.registrationTimer);
    this.informers.stop();
    await this.wire.stop();
    await this.host?.shutdown(GRPC_SHUTDOWN_GRACE_MS);
    this.client.close();
  }

  private statusService(): DnsStatusServer {
    return { status: (_call, callback) => callback(null, this.status()) };
  }

  /** Ensures kube-dns now, then again after KUBE_DNS_RESYNC_MS (or sooner, with backoff, after a failure). */
  private register(retryMs: number): void {
    const target = { clusterIp: this.config.clusterDnsIp ?? DEFAULT_CLUSTER_DNS_IP, advertiseAddress: this.config.advertiseAddress!, port: this.port };
    ensureKubeDns(this.client.resource<Service>(RESOURCES.services), this.client.resource<Endpoints>(RESOURCES.endpoints), target)
      .then((outcome) => {
        if (outcome.service !== 'unchanged' || outcome.endpoints !== 'unchanged') this.logger.info({ ...outcome, ...target }, 'kube-dns registered');
        if (outcome.clusterIpMismatch) this.logger.warn({ have: outcome.clusterIpMismatch, want: target.clusterIp }, 'kube-dns Service has another ClusterIP; pods resolving through the cluster DNS IP will not reach this server');
        this.lastRegistration = outcome;
        return KUBE_DNS_RESYNC_MS;
      })
      .catch((err: unknown) => {
        this.logger.warn({ err: (err as Error).message, retryMs }, 'kube-dns registration failed; retrying');
        return retryMs;
      })
      .then((delay) => {
        if (this.stopped) return;
        this.registrationTimer = setTimeout(() => this.register(Math.min(retryMs * 2, KUBE_DNS_RESYNC_MS)), delay);
      });
  }
}
