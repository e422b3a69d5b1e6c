/**
 * The ImageService half of the docker runtime (pull, status, list, remove) and the offline
 * loader: `importRootfsImage` turns a rootfs tarball (what scripts/images builds under
 * `.data/images/`) into an engine image with `docker import`'s API, for the agent or
 * `bosun image import --runtime docker`.
 */
import * as fs from 'node:fs';
import type Dockerode from 'dockerode';
import { Image, RuntimeError } from '../runtime';

/** `busybox` → `busybox:latest`; references with a tag or digest are kept. */
export function normalizeImageRef(image: string): string {
  const lastSlash = image.lastIndexOf('/');
  const name = image.slice(lastSlash + 1);
  return name.includes(':') || name.includes('@') ? image : `${image}:latest`;
}

function toImage(info: { Id: string; RepoTags?: string[] | null; RepoDigests?: string[] | null; Size: number }): Image {
  return { id: info.Id, repoTags: info.RepoTags ?? [], repoDigests: info.RepoDigests ?? [], size: info.Size };
}

function statusCode(err: unknown): number | undefined {
  return (err as { statusCode?: number }).statusCode;
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
