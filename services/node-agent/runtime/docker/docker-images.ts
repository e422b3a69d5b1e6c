/**
 * The ImageService half of the docker runtime (pull, status, list, remove) and the offline
 * loader for the agent or `bosun image import --runtime docker`: `importImageFile` takes what
 * the process runtime's import takes — a rootfs tarball (what scripts/images builds under
 * `.data/images/`, imported as with `docker import`) or a `docker save` archive (loaded as with
 * `docker load`, then tagged).
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import type Dockerode from 'dockerode';
import { Image, RuntimeError } from '../runtime';
import { statusCode } from './engine-errors';

/** `busybox` → `busybox:latest`; references with a tag or digest are kept. */
export function normalizeImageRef(image: string): string {
  const lastSlash = image.lastIndexOf('/');
  const name = image.slice(lastSlash + 1);
  return name.includes(':') || name.includes('@') ? image : `${image}:latest`;
}

function toImage(info: { Id: string; RepoTags?: string[] | null; RepoDigests?: string[] | null; Size: number }): Image {
  return { id: info.Id, repoTags: info.RepoTags ?? [], repoDigests: info.RepoDigests ?? [], size: info.Size };
}

/** Reads an engine progress stream to its end; rejects with the first error message the engine reported in it. */
function followProgress(docker: Dockerode, stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, output: Array<{ error?: string; errorDetail?: { message?: string } }>) => {
      if (err) return reject(err);
      const failed = output.find((o) => o.error || o.errorDetail);
      if (failed) return reject(new Error(failed.errorDetail?.message ?? failed.error));
      resolve();
    });
  });
}

export async function imageStatus(docker: Dockerode, image: string): Promise<Image | null> {
  try {
    return toImage(await docker.getImage(normalizeImageRef(image)).inspect());
  } catch (err) {
    if (statusCode(err) === 404) return null;
    throw new RuntimeError('Internal', `cannot inspect image ${image}: ${(err as Error).message}`, { cause: err });
  }
}

/** Present → its id; otherwise pulls it. An engine failure → RuntimeError('ImagePull') with the engine's message. */
export async function pullImage(docker: Dockerode, image: string): Promise<string> {
  if (!image) throw new RuntimeError('ImagePull', 'image: must not be empty');
  const present = await imageStatus(docker, image);
  if (present) return present.id;
  const ref = normalizeImageRef(image);
  try {
    await followProgress(docker, await docker.pull(ref));
  } catch (err) {
    throw new RuntimeError('ImagePull', `failed to pull image "${image}": ${(err as Error).message}`, { cause: err });
  }
  const pulled = await imageStatus(docker, image);
  if (!pulled) throw new RuntimeError('ImagePull', `failed to pull image "${image}": the engine reported success but has no such image`);
  return pulled.id;
}

export async function listImages(docker: Dockerode): Promise<Image[]> {
  const all = await docker.listImages();
  return all.map((i) => toImage({ Id: i.Id, RepoTags: i.RepoTags, RepoDigests: i.RepoDigests, Size: i.Size }));
}

/** Removes the image (by reference or id); absent is fine. An image in use → RuntimeError('Internal') with the engine's reason. */
export async function removeImage(docker: Dockerode, image: string): Promise<void> {
  try {
    await docker.getImage(image.startsWith('sha256:') ? image : normalizeImageRef(image)).remove();
  } catch (err) {
    if (statusCode(err) === 404) return;
    throw new RuntimeError('Internal', `cannot remove image ${image}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Imports a rootfs tarball (plain or gzip) as image `ref` (`name[:tag]`), like `docker import
 * --change …`; `changes` are Dockerfile instructions such as `CMD ["sh"]`. Returns the image id.
 * A missing file or a refused import → RuntimeError('ImagePull') naming the file.
 */
export async function importRootfsImage(docker: Dockerode, file: string, ref: string, changes: string[] = []): Promise<string> {
  const normalized = normalizeImageRef(ref);
  const colon = normalized.lastIndexOf(':');
  const repo = normalized.slice(0, colon);
  const tag = normalized.slice(colon + 1);
  try {
    await fs.promises.access(file, fs.constants.R_OK);
    const stream = await docker.importImage(fs.createReadStream(file), { repo, tag, changes });
    await followProgress(docker, stream);
  } catch (err) {
    throw new RuntimeError('ImagePull', `cannot import ${file} as ${normalized}: ${(err as Error).message}`, { cause: err });
  }
  const img = await imageStatus(docker, normalized);
  if (!img) throw new RuntimeError('ImagePull', `importing ${file} as ${normalized} left no such image`);
  return img.id;
}

const execFileP = promisify(execFile);
/** Listing a tarball's entries (to tell a `docker save` archive from a rootfs) may print this much. */
const TAR_LIST_MAX_BYTES = 64 * 1024 * 1024;

/** True when `file` is a `docker save` archive (a top-level manifest.json). */
async function isSaveArchive(file: string): Promise<boolean> {
  const { stdout } = await execFileP('tar', ['-tf', file], { maxBuffer: TAR_LIST_MAX_BYTES });
  return stdout.split('\n').some((entry) => entry === 'manifest.json' || entry === './manifest.json');
}

/**
 * Makes the image in `file` present on the engine as `ref`: a `docker save` archive is loaded
 * (and tagged `ref`, its first image), anything else is imported as a rootfs with `changes`.
 * Returns the image id; a bad file → RuntimeError('ImagePull') naming it.
 */
export async function importImageFile(docker: Dockerode, file: string, ref: string, changes: string[] = []): Promise<string> {
  let archive: boolean;
  try {
    archive = await isSaveArchive(file);
  } catch (err) {
    throw new RuntimeError('ImagePull', `cannot read ${file} as a tarball: ${(err as Error).message}`, { cause: err });
  }
  if (!archive) return importRootfsImage(docker, file, ref, changes);
  const normalized = normalizeImageRef(ref);
  try {
    const out = await docker.loadImage(file);
    let text = '';
    for await (const chunk of out as AsyncIterable<Buffer>) text += chunk.toString();
    // JSON lines: {"stream":"Loaded image: name:tag\n"} (or "Loaded image ID: sha256:…").
    const said = text
      .split('\n')
      .map((l) => {
        try {
          return String((JSON.parse(l) as { stream?: string }).stream ?? '');
        } catch {
          return '';
        }
      })
      .join('');
    const loaded = /Loaded image(?: ID)?: (\S+)/.exec(said)?.[1];
    if (!loaded) throw new Error(`the engine loaded no image: ${(said || text).trim().slice(0, 300)}`);
    const colon = normalized.lastIndexOf(':');
    await docker.getImage(loaded).tag({ repo: normalized.slice(0, colon), tag: normalized.slice(colon + 1) });
  } catch (err) {
    throw new RuntimeError('ImagePull', `cannot load ${file} as ${normalized}: ${(err as Error).message}`, { cause: err });
  }
  const img = await imageStatus(docker, normalized);
  if (!img) throw new RuntimeError('ImagePull', `loading ${file} as ${normalized} left no such image`);
  return img.id;
}
