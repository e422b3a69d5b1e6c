/**
 * `bosun ingress`: the ingress controller process. One API client (as the component's
 * identity), one informer factory, the control loop (IngressController), the data path
 * (IngressProxy behind the HTTP and HTTPS listeners), an Event broadcaster, and the gRPC status
 * API (reflection, health, bosun.ingress.v1.IngressStatus listing the routes). Unlike the
 * scheduler it needs no leader: every replica serves traffic; status writes of several replicas
 * with one publish address agree.
 */
import * as os from 'node:os';
import type { GrpcClientTls, GrpcServerTls } from '../../lib/grpc/tls';
import type { Logger } from 'pino';
import { IngressStatusService, type IngressStatusResponse, type IngressStatusServer } from '../../gen/bosun/ingress';
import { usableEndpoints } from '../../lib/network/service-table';
import { apiEventSink, EventBroadcaster } from '../../lib/client/events';
import { GrpcApiClient } from '../../lib/client/grpc-api-client';
import { SharedInformerFactory } from '../../lib/controller/informer-factory';
import { ServiceHost } from '../../lib/grpc/service-host';
import type { Registry } from '../../lib/metrics';
import { IngressProxy } from './http-proxy';
import { INGRESS_EVENT_COMPONENT, IngressController } from './ingress-controller';
import { IngressListeners } from './ingress-listeners';
import { ingressMetrics, NO_INGRESS_METRICS } from './ingress-metrics';
import { DEFAULT_CERT_COMMON_NAME, selfSignedCertificate, type CertificatePair } from './tls-certificates';

/** Configuration of an ingress controller process. */
export interface IngressServerConfig {
  /** Apiserver gRPC endpoints, host:port. */
  readonly apiservers: readonly string[];
  /** Bearer token of the component's identity (from its kubeconfig). */
  readonly token?: string;
  /** TLS towards the apiservers (the cluster CA, and a client certificate when the identity has one); undefined: plain text. */
  readonly tls?: GrpcClientTls;
  /** host:port of plain HTTP ('' for none). */
  readonly httpListen: string;
  /** host:port of HTTPS with HTTP/2 ('' for none). */
  readonly httpsListen: string;
  /** host:port of the gRPC status API ('' for none). */
  readonly grpcListen: string;
  /** TLS of the gRPC status API (`--tls-cert-file`, `--tls-private-key-file`); undefined: plain text. */
  readonly grpcServingTls?: GrpcServerTls;
  /** The address written into the Ingresses' status.loadBalancer.ingress ('' leaves status alone). */
  readonly publishAddress: string;
  /** The IngressClass to ensure and serve (default `bosun`). */
  readonly ingressClass?: string;
  readonly metrics?: Registry;
}

/** The self-signed default certificate; none (with a warning) when it cannot be made. */
function defaultCertificate(logger: Logger): CertificatePair | undefined {
  try {
    return selfSignedCertificate(DEFAULT_CERT_COMMON_NAME);
  } catch (err) {
    logger.warn({ err: (err as Error).message }, 'no default certificate: TLS handshakes for names no Ingress covers will fail');
    return undefined;
  }
}

/** The running process parts. */
export class IngressServer {
  /** Bound ports (0 when off). */
  grpcPort = 0;
  private host: ServiceHost | undefined;

  private constructor(
    private readonly client: GrpcApiClient,
    private readonly informers: SharedInformerFactory,
    private readonly events: EventBroadcaster,
    readonly controller: IngressController,
    private readonly proxy: IngressProxy,
    readonly listeners: IngressListeners,
  ) {}

  /** Binds the listeners and the status API, then starts watching (traffic gets 404 until the caches synced). */
  static async start(config: IngressServerConfig, logger: Logger): Promise<IngressServer> {
    const client = new GrpcApiClient({ endpoints: [...config.apiservers], token: config.token, tls: config.tls });
    const informers = new SharedInformerFactory({ client, logger: logger.child({ part: 'informers' }) });
    const events = new EventBroadcaster({ sink: apiEventSink(client), logger: logger.child({ part: 'events' }) });
    const metrics = config.metrics ? ingressMetrics(config.metrics) : NO_INGRESS_METRICS;
    const controller = new IngressController({
      client,
      informers,
      recorder: events.newRecorder({ component: INGRESS_EVENT_COMPONENT, host: os.hostname() }),
      logger: logger.child({ part: 'controller' }),
      metrics,
      publishAddress: config.publishAddress,
      className: config.ingressClass,
    });
    const proxy = new IngressProxy({ routes: () => controller.routes(), services: controller.services, metrics, logger: logger.child({ part: 'proxy' }) });
    let listeners: IngressListeners | undefined;
    try {
      listeners = await IngressListeners.start({
        httpListen: config.httpListen,
        httpsListen: config.httpsListen,
        proxy,
        certificateFor: (name) => controller.certificateFor(name),
        defaultCertificate: defaultCertificate(logger),
      });
      const s = new IngressServer(client, informers, events, controller, proxy, listeners);
      if (config.grpcListen) {
        s.host = new ServiceHost(['bosun/ingress.proto'], {}, undefined, config.grpcServingTls);
        s.host.addService(IngressStatusService, s.statusService());
        s.grpcPort = await s.host.listen(config.grpcListen);
      }
      void controller.start().then(
        () => logger.info({ ingresses: controller.status().ingresses.length }, 'caches synced; routing'),
        (err: unknown) => logger.error({ err: (err as Error).message }, 'ingress controller failed to start'),
      );
      logger.info({ apiservers: config.apiservers, http: listeners.httpPort, https: listeners.httpsPort, grpc: s.grpcPort, publishAddress: config.publishAddress }, 'ingress controller started');
      return s;
    } catch (err) {
      await listeners?.close();
      informers.stop();
      client.close();
      throw err;
    }
  }

  /** The status API's answer. */
  status(): IngressStatusResponse {
    const st = this.controller.status();
    return {
      ingressClass: st.className,
      publishAddress: st.publishAddress,
      httpPort: this.listeners.httpPort,
      httpsPort: this.listeners.httpsPort,
      ingresses: [...st.ingresses],
      routes: st.routes.map((r) => {
        const entry = r.backend && this.controller.services.findPort(r.backend.namespace, r.backend.service, r.backend.port);
        return {
          ingress: r.ingress,
          host: r.host,
          path: r.path,
          pathType: r.pathType,
          service: r.backend?.service ?? '',
          port: r.backend ? String(r.backend.port) : '',
          usableEndpoints: entry ? usableEndpoints(entry, 'external', new Set()).length : 0,
        };
      }),
      tls: st.tls.map((t) => ({ ingress: t.ingress, host: t.host, secret: `${t.namespace}/${t.secretName}` })),
      problems: [...st.problems].flatMap(([ingress, list]) => list.map((p) => ({ ingress, reason: p.reason, message: p.message }))),
    };
  }

  /** Stops serving and watching, flushes the Events, closes the API connection. */
  async stop(): Promise<void> {
    await this.listeners.close();
    this.proxy.close();
    await this.host?.shutdown(1000);
    await this.controller.stop();
    this.informers.stop();
    await this.events.shutdown();
    this.client.close();
  }

  private statusService(): IngressStatusServer {
    return { status: (_call, callback) => callback(null, this.status()) };
  }
}
