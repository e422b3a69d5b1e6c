import { Command, Option } from 'commander';
import { createLogger, LOG_LEVELS, type LogLevel } from '../lib/logger';
import { componentEnv, leaderElectionDurations, leaderElectionOptions, parseEndpoints } from './component-flags';
import { exitOnSignals, keepAlive } from './graceful-exit';
import { ALL_DEFAULT_CONTROLLERS } from '../lib/controller/controller-registry';
import { ControllerManager } from '../services/controller-manager/controller-manager';

/** Environment variable for a controller-manager flag: --apiserver → BOSUN_CONTROLLER_MANAGER_APISERVER. */
export function controllerManagerEnv(flag: string): string {
  return componentEnv('controller-manager', flag);
}

/** `bosun controller-manager`: the control loops (one replica leads; run several for failover). */
export function controllerManagerCommand(): Command {
  const opt = (flag: string, description: string, defaultValue: string) => new Option(`--${flag} <value>`, description).env(controllerManagerEnv(flag)).default(defaultValue);
  const command = new Command('controller-manager')
    .description('run the controller-manager: the control loops (see --controllers), leading through a Lease')
    .addOption(opt('apiserver', 'apiserver gRPC endpoints, host:port,…', '127.0.0.1:6444'))
    .addOption(new Option('--identity <value>', 'identity in the leader lease (default hostname_pid)').env(controllerManagerEnv('identity')))
    .addOption(opt('controllers', "controllers to run: '*' = every default-on one, 'foo' enables foo, '-foo' disables it (e.g. '*,-job')", ALL_DEFAULT_CONTROLLERS));
  for (const o of leaderElectionOptions('controller-manager')) command.addOption(o);
  return command
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS as unknown as string[]).default('info').env(controllerManagerEnv('log-level')))
    .action((o: Record<string, string>) => {
      const logger = createLogger('controller-manager', o.logLevel as LogLevel);
      keepAlive();
      const cm = ControllerManager.start({ apiservers: parseEndpoints('apiserver', o.apiserver!), identity: o.identity || undefined, controllers: o.controllers, ...leaderElectionDurations(o) }, logger);
      exitOnSignals(logger, () => cm.stop());
    });
}
