import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logger } from 'pino';
import { decodeSnapshot, withAppliedIndex } from '../mvcc/snapshot';
import { DurableLog } from '../storage/durable-log';
import { decodeBackup } from './backup-file';
import { BOOTSTRAP_INDEX, writeBootstrapState } from './bootstrap-state';
import { ConfigError, InitialMember, memberIdFor } from './member-config';
import { recordMemberId } from './member-identity';
import { Membership } from './membership';

/** What `bosun store restore` needs (etcdutl snapshot restore's flags). */
export interface RestoreOptions {
  /** The backup file's bytes (what `etcdctl snapshot save` wrote). */
  backup: Uint8Array;
  /** The new member's data directory; must not hold a store yet. */
  dataDir: string;
  name: string;
  /** Every member of the new cluster, as the members will be started with. */
  initialCluster: InitialMember[];
  initialClusterToken: string;
  /** This member's peer URLs (its id derives from them and the token). */
  initialAdvertisePeerUrls: string[];
  skipHashCheck?: boolean;
}

/** What a restore wrote. */
export interface RestoreResult {
  memberId: number;
  /** The store revision the backup holds, which the new cluster continues from. */
  revision: number;
}

/**
 * Builds a new member's data directory from a backup file (like `etcdutl snapshot restore`):
 * the keys, revisions and leases of the backup, the membership of `initialCluster` (the old
 * cluster's is dropped). Run it once per member of the new cluster with the same file,
 * cluster and token, then start the members with the same flags: they start as one cluster
 * whose state is the backup's, at the same revision. Throws ConfigError for bad flags or an
 * existing store, BackupFileError for a bad file.
 */
export async function restoreMember(opts: RestoreOptions, logger: Logger): Promise<RestoreResult> {
  const membership = Membership.initial(opts.initialCluster, opts.initialClusterToken);
  const memberId = memberIdFor(opts.initialAdvertisePeerUrls, opts.initialClusterToken);
  const me = membership.get(memberId);
  if (!me || me.name !== opts.name) {
    throw new ConfigError(
      `--initial-cluster: has no member named "${opts.name}" with peer URLs ${opts.initialAdvertisePeerUrls.join(',')} (--name and --initial-advertise-peer-urls must match one entry)`,
    );
  }
  const raftDir = path.join(opts.dataDir, 'raft');
  if (fs.existsSync(raftDir) && fs.readdirSync(raftDir).length > 0) {
    throw new ConfigError(`--data-dir: ${opts.dataDir} already holds a store; restore into a new directory`);
  }
  const mvcc = decodeBackup(opts.backup, { skipHashCheck: opts.skipHashCheck });
  // The new raft log starts at the bootstrap snapshot: the state counts as applied there.
  const rebased = withAppliedIndex(mvcc, BOOTSTRAP_INDEX);
  const revision = decodeSnapshot(rebased).mvcc.currentRevision;
  fs.mkdirSync(opts.dataDir, { recursive: true });
  const durable = await DurableLog.open(raftDir, { logger });
  try {
    await writeBootstrapState(durable, membership, rebased);
    await recordMemberId(durable, memberId);
  } finally {
    await durable.close();
  }
  logger.info({ member: memberId.toString(16), name: opts.name, dataDir: opts.dataDir, revision, members: opts.initialCluster.length }, 'restored member data directory from snapshot');
  return { memberId, revision };
}
