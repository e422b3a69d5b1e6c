import { createHash } from 'node:crypto';
import { ConfigError } from '../../lib/config-error';
import type { TlsMaterial } from './member-tls';

/** How often the member loop ticks raft. etcd's default heartbeat interval. */
export const TICK_INTERVAL_MS = 100;
/** Raft election timeout in ticks (1 s at the default tick interval, like etcd). */
export const ELECTION_TICKS = 10;
/** Raft heartbeat interval in ticks. */
export const HEARTBEAT_TICKS = 1;
/** Largest client request the store accepts, like etcd's --max-request-bytes default. */
export const MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;
/** gRPC receive limit on the client port: above MAX_REQUEST_BYTES so we can answer etcd's error. */
export const MAX_CLIENT_GRPC_RECV_BYTES = MAX_REQUEST_BYTES + 512 * 1024;
/** Applied entries between two snapshots of the state machine (etcd 3.4's default too). */
export const DEFAULT_SNAPSHOT_COUNT = 100_000;
/** Entries kept in the log behind a snapshot, so slightly lagging followers need no snapshot. */
export const SNAPSHOT_CATCHUP_ENTRIES = 5_000;
/** How long a client request may wait for its proposal to be applied. */
export const REQUEST_TIMEOUT_MS = 7_000;

/** One member of the initial cluster, as named by --initial-cluster. */
export interface InitialMember {
  name: string;
  peerUrls: string[];
}

/** Everything a store member needs to start; built from flags by the CLI. */
export interface MemberConfig {
  name: string;
  dataDir: string;
  listenClientUrls: string[];
  advertiseClientUrls: string[];
  listenPeerUrls: string[];
  initialAdvertisePeerUrls: string[];
  initialCluster: InitialMember[];
  initialClusterState: 'new' | 'existing';
  initialClusterToken: string;
  snapshotCount: number;
  tickIntervalMs: number;
  electionTicks: number;
  /** TLS of the client port; undefined: plain text (only with --insecure). */
  clientTls?: TlsMaterial;
  /** TLS of the peer port, and the certificate this member dials its peers with; undefined: plain text. */
  peerTls?: TlsMaterial;
}

/** A flag value that could not be used (defined in lib, shared by every component's flags). */
export { ConfigError };

/** Parses a comma-separated URL list such as "http://127.0.0.1:2379,http://10.0.0.1:2379". */
export function parseUrlList(flag: string, value: string): string[] {
  const urls = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (urls.length === 0) throw new ConfigError(`--${flag}: no URL given`);
  for (const u of urls) hostPortOf(flag, u);
  return urls;
}

/** "http://host:port" or "https://host:port" → "host:port" (gRPC target / listen address); validates the URL. */
export function hostPortOf(flag: string, url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`--${flag}: "${url}" is not a URL (expected e.g. https://127.0.0.1:2379)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(`--${flag}: "${url}" must use https:// (or http:// with --insecure)`);
  }
  if (!parsed.port) throw new ConfigError(`--${flag}: "${url}" has no port`);
  return `${parsed.hostname.replace(/^\[|\]$/g, '')}:${parsed.port}`;
}

/** Parses --initial-cluster "s1=http://127.0.0.1:2380,s2=http://…" (a name may repeat for several URLs). */
export function parseInitialCluster(value: string): InitialMember[] {
  const byName = new Map<string, string[]>();
  for (const part of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--initial-cluster: "${part}" is not name=url`);
    const name = part.slice(0, eq);
    const url = part.slice(eq + 1);
    hostPortOf('initial-cluster', url);
    const urls = byName.get(name) ?? [];
    if (urls.includes(url)) throw new ConfigError(`--initial-cluster: "${url}" is listed twice for ${name}`);
    urls.push(url);
    byName.set(name, urls);
  }
  if (byName.size === 0) throw new ConfigError('--initial-cluster: no member given');
  const seen = new Set<string>();
  for (const urls of byName.values()) {
    for (const u of urls) {
      if (seen.has(u)) throw new ConfigError(`--initial-cluster: peer URL "${u}" belongs to two members`);
      seen.add(u);
    }
  }
  return [...byName.entries()].map(([name, peerUrls]) => ({ name, peerUrls }));
}

/** Cross-checks a config: this member must be in the initial cluster with its advertised peer URLs. */
export function validateMemberConfig(cfg: MemberConfig): void {
  if (!cfg.name) throw new ConfigError('--name: must not be empty');
  if (!cfg.dataDir) throw new ConfigError('--data-dir: must not be empty');
  const self = cfg.initialCluster.find((m) => m.name === cfg.name);
  if (!self) {
    throw new ConfigError(`--initial-cluster: has no member named "${cfg.name}" (--name); it lists ${cfg.initialCluster.map((m) => m.name).join(', ')}`);
  }
  const advertised = [...cfg.initialAdvertisePeerUrls].sort().join(',');
  if ([...self.peerUrls].sort().join(',') !== advertised) {
    throw new ConfigError(
      `--initial-cluster: lists ${self.peerUrls.join(',')} for "${cfg.name}" but --initial-advertise-peer-urls is ${cfg.initialAdvertisePeerUrls.join(',')}`,
    );
  }
  checkSchemes('listen-client-urls', cfg.listenClientUrls, cfg.clientTls);
  checkSchemes('advertise-client-urls', cfg.advertiseClientUrls, cfg.clientTls);
  checkSchemes('listen-peer-urls', cfg.listenPeerUrls, cfg.peerTls);
  checkSchemes('initial-advertise-peer-urls', cfg.initialAdvertisePeerUrls, cfg.peerTls);
  checkSchemes('initial-cluster', cfg.initialCluster.flatMap((m) => m.peerUrls), cfg.peerTls);
  if (!Number.isInteger(cfg.snapshotCount) || cfg.snapshotCount < 1) {
    throw new ConfigError(`--snapshot-count: must be a positive integer, got ${cfg.snapshotCount}`);
  }
}

/** The URL scheme of a port: https:// when it serves TLS, http:// when plain text (like etcd's member URLs). */
export function urlScheme(tls: TlsMaterial | undefined): 'https' | 'http' {
  return tls ? 'https' : 'http';
}

/** Every URL of a port must name the scheme the port serves, so members and clients dial it right. */
function checkSchemes(flag: string, urls: readonly string[], tls: TlsMaterial | undefined): void {
  const want = urlScheme(tls);
  for (const u of urls) {
    if (!u.startsWith(`${want}://`)) {
      throw new ConfigError(
        tls ? `--${flag}: "${u}" must use https:// (the port serves TLS)` : `--${flag}: "${u}" must use http:// (plain text, --insecure)`,
      );
    }
  }
}

/** A 48-bit id from a hash: fits a JS number exactly and a proto uint64 on the wire. */
function hashId(...parts: string[]): number {
  const digest = createHash('sha256').update(parts.join('\0')).digest();
  const id = digest.readUIntBE(0, 6);
  return id === 0 ? 1 : id;
}

/** A member's id: deterministic from its peer URLs and the cluster token, so every member agrees. */
export function memberIdFor(peerUrls: string[], clusterToken: string): number {
  return hashId('member', [...peerUrls].sort().join(','), clusterToken);
}

/** The cluster id: deterministic from the cluster token, so a member joining later computes the same id. */
export function clusterIdFor(clusterToken: string): number {
  return hashId("cluster", clusterToken);
}
