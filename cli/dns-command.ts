import { Command, Option } from 'commander';
import type { GrpcServerTls } from '../lib/grpc/tls';
import { createLogger, LOG_LEVELS, type LogLevel } from '../lib/logger';
import { ConfigError } from '../lib/config-error';
import { apiClientOptions, apiConnectionOf, servingTlsOf, servingTlsOptions, componentEnv, metricsOption, parseEndpoints, parseHostPort, startComponentMetrics } from './component-flags';
import { exitOnSignals, keepAlive } from './graceful-exit';
import { DnsServer } from '../services/dns/dns-server';
import { DEFAULT_CLUSTER_DNS_IP, DEFAULT_CLUSTER_DOMAIN, DEFAULT_DNS_TTL_SECONDS, isIpv4 } from '../services/dns/resolver';
import { startProcessReclaimer } from '../lib/memory-reclaimer';

/**
 * Where the DNS answers by default: an unprivileged loopback port (53 needs root and is often
 * taken by the host's resolver); pods reach it through the kube-dns Service at 10.43.0.10:53,
 * which the proxy forwards to the registered address and this port.
 */
export const DEFAULT_DNS_LISTEN = '127.0.0.1:1053';
/** Where the DNS serves its gRPC status API by default. */
export const DEFAULT_DNS_GRPC_LISTEN = '127.0.0.1:10054';
/** Where the DNS serves /metrics by default (CoreDNS's prometheus port). */
export const DEFAULT_DNS_METRICS_ADDRESS = '127.0.0.1:9153';
/** Longest TTL accepted, seconds (CoreDNS's kubernetes plugin caps it at an hour). */
const MAX_TTL_SECONDS = 3600;

/** Environment variable for a dns flag: --listen → BOSUN_DNS_LISTEN. */
export function dnsEnv(flag: string): string {
  return componentEnv('dns', flag);
}

/** The parsed flags of `bosun dns` (exported for tests). */
export interface DnsFlags {
  readonly listen: string;
  readonly clusterDomain: string;
  readonly clusterDnsIp: string;
  readonly advertiseAddress: string | undefined;
  readonly upstreams: string[];
  readonly ttlSeconds: number;
  readonly grpcListen: string;
  /** TLS of the status API (--tls-cert-file, --tls-private-key-file), when given. */
  readonly grpcServingTls?: GrpcServerTls;
}

/** Validates the DNS flags; ConfigError naming the flag for a bad one. */
export function parseDnsFlags(o: Record<string, string | undefined>): DnsFlags {
  const listen = parseHostPort('listen', o.listen ?? DEFAULT_DNS_LISTEN);
  const clusterDomain = (o.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN).toLowerCase().replace(/\.$/, '');
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(clusterDomain)) {
    throw new ConfigError(`--cluster-domain: "${o.clusterDomain}" is not a DNS domain like ${DEFAULT_CLUSTER_DOMAIN}`);
  }
  const clusterDnsIp = o.clusterDnsIp ?? DEFAULT_CLUSTER_DNS_IP;
  if (!isIpv4(clusterDnsIp)) throw new ConfigError(`--cluster-dns-ip: "${clusterDnsIp}" is not an IPv4 address`);
  // Default: the listen host (all nodes of a local cluster share the host's network); "" = do not register.
  const listenHost = listen.replace(/:\d+$/, '');
  const advertise = o.advertiseAddress ?? (listenHost === '0.0.0.0' ? '127.0.0.1' : listenHost);
  if (advertise !== '' && !isIpv4(advertise)) throw new ConfigError(`--advertise-address: "${advertise}" is not an IPv4 address`);
  const upstreams = o.upstream ? parseEndpoints('upstream', o.upstream) : [];
  const ttl = Number(o.ttl ?? DEFAULT_DNS_TTL_SECONDS);
  const grpcListen = o.grpcListen ? parseHostPort('grpc-listen', o.grpcListen) : '';
  const tls = servingTlsOf(o, grpcListen);
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > MAX_TTL_SECONDS) throw new ConfigError(`--ttl: "${o.ttl}" is not an integer number of seconds from 0 to ${MAX_TTL_SECONDS}`);
  return {
    listen,
    clusterDomain,
    clusterDnsIp,
    advertiseAddress: advertise === '' ? undefined : advertise,
    upstreams,
    ttlSeconds: ttl,
    grpcListen,
    ...(tls ? { grpcServingTls: tls } : {}),
  };
}

/** `bosun dns`: the cluster DNS add-on (CoreDNS's kubernetes plugin as the model). */
export function dnsCommand(): Command {
  const opt = (flag: string, description: string, defaultValue: string) => new Option(`--${flag} <value>`, description).env(dnsEnv(flag)).default(defaultValue);
  const command = new Command('dns').description('run the cluster DNS: answers <svc>.<ns>.svc.cluster.local and friends from the API, and keeps the kube-system/kube-dns Service pointing here');
  for (const o of apiClientOptions('dns')) command.addOption(o);
  for (const o of servingTlsOptions('dns')) command.addOption(o);
  return command
    .addOption(opt('listen', 'host:port answered on, UDP and TCP (port 0: any free port)', DEFAULT_DNS_LISTEN))
    .addOption(opt('cluster-domain', 'the zone served authoritatively', DEFAULT_CLUSTER_DOMAIN))
    .addOption(opt('cluster-dns-ip', 'ClusterIP of the kube-dns Service this server keeps in kube-system', DEFAULT_CLUSTER_DNS_IP))
    .addOption(new Option('--advertise-address <ip>', 'address written into the kube-dns Endpoints (default: the --listen host); "" does not register').env(dnsEnv('advertise-address')))
    .addOption(opt('upstream', 'host:port,… servers for names outside the zone; "" refuses them', ''))
    .addOption(opt('ttl', 'TTL of the records, seconds', String(DEFAULT_DNS_TTL_SECONDS)))
    .addOption(opt('grpc-listen', 'host:port of the gRPC status API (reflection, health, DnsStatus); "" turns it off', DEFAULT_DNS_GRPC_LISTEN))
    .addOption(metricsOption('dns', DEFAULT_DNS_METRICS_ADDRESS))
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS as unknown as string[]).default('info').env(dnsEnv('log-level')))
    .action(async (o: Record<string, string>) => {
      const flags = parseDnsFlags(o);
      const logger = createLogger('dns', o.logLevel as LogLevel);
      keepAlive();
      const api = apiConnectionOf(o);
      const metrics = await startComponentMetrics(o, logger);
      let server: DnsServer;
      try {
        server = await DnsServer.start({ apiservers: api.endpoints, token: api.token, tls: api.tls, metrics: metrics.registry, ...flags }, logger);
      } catch (err) {
        await metrics.close();
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'EADDRINUSE' || e.code === 'EACCES' || e.code === 'EADDRNOTAVAIL') throw new ConfigError(`--listen: cannot bind ${flags.listen} (${e.message})`);
        if (/No address added/.test(e.message)) throw new ConfigError(`--grpc-listen: cannot bind ${flags.grpcListen} (${e.message})`);
        throw err;
      }
      startProcessReclaimer(logger);
      exitOnSignals(logger, async () => {
        await server.stop();
        await metrics.close();
      });
    });
}
