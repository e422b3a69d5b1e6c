/**
 * Mounting memory-backed emptyDirs (tmpfs) and finding what is mounted under a pod's directory,
 * through mount(8)/umount(8) and /proc/self/mountinfo. Only root can mount; callers check
 * {@link canMount} first.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** How long mount/umount may take before the setup fails, ms. */
export const MOUNT_TIMEOUT_MS = 10_000;

/** The mount operations pod setup needs (a fake in unit tests). */
export interface Mounter {
  /** Whether this process may mount (root). */
  canMount(): boolean;
  /** Mounts a tmpfs of at most `sizeBytes` (0 = the kernel's default, half of RAM) at `dir`. */
  mountTmpfs(dir: string, sizeBytes: number): Promise<void>;
  unmount(dir: string): Promise<void>;
  /** Mount points at or under `dir`, deepest first. */
  mountsUnder(dir: string): Promise<string[]>;
}

/** mountinfo escapes spaces and such as octal (`\040`). */
function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** The real mounter. */
export const systemMounter: Mounter = {
  canMount: () => process.getuid?.() === 0,
  async mountTmpfs(dir, sizeBytes) {
    const opts = sizeBytes > 0 ? ['-o', `size=${sizeBytes}`] : [];
    await run('mount', ['-t', 'tmpfs', ...opts, 'tmpfs', dir], { timeout: MOUNT_TIMEOUT_MS });
  },
  async unmount(dir) {
    await run('umount', [dir], { timeout: MOUNT_TIMEOUT_MS });
  },
  async mountsUnder(dir) {
    const text = await fs.readFile('/proc/self/mountinfo', 'utf8');
    const prefix = dir.endsWith('/') ? dir : `${dir}/`;
    return text
      .split('\n')
      .map((l) => l.split(' ')[4])
      .filter((p): p is string => !!p)
      .map(unescapeMountPath)
      .filter((p) => p === dir || p.startsWith(prefix))
      .sort((a, b) => b.length - a.length);
  },
};
