import { Command, Option } from 'commander';
import { createLogger, LOG_LEVELS, type LogLevel } from '../lib/logger';
import { ConfigError } from '../lib/config-error';
import { apiClientOptions, apiConnectionOf, servingTlsOf, servingTlsOptions, componentEnv, leaderElectionDurations, leaderElectionOptions, metricsOption, parseHostPort, startComponentMetrics } from './component-flags';
import { exitOnSignals, keepAlive } from './graceful-exit';
import { DEFAULT_SCHEDULER_NAME } from '../services/scheduler/scheduler';
import { SchedulerServer } from '../services/scheduler/scheduler-server';
import { startProcessReclaimer } from '../lib/memory-reclaimer';

/** Where the scheduler serves its gRPC status API by default (kube-scheduler's port). */
export const DEFAULT_SCHEDULER_GRPC_LISTEN = '127.0.0.1:10259';
/** Where the scheduler serves /metrics by default (kube-scheduler's former plain-HTTP port; 10259 is the status API's). */
export const DEFAULT_SCHEDULER_METRICS_ADDRESS = '127.0.0.1:10251';

/** Environment variable for a scheduler flag: --apiserver → BOSUN_SCHEDULER_APISERVER. */
export function schedulerEnv(flag: string): string {
  return componentEnv('scheduler', flag);
}

function percentage(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 100) throw new ConfigError(`--percentage-of-nodes-to-score: "${value}" is not an integer from 0 to 100`);
  return n;
}

/** `bosun scheduler`: places pending pods on nodes (one replica leads; run several for failover). */
export function schedulerCommand(): Command {
  const opt = (flag: string, description: string, defaultValue: string) => new Option(`--${flag} <value>`, description).env(schedulerEnv(flag)).default(defaultValue);
  const command = new Command('scheduler').description('run the scheduler: binds pending pods to nodes that fit them, leading through the kube-system/kube-scheduler Lease');
  for (const o of apiClientOptions('scheduler')) command.addOption(o);
  for (const o of servingTlsOptions('scheduler')) command.addOption(o);
  command
    .addOption(new Option('--identity <value>', 'identity in the leader lease (default hostname_pid)').env(schedulerEnv('identity')))
    .addOption(opt('scheduler-name', 'schedule the pods whose spec.schedulerName is this', DEFAULT_SCHEDULER_NAME))
    .addOption(opt('percentage-of-nodes-to-score', 'share of the nodes to find feasible before scoring, 0 = adaptive (50% - nodes/125, at least 5%)', '0'))
    .addOption(opt('grpc-listen', 'host:port of the gRPC status API (reflection, health, SchedulerStatus); "" turns it off', DEFAULT_SCHEDULER_GRPC_LISTEN))
    .addOption(metricsOption('scheduler', DEFAULT_SCHEDULER_METRICS_ADDRESS));
  for (const o of leaderElectionOptions('scheduler')) command.addOption(o);
  return command
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS as unknown as string[]).default('info').env(schedulerEnv('log-level')))
    .action(async (o: Record<string, string>) => {
      const logger = createLogger('scheduler', o.logLevel as LogLevel);
      const grpcListen = o.grpcListen ? parseHostPort('grpc-listen', o.grpcListen) : '';
      const grpcServingTls = servingTlsOf(o, grpcListen);
      keepAlive();
      const api = apiConnectionOf(o);
      const metrics = await startComponentMetrics(o, logger);
      const server = await SchedulerServer.start(
        {
          apiservers: api.endpoints,
          token: api.token, tls: api.tls,
          metrics: metrics.registry,
          identity: o.identity || undefined,
          schedulerName: o.schedulerName,
          percentageOfNodesToScore: percentage(o.percentageOfNodesToScore!),
          grpcListen,
          grpcServingTls,
          ...leaderElectionDurations(o),
        },
        logger,
      );
      startProcessReclaimer(logger);
      exitOnSignals(logger, async () => {
        await server.stop();
        await metrics.close();
      });
    });
}
