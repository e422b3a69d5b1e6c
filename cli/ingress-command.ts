import { isIP } from 'node:net';
import { Command, Option } from 'commander';
import { createLogger, LOG_LEVELS, type LogLevel } from '../lib/logger';
import { ConfigError } from '../lib/config-error';
import { DEFAULT_INGRESS_CLASS_NAME } from '../services/ingress/ingress-controller';
import { IngressServer } from '../services/ingress/ingress-server';
import { apiClientOptions, apiConnectionOf, servingTlsOf, servingTlsOptions, componentEnv, metricsOption, parseHostPort, startComponentMetrics } from './component-flags';
import { exitOnSignals, keepAlive } from './graceful-exit';
import { startProcessReclaimer } from '../lib/memory-reclaimer';

/** Where the ingress serves plain HTTP by default (unprivileged; compose maps port 80 to it). */
export const DEFAULT_INGRESS_HTTP_LISTEN = '0.0.0.0:8080';
/** Where the ingress serves HTTPS (HTTP/2 and HTTP/1.1) by default (compose maps port 443 to it). */
export const DEFAULT_INGRESS_HTTPS_LISTEN = '0.0.0.0:8443';
/** Where the ingress serves its gRPC status API by default. */
export const DEFAULT_INGRESS_GRPC_LISTEN = '127.0.0.1:10253';
/** Where the ingress serves /metrics by default (nginx-ingress' metrics port). */
export const DEFAULT_INGRESS_METRICS_ADDRESS = '127.0.0.1:10254';

/** Environment variable for an ingress flag: --http-listen → BOSUN_INGRESS_HTTP_LISTEN. */
export function ingressEnv(flag: string): string {
  return componentEnv('ingress', flag);
}

/** A listen flag: host:port, or "" for off. */
function listenFlag(flag: string, value: string): string {
  return value ? parseHostPort(flag, value) : '';
}

/** `--publish-address`: an IP address, or "" to leave the Ingresses' status alone. */
function publishAddress(value: string): string {
  if (value !== '' && isIP(value) === 0) throw new ConfigError(`--publish-address: "${value}" is not an IP address`);
  return value;
}

/** `bosun ingress`: the ingress controller (routes HTTP and HTTPS by the Ingresses of its class). */
export function ingressCommand(): Command {
  const opt = (flag: string, description: string, defaultValue: string) => new Option(`--${flag} <value>`, description).env(ingressEnv(flag)).default(defaultValue);
  const command = new Command('ingress').description('run the ingress controller: serves the Ingresses of the IngressClass "bosun" (bosun.dev/ingress-controller) over HTTP, HTTPS and HTTP/2');
  for (const o of apiClientOptions('ingress')) command.addOption(o);
  for (const o of servingTlsOptions('ingress')) command.addOption(o);
  return command
    .addOption(opt('http-listen', 'host:port of plain HTTP; "" turns it off', DEFAULT_INGRESS_HTTP_LISTEN))
    .addOption(opt('https-listen', 'host:port of HTTPS (TLS by SNI from the Ingresses\' Secrets; HTTP/2 and HTTP/1.1); "" turns it off', DEFAULT_INGRESS_HTTPS_LISTEN))
    .addOption(opt('grpc-listen', 'host:port of the gRPC status API (reflection, health, IngressStatus); "" turns it off', DEFAULT_INGRESS_GRPC_LISTEN))
    .addOption(opt('publish-address', 'IP written into the status.loadBalancer of served Ingresses; "" leaves their status alone', ''))
    .addOption(opt('ingress-class', 'the IngressClass made at start (the default class) and served', DEFAULT_INGRESS_CLASS_NAME))
    .addOption(metricsOption('ingress', DEFAULT_INGRESS_METRICS_ADDRESS))
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS as unknown as string[]).default('info').env(ingressEnv('log-level')))
    .action(async (o: Record<string, string>) => {
      const logger = createLogger('ingress', o.logLevel as LogLevel);
      const grpcListen = listenFlag('grpc-listen', o.grpcListen ?? '');
      const grpcServingTls = servingTlsOf(o, grpcListen);
      keepAlive();
      const api = apiConnectionOf(o);
      const config = {
        apiservers: api.endpoints,
        token: api.token, tls: api.tls,
        httpListen: listenFlag('http-listen', o.httpListen ?? ''),
        httpsListen: listenFlag('https-listen', o.httpsListen ?? ''),
        grpcListen,
        grpcServingTls,
        publishAddress: publishAddress(o.publishAddress ?? ''),
        ingressClass: o.ingressClass || DEFAULT_INGRESS_CLASS_NAME,
      };
      const metrics = await startComponentMetrics(o, logger);
      const server = await IngressServer.start({ ...config, metrics: metrics.registry }, logger);
      startProcessReclaimer(logger);
      exitOnSignals(logger, async () => {
        await server.stop();
        await metrics.close();
      });
    });
}
