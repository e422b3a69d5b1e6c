/**
 * Image references as the process runtime's store keys them: `busybox`, `busybox:latest`,
 * `docker.io/library/busybox:latest` and `library/busybox` all name `busybox:latest`; a digest
 * (`name@sha256:…`) is kept as written. Pure.
 */

export const DEFAULT_TAG = 'latest';
const DOCKER_HUB_PREFIXES = ['docker.io/library/', 'index.docker.io/library/', 'docker.io/', 'index.docker.io/', 'library/'];
/** Docker's reference grammar, loosely: lowercase path components, an optional registry host:port, a tag. */
const NAME_PATTERN = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export class ImageRefError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageRefError';
  }
}

/** The canonical `name:tag` (or `name@digest`) of a reference; throws ImageRefError for a malformed one. */
export function normalizeImageRef(ref: string): string {
  const trimmed = ref.trim();
  if (!trimmed) throw new ImageRefError('image reference is empty');
  let name = trimmed;
  let suffix = '';
  const at = name.indexOf('@');
  if (at >= 0) {
    suffix = name.slice(at);
    name = name.slice(0, at);
    if (!/^@sha256:[a-f0-9]{64}$/.test(suffix)) throw new ImageRefError(`image reference "${ref}": malformed digest`);
  } else {
    const colon = name.lastIndexOf(':');
    if (colon > name.lastIndexOf('/')) {
      const tag = name.slice(colon + 1);
      if (!TAG_PATTERN.test(tag)) throw new ImageRefError(`image reference "${ref}": malformed tag "${tag}"`);
      suffix = `:${tag}`;
      name = name.slice(0, colon);
    } else {
      suffix = `:${DEFAULT_TAG}`;
    }
  }
  for (const prefix of DOCKER_HUB_PREFIXES) {
    if (name.startsWith(prefix)) {
      name = name.slice(prefix.length);
      break;
    }
  }
  if (!NAME_PATTERN.test(name)) throw new ImageRefError(`image reference "${ref}": malformed name "${name}" (lowercase letters, digits, separators)`);
  return name + suffix;
}
