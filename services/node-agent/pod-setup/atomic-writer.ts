/**
 * Writes a set of files into a volume directory so that a reader never sees a half-written set
 * (the kubelet's AtomicWriter). Layout of the target directory:
 *
 *   ..2026_12_07_00_24_34.123456   a timestamped directory holding one complete version
 *   ..data -> ..2026_12_07_…       the current version (a symlink, swapped with rename(2))
 *   key -> ..data/key              what users see: one symlink per top-level path
 *
 * An update writes a whole new timestamped directory, points `..data_tmp` at it and renames that
 * over `..data` (atomic), adds/removes the user-visible symlinks, then removes older versions —
 * keeping the one just replaced, so a reader that resolved `..data` a moment before the swap
 * still finds its file (one update of grace; Kubernetes removes it at once).
 * A payload equal to what is on disk (bytes and modes) writes nothing.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/** One file of a payload. */
export interface PayloadFile {
  data: Buffer;
  /** Permission bits, e.g. 0o644. */
  mode: number;
}

/** Relative path → file. */
export type Payload = Map<string, PayloadFile>;

export const DATA_DIR_NAME = '..data';
const DATA_TMP_NAME = '..data_tmp';
/** Kubernetes' limits on a payload path and each of its components. */
export const MAX_PATH_LENGTH = 4096;
export const MAX_FILE_NAME_LENGTH = 255;

/** Throws an Error naming `p` when it is not a relative path without `..` components (Kubernetes' validatePath). */
export function validatePayloadPath(p: string): void {
  if (p === '') throw new Error('invalid path: must not be empty');
  if (p.length > MAX_PATH_LENGTH) throw new Error(`invalid path "${p}": must be less than or equal to ${MAX_PATH_LENGTH} characters`);
  if (path.isAbsolute(p)) throw new Error(`invalid path "${p}": must be relative path`);
  const parts = p.split('/');
  if (parts.some((s) => s === '..')) throw new Error(`invalid path "${p}": must not contain '..'`);
  if (parts[0]!.startsWith('..')) throw new Error(`invalid path "${p}": must not start with '..'`);
  if (parts.some((s) => s.length > MAX_FILE_NAME_LENGTH)) throw new Error(`invalid path "${p}": must not contain a component longer than ${MAX_FILE_NAME_LENGTH} characters`);
}

function timestampName(now: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `..${now.getUTCFullYear()}_${pad(now.getUTCMonth() + 1)}_${pad(now.getUTCDate())}_${pad(now.getUTCHours())}_${pad(now.getUTCMinutes())}_${pad(now.getUTCSeconds())}.`;
}

async function readlinkOrUndefined(p: string): Promise<string | undefined> {
  try {
    return await fs.readlink(p);
  } catch {
    return undefined;
  }
}

/** Whether `dir` holds exactly `payload` (same paths, bytes and permission bits). */
async function holds(dir: string, payload: Payload): Promise<boolean> {
  const onDisk = await listFiles(dir);
  if (onDisk.length !== payload.size) return false;
  for (const rel of onDisk) {
    const want = payload.get(rel);
    if (!want) return false;
    const full = path.join(dir, rel);
    const [st, data] = await Promise.all([fs.stat(full), fs.readFile(full)]);
    if ((st.mode & 0o7777) !== want.mode || !data.equals(want.data)) return false;
  }
  return true;
}

/** Every regular file under `dir`, as relative paths. */
async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else out.push(rel);
  }
  return out;
}

function topLevelNames(payload: Payload): Set<string> {
  return new Set([...payload.keys()].map((p) => p.split('/')[0]!));
}

/**
 * Makes `targetDir` hold `payload` atomically (see the file comment). Returns whether anything
 * was written. Throws on an invalid path (naming it) or a file system failure; a failure before
 * the swap leaves the previous version in place.
 */
export async function writeAtomically(targetDir: string, payload: Payload, now: () => Date = () => new Date()): Promise<boolean> {
  for (const p of payload.keys()) validatePayloadPath(p);
  await fs.mkdir(targetDir, { recursive: true });
  const dataLink = path.join(targetDir, DATA_DIR_NAME);
  const oldVersion = await readlinkOrUndefined(dataLink);
  const wanted = topLevelNames(payload);
  if (oldVersion && (await holds(path.join(targetDir, oldVersion), payload).catch(() => false))) {
    await linkUserVisible(targetDir, wanted);
    return false;
  }

  const versionDir = await fs.mkdtemp(path.join(targetDir, timestampName(now())));
  await fs.chmod(versionDir, 0o755);
  for (const [rel, file] of payload) {
    const full = path.join(versionDir, rel);
    await fs.mkdir(path.dirname(full), { recursive: true });
    await fs.writeFile(full, file.data);
    await fs.chmod(full, file.mode); // not through writeFile: the umask would mask it
  }
  const tmpLink = path.join(targetDir, DATA_TMP_NAME);
  await fs.rm(tmpLink, { force: true });
  await fs.symlink(path.basename(versionDir), tmpLink);
  await fs.rename(tmpLink, dataLink);

  await linkUserVisible(targetDir, wanted);
  // User-visible links to paths the new version no longer has.
  for (const e of await fs.readdir(targetDir, { withFileTypes: true })) {
    if (e.name.startsWith('..') || wanted.has(e.name) || !e.isSymbolicLink()) continue;
    const to = await readlinkOrUndefined(path.join(targetDir, e.name));
    if (to?.startsWith(`${DATA_DIR_NAME}/`)) await fs.rm(path.join(targetDir, e.name), { force: true });
  }
  // Versions older than the one just replaced.
  for (const e of await fs.readdir(targetDir, { withFileTypes: true })) {
    if (!e.isDirectory() || !e.name.startsWith('..') || e.name === path.basename(versionDir) || e.name === oldVersion) continue;
    await fs.rm(path.join(targetDir, e.name), { recursive: true, force: true });
  }
  return true;
}

async function linkUserVisible(targetDir: string, names: Set<string>): Promise<void> {
  for (const name of names) {
    const link = path.join(targetDir, name);
    const want = `${DATA_DIR_NAME}/${name}`;
    const have = await readlinkOrUndefined(link);
    if (have === want) continue;
    if (have !== undefined) await fs.rm(link, { force: true });
    await fs.symlink(want, link);
  }
}
