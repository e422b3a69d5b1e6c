/**
 * Reading image archives into a flat root filesystem: a `docker save` archive (manifest.json,
 * the image config, layer tars applied in order with their whiteouts) or a plain rootfs tarball.
 * The system `tar` does the extraction (it knows every tar dialect and compression and, as root,
 * keeps owners, modes and device nodes); this module decides what to extract and deletes what
 * whiteouts hide. The parsing rules are pure functions, tested alone.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCommand } from '../../../../lib/run-command';

/** What a container inherits from its image (the OCI image config's `config` part). */
export interface ImageConfig {
  entrypoint: string[];
  cmd: string[];
  env: string[];
  workingDir: string;
  user: string;
}

export const DEFAULT_IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The config of an image made from a rootfs tarball, unless the importer says otherwise: `sh`, the usual PATH. */
export function defaultImageConfig(): ImageConfig {
  return { entrypoint: [], cmd: ['sh'], env: [`PATH=${DEFAULT_IMAGE_PATH}`], workingDir: '', user: '' };
}

export class ImageArchiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageArchiveError';
  }
}

export interface DockerManifestEntry {
  config: string;
  repoTags: string[];
  layers: string[];
}

/** Parses a `docker save` manifest.json; throws ImageArchiveError naming what is wrong. */
export function parseDockerManifest(text: string): DockerManifestEntry[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ImageArchiveError(`manifest.json is not JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(raw) || raw.length === 0) throw new ImageArchiveError('manifest.json: expected a non-empty array');
  return raw.map((e: Record<string, unknown>, i) => {
    if (typeof e?.Config !== 'string') throw new ImageArchiveError(`manifest.json[${i}].Config: expected a file name`);
    if (!Array.isArray(e.Layers) || e.Layers.some((l) => typeof l !== 'string')) {
      throw new ImageArchiveError(`manifest.json[${i}].Layers: expected a list of file names`);
    }
    const tags = Array.isArray(e.RepoTags) ? e.RepoTags.filter((t): t is string => typeof t === 'string') : [];
    return { config: e.Config, repoTags: tags, layers: e.Layers as string[] };
  });
}

/** The container part of a Docker/OCI image config JSON (`config` or Docker's `container_config`). */
export function parseImageConfig(text: string): ImageConfig {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new ImageArchiveError(`image config is not JSON: ${(err as Error).message}`);
  }
  const c = (raw.config ?? raw.Config ?? {}) as Record<string, unknown>;
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);
  return {
    entrypoint: strings(c.Entrypoint),
    cmd: strings(c.Cmd),
    env: strings(c.Env),
    workingDir: typeof c.WorkingDir === 'string' ? c.WorkingDir : '',
    user: typeof c.User === 'string' ? c.User : '',
  };
}

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';

export interface LayerWhiteouts {
  /** Directories (layer-relative, no leading `./` or `/`) whose lower contents are hidden. */
  opaqueDirs: string[];
  /** Paths the layer deletes from the layers below. */
  deleted: string[];
}

/** Finds the whiteouts among a layer's entry names (as `tar -t` lists them). */
export function layerWhiteouts(entries: string[]): LayerWhiteouts {
  const opaqueDirs: string[] = [];
  const deleted: string[] = [];
  for (const raw of entries) {
    const entry = raw.replace(/^\.?\/+/, '').replace(/\/+$/, '');
    const base = path.posix.basename(entry);
    const dir = path.posix.dirname(entry);
    if (base === OPAQUE_MARKER) opaqueDirs.push(dir === '.' ? '' : dir);
    else if (base.startsWith(WHITEOUT_PREFIX)) deleted.push(path.posix.join(dir, base.slice(WHITEOUT_PREFIX.length)));
  }
  return { opaqueDirs, deleted };
}

/** `child` resolved under `root`, refusing paths that climb out of it (`..`). */
function inside(root: string, child: string): string {
  const resolved = path.resolve(root, child);
  if (resolved !== root && !resolved.startsWith(root + path.sep)) throw new ImageArchiveError(`layer path "${child}" leaves the image root`);
  return resolved;
}

async function listEntries(file: string): Promise<string[]> {
  return (await runCommand('tar', ['-tf', file])).split('\n').filter((l) => l !== '');
}

/** Extracts a tar onto `rootfs` (owners kept as numbers), leaving whiteout markers out. */
async function extractOnto(file: string, rootfs: string): Promise<void> {
  const owner = process.getuid?.() === 0 ? ['--same-owner', '--numeric-owner'] : ['--no-same-owner'];
  await runCommand('tar', ['-xpf', file, ...owner, '--exclude', `${WHITEOUT_PREFIX}*`, '-C', rootfs]);
}

/** Applies one layer to the root built so far: its whiteouts first, then its files. */
export async function applyLayer(layerFile: string, rootfs: string): Promise<void> {
  const { opaqueDirs, deleted } = layerWhiteouts(await listEntries(layerFile));
  for (const dir of opaqueDirs) {
    const abs = inside(rootfs, dir);
    for (const name of fs.existsSync(abs) ? fs.readdirSync(abs) : []) fs.rmSync(path.join(abs, name), { recursive: true, force: true });
  }
  for (const p of deleted) fs.rmSync(inside(rootfs, p), { recursive: true, force: true });
  await extractOnto(layerFile, rootfs);
}

/** sha256 of a file, hex. */
export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    fs.createReadStream(file)
      .on('data', (b) => hash.update(b))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

export interface UnpackedImage {
  /** `sha256:<hex>`: the config's digest for a docker archive, the tarball's for a rootfs. */
  id: string;
  config: ImageConfig;
  /** Tags the archive itself names (docker save), canonicalised by the caller. */
  repoTags: string[];
}

/**
 * Unpacks `file` into `rootfs` (an empty directory); `scratch` is an empty directory for the
 * archive's parts, which the caller deletes. A `docker save` archive is recognised by its
 * manifest.json; anything else is taken as a rootfs tarball.
 */
export async function unpackImageArchive(file: string, rootfs: string, scratch: string): Promise<UnpackedImage> {
  if (!fs.existsSync(file)) throw new ImageArchiveError(`${file}: no such file`);
  let entries: string[];
  try {
    entries = await listEntries(file);
  } catch (err) {
    throw new ImageArchiveError(`${file} is not a tar archive (docker save or rootfs tarball): ${(err as Error).message}`);
  }
  const isDockerSave = entries.some((e) => e.replace(/^\.\//, '') === 'manifest.json');
  if (!isDockerSave) {
    await extractOnto(file, rootfs);
    return { id: `sha256:${await sha256File(file)}`, config: defaultImageConfig(), repoTags: [] };
  }
  await runCommand('tar', ['-xf', file, '--no-same-owner', '-C', scratch]);
  const [manifest] = parseDockerManifest(fs.readFileSync(path.join(scratch, 'manifest.json'), 'utf8'));
  const configFile = inside(scratch, manifest.config);
  const config = parseImageConfig(fs.readFileSync(configFile, 'utf8'));
  for (const layer of manifest.layers) await applyLayer(inside(scratch, layer), rootfs);
  return { id: `sha256:${await sha256File(configFile)}`, config, repoTags: manifest.repoTags };
}
