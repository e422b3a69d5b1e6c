import { Command, Option } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createLogger } from '../lib/logger';
import { ErrSnapshotCorrupt } from '../store/mvcc/snapshot';
import { BackupFileError } from '../store/server/backup-file';
import { ConfigError, parseInitialCluster, parseUrlList } from '../store/server/member-config';
import { restoreMember } from '../store/server/restore';

/**
 * `bosun store restore FILE`: builds a new member's data directory from a file saved with
 * `etcdctl snapshot save` against a Bosun member (like `etcdutl snapshot restore`). Run it for
 * every member of the new cluster with the same file, --initial-cluster and token, then start
 * the members with the same flags.
 */
export function storeRestoreCommand(): Command {
  return new Command('restore')
    .description('create a new member data directory from a snapshot file (etcdctl snapshot save)')
    .argument('<file>', 'snapshot file written by etcdctl snapshot save')
    .addOption(new Option('--name <value>', 'name of the member being restored').default('default'))
    .addOption(new Option('--data-dir <value>', 'new data directory (default: ./<name>.bosun)'))
    .addOption(new Option('--initial-cluster <value>', 'members of the new cluster: name=peerURL,… (default: just this member)'))
    .addOption(new Option('--initial-cluster-token <value>', 'token of the new cluster').default('bosun-cluster'))
    .addOption(new Option('--initial-advertise-peer-urls <value>', 'peer URLs of this member').default('http://127.0.0.1:2380'))
    .addOption(new Option('--skip-hash-check', 'restore even if the SHA-256 checksum does not match'))
    .action(async (file: string, o: Record<string, string | boolean | undefined>) => {
      const name = String(o.name);
      const peerUrls = parseUrlList('initial-advertise-peer-urls', String(o.initialAdvertisePeerUrls));
      const initialCluster = parseInitialCluster(typeof o.initialCluster === 'string' ? o.initialCluster : peerUrls.map((u) => `${name}=${u}`).join(','));
      let backup: Buffer;
      try {
        backup = fs.readFileSync(file);
      } catch (err) {
        throw new ConfigError(`cannot read snapshot file ${file}: ${err instanceof Error ? err.message : String(err)}`);
      }
      try {
        const result = await restoreMember(
          {
            backup,
            dataDir: path.resolve(typeof o.dataDir === 'string' ? o.dataDir : `${name}.bosun`),
            name,
            initialCluster,
            initialClusterToken: String(o.initialClusterToken),
            initialAdvertisePeerUrls: peerUrls,
            skipHashCheck: o.skipHashCheck === true,
          },
          createLogger('store-restore', 'warn'),
        );
        console.log(`restored ${name} (member ${result.memberId.toString(16)}) at revision ${result.revision}`);
      } catch (err) {
        if (err instanceof BackupFileError || err instanceof ErrSnapshotCorrupt) throw new ConfigError(`snapshot file ${file}: ${err.message}`);
        throw err;
      }
    });
}
