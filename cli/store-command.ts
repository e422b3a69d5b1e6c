import { Command, Option } from 'commander';
import * as path from 'node:path';
import { limitHeapGrowth } from '../lib/lean-memory';
import { createLogger, LOG_LEVELS, LogLevel } from '../lib/logger';
import { startProcessReclaimer } from '../lib/memory-reclaimer';
import { exitOnSignals } from './graceful-exit';
import {
  ConfigError,
  DEFAULT_SNAPSHOT_COUNT,
  ELECTION_TICKS,
  MemberConfig,
  parseInitialCluster,
  parseUrlList,
  TICK_INTERVAL_MS,
  urlScheme,
  validateMemberConfig,
} from '../store/server/member-config';
import { memberTlsFromFlags, storeTlsOptions } from './store-tls-flags';
import { StoreServer } from '../store/server/store-server';
import { storeRestoreCommand } from './store-restore-command';

/** Environment variable for a store flag: --initial-cluster → BOSUN_STORE_INITIAL_CLUSTER. */
export function storeEnv(flag: string): string {
  return `BOSUN_STORE_${flag.toUpperCase().replace(/-/g, '_')}`;
}

function opt(flag: string, description: string, defaultValue?: string): Option {
  const o = new Option(`--${flag} <value>`, description).env(storeEnv(flag));
  return defaultValue === undefined ? o : o.default(defaultValue);
}

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new ConfigError(`--${flag}: "${value}" is not a positive integer`);
  return n;
}

/** etcd's default client and peer addresses; the scheme follows the ports' TLS. */
const DEFAULT_CLIENT_ADDRESS = '127.0.0.1:2379';
const DEFAULT_PEER_ADDRESS = '127.0.0.1:2380';

/**
 * Builds a MemberConfig from parsed flags (every flag also comes from BOSUN_STORE_* env vars).
 * Reads the TLS files the flags name; throws a ConfigError naming the flag on bad input.
 */
export function memberConfigFromFlags(o: Record<string, string>): MemberConfig {
  const name = o.name;
  const { clientTls, peerTls } = memberTlsFromFlags(o);
  const listenClientUrls = o.listenClientUrls ?? `${urlScheme(clientTls)}://${DEFAULT_CLIENT_ADDRESS}`;
  const listenPeerUrls = o.listenPeerUrls ?? `${urlScheme(peerTls)}://${DEFAULT_PEER_ADDRESS}`;
  const initialAdvertisePeerUrls = parseUrlList('initial-advertise-peer-urls', o.initialAdvertisePeerUrls ?? listenPeerUrls);
  const cfg: MemberConfig = {
    name,
    dataDir: path.resolve(o.dataDir ?? `${name}.bosun`),
    listenClientUrls: parseUrlList('listen-client-urls', listenClientUrls),
    advertiseClientUrls: parseUrlList('advertise-client-urls', o.advertiseClientUrls ?? listenClientUrls),
    listenPeerUrls: parseUrlList('listen-peer-urls', listenPeerUrls),
    initialAdvertisePeerUrls,
    initialCluster: parseInitialCluster(o.initialCluster ?? `${name}=${initialAdvertisePeerUrls.join(`,${name}=`)}`),
    initialClusterState: o.initialClusterState === 'existing' ? 'existing' : 'new',
    initialClusterToken: o.initialClusterToken,
    snapshotCount: positiveInt('snapshot-count', o.snapshotCount),
    tickIntervalMs: positiveInt('heartbeat-interval', o.heartbeatInterval),
    electionTicks: Math.max(2, Math.round(positiveInt('election-timeout', o.electionTimeout) / positiveInt('heartbeat-interval', o.heartbeatInterval))),
    clientTls,
    peerTls,
  };
  if (o.initialClusterState !== 'new' && o.initialClusterState !== 'existing') {
    throw new ConfigError(`--initial-cluster-state: "${o.initialClusterState}" must be "new" or "existing"`);
  }
  validateMemberConfig(cfg);
  return cfg;
}

/** `bosun store`: runs one member of the raft key-value store (etcd v3 API). */
export function storeCommand(): Command {
  const command = new Command('store')
    .description('run one member of the replicated key-value store (serves the etcd v3 API)')
    // `bosun store restore --name …`: the member flags after a subcommand belong to it.
    .enablePositionalOptions()
    .addCommand(storeRestoreCommand())
    .addOption(opt('name', 'human-readable name of this member', 'default'))
    .addOption(opt('data-dir', 'directory for the raft log and snapshots (default: ./<name>.bosun)'))
    .addOption(opt('listen-client-urls', `URLs to serve the etcd v3 API on (default: https://${DEFAULT_CLIENT_ADDRESS}, http:// with --insecure)`))
    .addOption(opt('advertise-client-urls', 'client URLs to tell other members and clients (default: listen-client-urls)'))
    .addOption(opt('listen-peer-urls', `URLs to serve raft peer traffic on (default: https://${DEFAULT_PEER_ADDRESS}, http:// with --insecure)`))
    .addOption(opt('initial-advertise-peer-urls', 'peer URLs of this member, as other members reach it (default: listen-peer-urls)'))
    .addOption(opt('initial-cluster', 'initial members: name=peerURL,… (default: just this member)'))
    .addOption(opt('initial-cluster-state', '"new" to bootstrap a cluster, "existing" to join one', 'new'))
    .addOption(opt('initial-cluster-token', 'cluster token; distinct clusters need distinct tokens', 'bosun-cluster'))
    .addOption(opt('snapshot-count', 'applied entries between snapshots', String(DEFAULT_SNAPSHOT_COUNT)))
    .addOption(opt('heartbeat-interval', 'raft heartbeat interval in milliseconds', String(TICK_INTERVAL_MS)))
    .addOption(opt('election-timeout', 'raft election timeout in milliseconds', String(TICK_INTERVAL_MS * ELECTION_TICKS)))
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS as unknown as string[]).default('info').env(storeEnv('log-level')));
  for (const tlsOption of storeTlsOptions(storeEnv)) command.addOption(tlsOption);
  return command.action(async (o: Record<string, string>) => {
    const cfg = memberConfigFromFlags(o);
    // The member holds its key index and values in the JS heap: keep the heap near what is live.
    limitHeapGrowth();
    const logger = createLogger('store', o.logLevel as LogLevel);
    const server = await StoreServer.start(cfg, logger);
    // Once quiet after start-up or after a burst of writes, give back what that work left behind.
    const reclaimer = startProcessReclaimer(logger);
    const stop = exitOnSignals(logger, () => {
      reclaimer.stop();
      return server.stop();
    });
    server.member.onRemoved = () => stop('removed');
    // A member that failed has stopped itself; the process goes too, non-zero (like etcd).
    server.member.onFailed = () => {
      process.exitCode = 1;
      void server.stop().finally(() => process.exit(1));
    };
  });
}
