/**
 * The node's image store: images unpacked into flat root filesystems under one directory, which
 * several nodes on one machine may share. Layout:
 *   <dir>/<hex id>/rootfs      the image's files (the lower layer of every container's overlay)
 *   <dir>/<hex id>/image.json  { id, config, size, importedAt }
 *   <dir>/tags.json            { "busybox:latest": "sha256:<hex>", … }
 * No registry is ever contacted: images come in with `bosun image import`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Image } from '../runtime';
import { ImageConfig, unpackImageArchive } from './image-archive';
import { normalizeImageRef } from './image-ref';
import { listDirs, newId, readJsonIfExists, writeJsonAtomic } from './state-files';
import { runCommand } from '../../../../lib/run-command';

export interface StoredImage {
  id: string;
  config: ImageConfig;
  /** Bytes of the unpacked root filesystem. */
  size: number;
  importedAt: number;
}

export interface ImportOptions {
  /** Overrides for a rootfs tarball's defaults (or a docker archive's config). */
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
}

export class ImageNotFoundError extends Error {
  constructor(readonly ref: string) {
    super(`image "${ref}" is not present on this node and no registry is reachable: import it with "bosun image import ${ref} FILE"`);
    this.name = 'ImageNotFoundError';
  }
}

/**
 * The machine's default node image store, shared by the process-runtime nodes on it and used by
 * `bosun image`: $BOSUN_IMAGE_STORE, else /var/lib/bosun/images for root, else ~/.bosun/images.
 */
export function defaultImageStoreDir(): string {
  if (process.env.BOSUN_IMAGE_STORE) return process.env.BOSUN_IMAGE_STORE;
  return process.getuid?.() === 0 ? '/var/lib/bosun/images' : path.join(os.homedir(), '.bosun', 'images');
}

const TAGS_FILE = 'tags.json';
const IMAGE_FILE = 'image.json';

function hexOf(id: string): string {
  return id.replace(/^sha256:/, '');
}

export class ImageStore {
  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
  }

  private tags(): Record<string, string> {
    return readJsonIfExists<Record<string, string>>(path.join(this.dir, TAGS_FILE)) ?? {};
  }

  private saveTags(tags: Record<string, string>): void {
    writeJsonAtomic(path.join(this.dir, TAGS_FILE), tags);
  }

  /** The root filesystem directory of an image id. */
  rootfsOf(id: string): string {
    return path.join(this.dir, hexOf(id), 'rootfs');
  }

  /** The stored image a reference (tag, `sha256:` id or unique id prefix) names, or null. */
  resolve(ref: string): StoredImage | null {
    let id: string | undefined;
    if (/^(sha256:)?[a-f0-9]{12,64}$/.test(ref)) {
      const hex = hexOf(ref);
      const match = listDirs(this.dir).filter((d) => d.startsWith(hex));
      if (match.length === 1) id = `sha256:${match[0]}`;
    }
    id ??= this.tags()[normalizeImageRef(ref)];
    if (!id) return null;
    return readJsonIfExists<StoredImage>(path.join(this.dir, hexOf(id), IMAGE_FILE)) ?? null;
  }

  /** The CRI view of a stored image. */
  describe(image: StoredImage): Image {
    const repoTags = Object.entries(this.tags())
      .filter(([, id]) => id === image.id)
      .map(([tag]) => tag)
      .sort();
    return { id: image.id, repoTags, repoDigests: [], size: image.size };
  }

  list(): StoredImage[] {
    return listDirs(this.dir)
      .filter((d) => !d.startsWith('.'))
      .map((d) => readJsonIfExists<StoredImage>(path.join(this.dir, d, IMAGE_FILE)))
      .filter((i): i is StoredImage => i !== undefined);
  }

  /**
   * Imports an archive (docker save or rootfs tarball) and tags it `ref` (plus the tags a docker
   * archive carries). Importing the same content again only adds the tag.
   */
  async import(ref: string, file: string, options: ImportOptions = {}): Promise<StoredImage> {
    const tag = normalizeImageRef(ref);
    const scratch = path.join(this.dir, `.import-${newId()}`);
    const rootfs = path.join(scratch, 'rootfs');
    fs.mkdirSync(path.join(scratch, 'parts'), { recursive: true });
    fs.mkdirSync(rootfs);
    try {
      const unpacked = await unpackImageArchive(path.resolve(file), rootfs, path.join(scratch, 'parts'));
      const config: ImageConfig = {
        ...unpacked.config,
        ...(options.entrypoint ? { entrypoint: options.entrypoint } : {}),
        ...(options.cmd ? { cmd: options.cmd } : {}),
        ...(options.env ? { env: options.env } : {}),
        ...(options.workingDir !== undefined ? { workingDir: options.workingDir } : {}),
      };
      const final = path.join(this.dir, hexOf(unpacked.id));
      if (!fs.existsSync(path.join(final, IMAGE_FILE))) {
        const size = Number((await runCommand('du', ['-sb', rootfs])).split('\t')[0]);
        const image: StoredImage = { id: unpacked.id, config, size, importedAt: Date.now() };
        writeJsonAtomic(path.join(scratch, IMAGE_FILE), image);
        fs.rmSync(path.join(scratch, 'parts'), { recursive: true, force: true });
        fs.rmSync(final, { recursive: true, force: true });
        fs.renameSync(scratch, final);
      } else if (options.entrypoint || options.cmd || options.env || options.workingDir !== undefined) {
        const existing = readJsonIfExists<StoredImage>(path.join(final, IMAGE_FILE))!;
        writeJsonAtomic(path.join(final, IMAGE_FILE), { ...existing, config });
      }
      const tags = this.tags();
      for (const t of [tag, ...unpacked.repoTags.map(normalizeImageRef)]) tags[t] = unpacked.id;
      this.saveTags(tags);
      return readJsonIfExists<StoredImage>(path.join(final, IMAGE_FILE))!;
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  }

  /**
   * Removes a tag (or, given an id, every tag of it); the files go once no tag names the image
   * and `inUse(id)` says no container runs on it. Absent: nothing happens.
   */
  remove(ref: string, inUse: (id: string) => boolean): void {
    const image = this.resolve(ref);
    if (!image) return;
    const tags = this.tags();
    const isId = /^(sha256:)?[a-f0-9]{12,64}$/.test(ref);
    for (const [t, id] of Object.entries(tags)) {
      if (id === image.id && (isId || t === normalizeImageRef(ref))) delete tags[t];
    }
    this.saveTags(tags);
    if (!Object.values(tags).includes(image.id) && !inUse(image.id)) {
      fs.rmSync(path.join(this.dir, hexOf(image.id)), { recursive: true, force: true });
    }
  }
}
