import { Command, Option } from 'commander';
import { createLogger, LOG_LEVELS, type LogLevel } from '../lib/logger';
import { parseEndpoints } from './apiserver-command';
import { exitOnSignals, keepAlive } from './graceful-exit';
import { ConfigError } from '../store/server/member-config';
import { ControllerManager } from '../services/controller-manager/controller-manager';

/** Environment variable for a controller-manager flag: --apiserver → BOSUN_CONTROLLER_MANAGER_APISERVER. */
export function controllerManagerEnv(flag: string): string {
  return `BOSUN_CONTROLLER_MANAGER_${flag.toUpperCase().replace(/-/g, '_')}`;
}

/** A duration flag in seconds, as a positive number of milliseconds. */
function seconds(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`--${flag}: "${value}" is not a positive number of seconds`);
  return Math.round(n * 1000);
}

/** `bosun controller-manager`: the control loops (one replica leads; run several for failover). */
export function controllerManagerCommand(): Command {
  const opt = (flag: string, description: string, defaultValue: string) => new Option(`--${flag} <value>`, description).env(controllerManagerEnv(flag)).default(defaultValue);
  return new Command('controller-manager')
    .description('run the controller-manager: the control loops (namespace deletion), leading through a Lease')
    .addOption(opt('apiserver', 'apiserver gRPC endpoints, host:port,…', '127.0.0.1:6444'))
    .addOption(new Option('--identity <value>', 'identity in the leader lease (default hostname_pid)').env(controllerManagerEnv('identity')))
    .addOption(opt('leader-elect-lease-duration', 'seconds a lease is valid without renewal', '15'))
    .addOption(opt('leader-elect-renew-deadline', 'seconds the leader tries to renew before it steps down', '10'))
    .addOption(opt('leader-elect-retry-period', 'seconds between attempts to acquire or renew', '2'))
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS as unknown as string[]).default('info').env(controllerManagerEnv('log-level')))
    .action((o: Record<string, string>) => {
      const logger = createLogger('controller-manager', o.logLevel as LogLevel);
      keepAlive();
      const cm = ControllerManager.start(
        {
          apiservers: parseEndpoints('apiserver', o.apiserver),
          identity: o.identity || undefined,
          leaseDurationMs: seconds('leader-elect-lease-duration', o.leaderElectLeaseDuration),
          renewDeadlineMs: seconds('leader-elect-renew-deadline', o.leaderElectRenewDeadline),
          retryPeriodMs: seconds('leader-elect-retry-period', o.leaderElectRetryPeriod),
        },
        logger,
      );
      exitOnSignals(logger, () => cm.stop());
    });
}
