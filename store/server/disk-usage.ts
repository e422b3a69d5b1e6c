import * as fs from 'node:fs';
import * as path from 'node:path';

/** How long the reported disk usage may be stale. */
export const DISK_USAGE_CACHE_MS = 5_000;

/** Total size of the files in a directory (not recursive: LevelDB keeps one flat folder); 0 if unreadable. */
export function directorySize(dir: string): number {
  let total = 0;
  try {
    for (const name of fs.readdirSync(dir)) {
      try {
        total += fs.statSync(path.join(dir, name)).size;
      } catch {
        // a file LevelDB just removed
      }
    }
  } catch {
    return 0;
  }
  return total;
}

/** A directory's size (etcd's dbSize for a member), measured at most once per DISK_USAGE_CACHE_MS. */
export class DiskUsage {
  private bytesSeen = 0;
  private measuredAt = 0;

  constructor(
    private readonly dir: string,
    private readonly now: () => number = Date.now,
  ) {}

  bytes(): number {
    const now = this.now();
    if (now - this.measuredAt > DISK_USAGE_CACHE_MS) {
      this.bytesSeen = directorySize(this.dir);
      this.measuredAt = now;
    }
    return this.bytesSeen;
  }
}
