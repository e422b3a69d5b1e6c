import { Command, Option } from 'commander';
import * as net from 'node:net';
import * as os from 'node:os';
import { ConfigError } from '../lib/config-error';
import { createLogger, LOG_LEVELS, type Logger, type LogLevel } from '../lib/logger';
import { MetricsServer } from '../lib/metrics';
import type { DataPathOptions, ProxyMode } from '../services/proxy/data-path';
import { createDataPath, defaultMode, PROXY_MODES, parseProxyMode } from '../services/proxy/data-paths';
import { DEFAULT_MIN_SYNC_PERIOD_MS, DEFAULT_SYNC_PERIOD_MS } from '../services/proxy/proxy';
import { ProxyServer } from '../services/proxy/proxy-server';
import { apiClientOptions, apiConnectionOf, servingTlsOf, servingTlsOptions, componentEnv, metricsOption, parseHostPort, secondsFlag, startComponentMetrics } from './component-flags';
import { exitOnSignals, keepAlive } from './graceful-exit';
import { startProcessReclaimer } from '../lib/memory-reclaimer';

/** Where the proxy serves its gRPC status API by default. */
export const DEFAULT_PROXY_GRPC_LISTEN = '127.0.0.1:10247';
/** Where the proxy serves /metrics by default (kube-proxy's --metrics-bind-address port). */
export const DEFAULT_PROXY_METRICS_ADDRESS = '127.0.0.1:10249';
/** Where the proxy serves /healthz by default (kube-proxy's --healthz-bind-address). */
export const DEFAULT_PROXY_HEALTHZ_ADDRESS = '0.0.0.0:10256';
/** The cluster's pod range and service range (ARCHITECTURE.md "Networking on one machine"). */
export const DEFAULT_CLUSTER_CIDR = '10.42.0.0/16';
export const DEFAULT_SERVICE_CIDR = '10.43.0.0/16';

/** Environment variable for a proxy flag: --node-names → BOSUN_PROXY_NODE_NAMES. */
export function proxyEnv(flag: string): string {
  return componentEnv('proxy', flag);
}

/** An IPv4 CIDR a.b.c.d/len, or ConfigError naming the flag. */
export function parseIpv4Cidr(flag: string, value: string): string {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(value.trim());
  if (!m || !net.isIPv4(m[1]!) || Number(m[2]) > 32) throw new ConfigError(`--${flag}: "${value}" is not an IPv4 CIDR (a.b.c.d/len)`);
  return value.trim();
}

/** The node names of `--node-names a,b` (default: the hostname), or ConfigError. */
export function parseNodeNames(value: string | undefined): Set<string> {
  const names = (value || os.hostname().toLowerCase())
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const n of names) if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(n)) throw new ConfigError(`--node-names: "${n}" is not a valid node name (lowercase letters, digits, '-' and '.')`);
  if (names.length === 0) throw new ConfigError('--node-names: no node names given');
  return new Set(names);
}

/** `--nodeport-addresses a,b` (IPv4 addresses; empty = every local address), or ConfigError. */
export function parseNodePortAddresses(value: string): string[] {
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const a of list) if (!net.isIPv4(a)) throw new ConfigError(`--nodeport-addresses: "${a}" is not an IPv4 address`);
  return list;
}

/** The data path options the flags describe. */
export function dataPathOptionsOf(o: Record<string, string | undefined>, logger: Logger): DataPathOptions {
  return {
    localNodes: parseNodeNames(o.nodeNames),
    serviceCidr: parseIpv4Cidr('service-cidr', o.serviceCidr ?? DEFAULT_SERVICE_CIDR),
    clusterCidr: parseIpv4Cidr('cluster-cidr', o.clusterCidr ?? DEFAULT_CLUSTER_CIDR),
    nodePortAddresses: parseNodePortAddresses(o.nodeportAddresses ?? ''),
    logger,
  };
}

/** `bosun proxy`: serves Services' virtual addresses and NodePorts on this host (Bosun's kube-proxy). */
export function proxyCommand(): Command {
  const opt = (flag: string, description: string, defaultValue?: string) => {
    const o = new Option(`--${flag} <value>`, description).env(proxyEnv(flag));
    return defaultValue === undefined ? o : o.default(defaultValue);
  };
  const command = new Command('proxy').description("run the service proxy (Bosun's kube-proxy): ClusterIPs, NodePorts, external and load-balancer IPs → ready endpoints");
  for (const o of apiClientOptions('proxy')) command.addOption(o);
  for (const o of servingTlsOptions('proxy')) command.addOption(o);
  command
    .addOption(opt('node-names', 'the nodes whose pods share this network namespace, comma-separated (default: the hostname)'))
    .addOption(opt('mode', `data path: ${PROXY_MODES.join(' or ')} (default: nftables when root with nft, else userspace)`))
    .addOption(opt('cluster-cidr', "the cluster's pod range", DEFAULT_CLUSTER_CIDR))
    .addOption(opt('service-cidr', 'the service (ClusterIP) range', DEFAULT_SERVICE_CIDR))
    .addOption(opt('nodeport-addresses', 'IPv4 addresses NodePorts listen on, comma-separated (default: every local address)', ''))
    .addOption(opt('min-sync-period', 'seconds between syncs at the least, however fast Services and endpoints change', String(DEFAULT_MIN_SYNC_PERIOD_MS / 1000)))
    .addOption(opt('sync-period', 'seconds between full resyncs', String(DEFAULT_SYNC_PERIOD_MS / 1000)))
    .addOption(opt('grpc-listen', 'host:port of the gRPC status API (reflection, health, ProxyStatus); "" turns it off', DEFAULT_PROXY_GRPC_LISTEN))
    .addOption(metricsOption('proxy', DEFAULT_PROXY_METRICS_ADDRESS))
    .addOption(opt('metrics-bind-address', "kube-proxy's name for --metrics-address (wins when both are given)"))
    .addOption(opt('healthz-bind-address', 'host:port of /healthz; "" turns it off', DEFAULT_PROXY_HEALTHZ_ADDRESS))
    .addOption(new Option('--cleanup', 'remove everything either data path installed (routes, nft table), then exit').env(proxyEnv('cleanup')));
  return command
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS as unknown as string[]).default('info').env(proxyEnv('log-level')))
    .action(async (o: Record<string, string | undefined> & { cleanup?: boolean }) => {
      const logger = createLogger('proxy', o.logLevel as LogLevel);
      const options = dataPathOptionsOf(o, logger);
      if (o.cleanup) return cleanupAll(options, logger);
      const mode = chooseMode(o.mode, logger);
      const minSyncPeriodMs = secondsFlag('min-sync-period', o.minSyncPeriod!);
      const syncPeriodMs = secondsFlag('sync-period', o.syncPeriod!);
      const grpcListen = o.grpcListen ? parseHostPort('grpc-listen', o.grpcListen) : '';
      const grpcServingTls = servingTlsOf(o, grpcListen);
      const healthzAddress = o.healthzBindAddress ? parseHostPort('healthz-bind-address', o.healthzBindAddress) : '';
      keepAlive();
      const api = apiConnectionOf(o);
      const metrics = await startComponentMetrics({ metricsAddress: o.metricsBindAddress || o.metricsAddress }, logger);
      const healthz = healthzAddress ? await MetricsServer.start(metrics.registry, healthzAddress).catch((err: Error) => Promise.reject(new ConfigError(`--healthz-bind-address: ${err.message}`))) : undefined;
      await cleanupOtherModes(mode, options, logger);
      const dataPath = createDataPath(mode, options);
      const server = await ProxyServer.start(
        { apiservers: api.endpoints, token: api.token, tls: api.tls, dataPath, nodeNames: options.localNodes, serviceCidr: options.serviceCidr, clusterCidr: options.clusterCidr, minSyncPeriodMs, syncPeriodMs, metrics: metrics.registry, grpcListen, grpcServingTls },
        logger,
      );
      startProcessReclaimer(logger);
      exitOnSignals(logger, async () => {
        await server.stop();
        await healthz?.close();
        await metrics.close();
      });
    });
}

/** `--mode`, or the default with the reason logged. */
function chooseMode(flag: string | undefined, logger: Logger): ProxyMode {
  if (flag) {
    const mode = parseProxyMode(flag);
    logger.info({ mode }, 'data path chosen by --mode');
    return mode;
  }
  const { mode, reason } = defaultMode();
  logger.info({ mode, reason }, 'data path chosen');
  return mode;
}

/** Removes what the other data paths left behind (a previous run in another mode), so switching modes is clean. */
async function cleanupOtherModes(mode: ProxyMode, options: DataPathOptions, logger: Logger): Promise<void> {
  for (const other of PROXY_MODES) {
    if (other === mode) continue;
    await createDataPath(other, options)
      .cleanup()
      .catch((err: Error) => logger.warn({ mode: other, err: err.message }, 'cleaning up the other data path failed'));
  }
}

/** `--cleanup`: every data path built here removes what it may have installed. */
async function cleanupAll(options: DataPathOptions, logger: Logger): Promise<void> {
  for (const mode of PROXY_MODES) {
    await createDataPath(mode, options).cleanup();
    logger.info({ mode }, 'cleaned up');
  }
}
