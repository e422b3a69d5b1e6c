/**
 * The hash of a container's spec the agent keeps in the `io.kubernetes.container.hash`
 * annotation: when the pod's spec for the container changes, the hash differs and the agent
 * restarts the container (Kubernetes' HashContainer). FNV-1a 32-bit over the container as JSON
 * with keys sorted, so field order in the manifest does not matter; lowercase hex.
 */
import type { Container } from '../../../lib/api/types';

const FNV_OFFSET_32 = 0x811c9dc5;
const FNV_PRIME_32 = 0x01000193;

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The container's spec hash (see the file comment). */
export function hashContainer(container: Container): string {
  let h = FNV_OFFSET_32;
  for (const byte of Buffer.from(canonicalJson(container), 'utf8')) {
    h ^= byte;
    h = Math.imul(h, FNV_PRIME_32) >>> 0;
  }
  return h.toString(16);
}
