import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { MembersResponse, StoreInternalClient } from '../../gen/bosun/store';
import { DurableLog, PersistedState } from '../storage/durable-log';
import { clusterIdFor, ConfigError, hostPortOf, MemberConfig, memberIdFor } from './member-config';
import { peerChannelCredentials } from './member-tls';
import { PEER_CHANNEL_OPTIONS } from './peer-transport';

/** Meta record holding this member's id, written once at first start. */
const MEMBER_ID_META = 'member-id';
/** How long a joining member keeps asking the existing members for its id. */
const JOIN_TIMEOUT_MS = 30_000;
const JOIN_RETRY_MS = 500;

function askMembers(target: string, credentials: grpc.ChannelCredentials): Promise<MembersResponse> {
  const client = new StoreInternalClient(target, credentials, PEER_CHANNEL_OPTIONS);
  return new Promise<MembersResponse>((resolve, reject) => {
    client.members({}, new grpc.Metadata(), { deadline: new Date(Date.now() + 2000) }, (err, res) => {
      client.close();
      if (err) reject(err);
      else resolve(res);
    });
  });
}

/**
 * Finds the id of a member that joins an existing cluster: it was chosen by whoever added the
 * member (etcdctl member add), so ask the members named in --initial-cluster and pick the
 * record with this member's peer URLs.
 */
async function idFromExistingCluster(config: MemberConfig, log: Logger): Promise<number> {
  const mine = new Set(config.initialAdvertisePeerUrls);
  const peers = config.initialCluster.filter((m) => !m.peerUrls.some((u) => mine.has(u)));
  if (peers.length === 0) throw new ConfigError('--initial-cluster: lists no other member to join (--initial-cluster-state existing)');
  const deadline = Date.now() + JOIN_TIMEOUT_MS;
  let lastError = '';
  // The other members' peer ports: mutual TLS with this member's peer certificate when it has one.
  const credentials = peerChannelCredentials(config.peerTls);
  while (Date.now() < deadline) {
    for (const peer of peers) {
      try {
        const res = await askMembers(hostPortOf('initial-cluster', peer.peerUrls[0]), credentials);
        if (res.clusterId !== clusterIdFor(config.initialClusterToken)) {
          throw new ConfigError(`--initial-cluster-token: member ${peer.name} belongs to another cluster (different token)`);
        }
        const me = res.members.find((m) => m.peerUrls.some((u) => mine.has(u)));
        if (!me) {
          throw new ConfigError(
            `this member (peer URLs ${[...mine].join(',')}) is not in the cluster's membership; add it first, e.g. etcdctl member add ${config.name} --peer-urls=${[...mine].join(',')}`,
          );
        }
        log.info({ member: me.id.toString(16), from: peer.name }, 'joining existing cluster');
        return me.id;
      } catch (err) {
        if (err instanceof ConfigError) throw err;
        lastError = `${peer.name}: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    await new Promise((r) => setTimeout(r, JOIN_RETRY_MS));
  }
  throw new Error(`cannot join the existing cluster: no member answered within ${JOIN_TIMEOUT_MS} ms (last: ${lastError})`);
}

/**
 * This member's id: the one recorded at first start, or — the first time — derived from the
 * peer URLs (a new cluster, where every member computes every id alike) or learned from the
 * cluster being joined. Recorded durably so it never changes.
 */
export async function resolveMemberId(config: MemberConfig, durable: DurableLog, state: PersistedState, log: Logger): Promise<number> {
  const recorded = state.meta[MEMBER_ID_META];
  if (recorded) return Number(Buffer.from(recorded).toString('utf8'));
  const fresh = !state.snapshot && state.entries.length === 0 && state.hardState.term === 0;
  const id =
    fresh && config.initialClusterState === 'existing'
      ? await idFromExistingCluster(config, log)
      : memberIdFor(config.initialAdvertisePeerUrls, config.initialClusterToken);
  await recordMemberId(durable, id);
  return id;
}

/** Records this member's id durably (resolveMemberId reads it back on every later start). */
export async function recordMemberId(durable: DurableLog, id: number): Promise<void> {
  await durable.setMeta(MEMBER_ID_META, Buffer.from(String(id), 'utf8'), true);
}
