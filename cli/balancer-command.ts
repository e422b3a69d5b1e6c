import { Command, Option } from 'commander';
import { type Backend, TcpBalancer } from '../lib/launcher/tcp-balancer';
import { createLogger, LOG_LEVELS, type LogLevel } from '../lib/logger';
import { componentEnv, parseEndpoints, parseHostPort } from './component-flags';
import { exitOnSignals } from './graceful-exit';

/** "host:port" (as parseHostPort accepts it; IPv6 in brackets) → host and port. */
export function splitHostPort(value: string): Backend {
  const i = value.lastIndexOf(':');
  return { host: value.slice(0, i).replace(/^\[(.*)\]$/, '$1'), port: Number(value.slice(i + 1)) };
}

/**
 * `bosun balancer`: Bosun's TCP load balancer as a process of its own, in front of the
 * apiservers' HTTPS ports in compose (what `bosun up` runs in process). Bytes pass unchanged,
 * so TLS ends at the apiservers; backend names are resolved on every connection, so a
 * restarted container with a new address is found again.
 */
export function balancerCommand(): Command {
  const env = (flag: string) => componentEnv('balancer', flag);
  return new Command('balancer')
    .description('run a TCP load balancer (round robin, skipping backends that refuse) in front of the apiservers')
    .addOption(new Option('--listen <host:port>', 'address to listen on').default('127.0.0.1:6443').env(env('listen')))
    .addOption(new Option('--backends <host:port,…>', 'backends, tried in turn').makeOptionMandatory().env(env('backends')))
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS as unknown as string[]).default('info').env(env('log-level')))
    .action(async (o: { listen: string; backends: string; logLevel: string }) => {
      const logger = createLogger('balancer', o.logLevel as LogLevel);
      const listen = splitHostPort(parseHostPort('listen', o.listen));
      const backends = parseEndpoints('backends', o.backends).map(splitHostPort);
      const balancer = new TcpBalancer(backends);
      const port = await balancer.listen(listen.port, listen.host);
      logger.info({ listen: `${listen.host}:${port}`, backends: backends.map((b) => `${b.host}:${b.port}`) }, 'balancing');
      exitOnSignals(logger, () => balancer.close());
    });
}
