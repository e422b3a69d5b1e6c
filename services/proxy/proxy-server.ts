/**
 * `bosun proxy`: one proxy for the nodes whose pods share this network namespace. It runs the
 * control loop ({@link ServiceProxy}) over the chosen data path and serves gRPC with
 * reflection, health and the ProxyStatus API (`bosun.proxy.v1.ProxyStatus/GetStatus`).
 */
import type { Logger } from 'pino';
import type { GrpcClientTls, GrpcServerTls } from '../../lib/grpc/tls';
import { type GetStatusResponse, ProxyStatusService, type ProxyStatusServer } from '../../gen/bosun/proxy';
import type { ApiClient } from '../../lib/client/api-client';
import { type Clock, realClock } from '../../lib/client/clock';
import { GrpcApiClient } from '../../lib/client/grpc-api-client';
import { ServiceHost } from '../../lib/grpc/service-host';
import type { Registry } from '../../lib/metrics';
import type { DataPath } from './data-path';
import { ServiceProxy } from './proxy';
import { ProxyMetrics } from './proxy-metrics';
import { toStatusResponse } from './status-response';

/** Configuration of a proxy process. */
export interface ProxyServerConfig {
  /** Apiserver gRPC endpoints, host:port (ignored when `client` is given). */
  readonly apiservers: readonly string[];
  readonly token?: string;
  /** TLS towards the apiservers (the cluster CA, and a client certificate when the identity has one); undefined: plain text. */
  readonly tls?: GrpcClientTls;
  /** An API client to use instead of dialling `apiservers` (tests). */
  readonly client?: ApiClient;
  readonly dataPath: DataPath;
  readonly nodeNames: ReadonlySet<string>;
  readonly serviceCidr: string;
  readonly clusterCidr: string;
  readonly minSyncPeriodMs?: number;
  readonly syncPeriodMs?: number;
  /** The component's registry (kube-proxy's metrics go here; none when absent). */
  readonly metrics?: Registry;
  /** host:port of the gRPC status API ("" for none; port 0 for any free port). */
  readonly grpcListen?: string;
  /** TLS of the gRPC status API (`--tls-cert-file`, `--tls-private-key-file`); undefined: plain text. */
  readonly grpcServingTls?: GrpcServerTls;
}

/** A running proxy. */
export class ProxyServer {
  /** The bound gRPC port (0 when not serving). */
  grpcPort = 0;
  private host: ServiceHost | undefined;

  private constructor(
    private readonly config: ProxyServerConfig,
    readonly proxy: ServiceProxy,
    private readonly client: ApiClient,
    private readonly ownsClient: boolean,
  ) {}

  /** Serves the status API, then starts the control loop (resolves after the first sync). */
  static async start(config: ProxyServerConfig, logger: Logger, clock: Clock = realClock): Promise<ProxyServer> {
    const client = config.client ?? new GrpcApiClient({ endpoints: [...config.apiservers], token: config.token, tls: config.tls });
    const proxy = new ServiceProxy({
      client,
      dataPath: config.dataPath,
      logger,
      clock,
      minSyncPeriodMs: config.minSyncPeriodMs,
      syncPeriodMs: config.syncPeriodMs,
      metrics: config.metrics ? new ProxyMetrics(config.metrics) : undefined,
    });
    const server = new ProxyServer(config, proxy, client, !config.client);
    if (config.grpcListen) {
      const host = new ServiceHost(['bosun/proxy.proto'], {}, undefined, config.grpcServingTls);
      host.addService(ProxyStatusService, server.statusService());
      server.grpcPort = await host.listen(config.grpcListen);
      server.host = host;
    }
    await proxy.start();
    logger.info({ mode: config.dataPath.mode, nodes: [...config.nodeNames], grpcPort: server.grpcPort }, 'proxy started');
    return server;
  }

  /** The status API's answer. */
  status(): GetStatusResponse {
    return toStatusResponse({
      mode: this.config.dataPath.mode,
      nodeNames: this.config.nodeNames,
      serviceCidr: this.config.serviceCidr,
      clusterCidr: this.config.clusterCidr,
      sync: this.proxy.syncState(),
      entries: this.proxy.appliedEntries(),
    });
  }

  /** Stops the loop and the data path's own serving (kernel rules stay), then the API. */
  async stop(): Promise<void> {
    await this.proxy.stop();
    await this.host?.shutdown(1000);
    if (this.ownsClient) this.client.close();
  }

  private statusService(): ProxyStatusServer {
    return { getStatus: (_call, callback) => callback(null, this.status()) };
  }
}
