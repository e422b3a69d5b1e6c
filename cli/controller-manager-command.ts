import * as fs from 'node:fs';
import { Command, Option } from 'commander';
import { createLogger, LOG_LEVELS, type LogLevel } from '../lib/logger';
import { apiClientOptions, apiConnectionOf, componentEnv, leaderElectionDurations, leaderElectionOptions, metricsOption, secondsFlag, startComponentMetrics } from './component-flags';
import { ConfigError } from '../lib/config-error';
import { exitOnSignals, keepAlive } from './graceful-exit';
import { ALL_DEFAULT_CONTROLLERS } from '../lib/controller/controller-registry';
import { ControllerManager, defaultControllerRegistry } from '../services/controller-manager/controller-manager';
import { DEFAULT_CLUSTER_CIDR, DEFAULT_NODE_CIDR_MASK_SIZE } from '../services/controller-manager/nodeipam/node-ipam-controller';
import { DEFAULT_HPA_SYNC_PERIOD_MS, type HpaControllerOptions } from '../services/controller-manager/horizontalpodautoscaler/hpa-controller';
import { RestPodMetricsSource } from '../services/controller-manager/horizontalpodautoscaler/metrics-source';
import { serviceConnection } from '../lib/client/kubeconfig-client';
import { DEFAULT_NODE_LIFECYCLE_OPTIONS, type NodeLifecycleOptions } from '../services/controller-manager/nodelifecycle/node-lifecycle-controller';
import { startProcessReclaimer } from '../lib/memory-reclaimer';

/** Environment variable for a controller-manager flag: --apiserver → BOSUN_CONTROLLER_MANAGER_APISERVER. */
export function controllerManagerEnv(flag: string): string {
  return componentEnv('controller-manager', flag);
}

/** Where the controller-manager serves /metrics by default (kube-controller-manager's former plain-HTTP port). */
export const DEFAULT_CONTROLLER_MANAGER_METRICS_ADDRESS = '127.0.0.1:10252';

/** `bosun controller-manager`: the control loops (one replica leads; run several for failover). */
export function controllerManagerCommand(): Command {
  const command = new Command('controller-manager').description('run the controller-manager: the control loops (see --controllers), leading through a Lease');
  for (const o of apiClientOptions('controller-manager')) command.addOption(o);
  command
    .addOption(new Option('--identity <value>', 'identity in the leader lease (default hostname_pid)').env(controllerManagerEnv('identity')))
    .addOption(
      new Option('--controllers <value>', "controllers to run: '*' = every default-on one, 'foo' enables foo, '-foo' disables it (e.g. '*,-job')")
        .env(controllerManagerEnv('controllers'))
        .default(ALL_DEFAULT_CONTROLLERS),
    )
    .addOption(new Option('--cluster-cidr <cidr>', 'the pod range node IPAM cuts node pod CIDRs from').env(controllerManagerEnv('cluster-cidr')).default(DEFAULT_CLUSTER_CIDR))
    .addOption(
      new Option('--node-cidr-mask-size <bits>', 'prefix length of the pod CIDR each node gets').env(controllerManagerEnv('node-cidr-mask-size')).default(String(DEFAULT_NODE_CIDR_MASK_SIZE)),
    )
    .addOption(new Option('--root-ca-file <file>', 'PEM of the cluster CA, published in every namespace as the kube-root-ca.crt ConfigMap (without it, nothing is published)').env(controllerManagerEnv('root-ca-file')))
    .addOption(metricsOption('controller-manager', DEFAULT_CONTROLLER_MANAGER_METRICS_ADDRESS));
  const secondsOpt = (flag: string, description: string, defaultValue: string) => new Option(`--${flag} <seconds>`, description).env(controllerManagerEnv(flag)).default(defaultValue);
  command
    .addOption(secondsOpt('node-monitor-grace-period', 'seconds a node may go without a heartbeat before it is marked Unknown and tainted unreachable', String(DEFAULT_NODE_LIFECYCLE_OPTIONS.gracePeriodMs / 1000)))
    .addOption(secondsOpt('node-monitor-period', 'seconds between looks at every node', String(DEFAULT_NODE_LIFECYCLE_OPTIONS.monitorPeriodMs / 1000)))
    .addOption(secondsOpt('horizontal-pod-autoscaler-sync-period', 'seconds between looks at each HorizontalPodAutoscaler', String(DEFAULT_HPA_SYNC_PERIOD_MS / 1000)))
    .addOption(new Option('--node-eviction-rate <perSecond>', 'nodes per second that may gain a NoExecute taint').env(controllerManagerEnv('node-eviction-rate')).default(String(DEFAULT_NODE_LIFECYCLE_OPTIONS.evictionRatePerSecond)));
  for (const o of leaderElectionOptions('controller-manager')) command.addOption(o);
  return command
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS as unknown as string[]).default('info').env(controllerManagerEnv('log-level')))
    .action(async (o: Record<string, string>) => {
      const logger = createLogger('controller-manager', o.logLevel as LogLevel);
      keepAlive();
      const api = apiConnectionOf(o);
      const nodeIpam = { clusterCidr: o.clusterCidr, nodeCidrMaskSize: maskSizeFlag(o.nodeCidrMaskSize ?? '') };
      const metrics = await startComponentMetrics(o, logger);
      const cm = ControllerManager.start(
        { apiservers: api.endpoints, token: api.token, tls: api.tls, metrics: metrics.registry, identity: o.identity || undefined, controllers: o.controllers, ...leaderElectionDurations(o) },
        logger,
        defaultControllerRegistry({ nodeLifecycle: nodeLifecycleOptionsOf(o), nodeIpam, hpa: hpaOptionsOf(o), rootCa: o.rootCaFile ? readRootCa(o.rootCaFile) : undefined }),
      );
      startProcessReclaimer(logger);
      exitOnSignals(logger, async () => {
        await cm.stop();
        await metrics.close();
      });
    });
}

/** `--node-cidr-mask-size` as a number; a ConfigError naming the flag when it is not an integer. */
function maskSizeFlag(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new ConfigError(`--node-cidr-mask-size: ${JSON.stringify(value)} is not an integer`);
  return Number(value.trim());
}

/**
 * The HPA controller's settings: its sync period, and the metrics.k8s.io client over the
 * kubeconfig's HTTPS server (the metrics API is served by the HTTP door only); without a
 * kubeconfig naming an https server, HPAs report that no metrics source is configured.
 */
function hpaOptionsOf(o: Record<string, string>): HpaControllerOptions {
  const syncPeriodMs = secondsFlag('horizontal-pod-autoscaler-sync-period', o.horizontalPodAutoscalerSyncPeriod!);
  if (!o.kubeconfig) return { syncPeriodMs };
  const conn = serviceConnection(o.kubeconfig);
  if (!conn.server?.startsWith('https://')) return { syncPeriodMs };
  const caCert = conn.caData ? Buffer.from(conn.caData, 'base64').toString('utf8') : undefined;
  return { syncPeriodMs, metrics: new RestPodMetricsSource({ server: conn.server, caCert, token: conn.token }) };
}

function nodeLifecycleOptionsOf(o: Record<string, string>): NodeLifecycleOptions {
  const rate = Number(o.nodeEvictionRate);
  if (!(rate > 0)) throw new ConfigError(`--node-eviction-rate: "${o.nodeEvictionRate}" is not a positive number`);
  return {
    gracePeriodMs: secondsFlag('node-monitor-grace-period', o.nodeMonitorGracePeriod!),
    monitorPeriodMs: secondsFlag('node-monitor-period', o.nodeMonitorPeriod!),
    evictionRatePerSecond: rate,
  };
}

/** `--root-ca-file`'s PEM; a ConfigError naming the flag when it cannot be read or is not a certificate. */
function readRootCa(file: string): string {
  let pem: string;
  try {
    pem = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`--root-ca-file: cannot read ${file}: ${(err as Error).message}`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError(`--root-ca-file: ${file} holds no PEM certificate`);
  return pem;
}
