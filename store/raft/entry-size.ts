import { Entry } from './types';

/**
 * Bytes counted per entry on top of its payload when batching App messages, approximating
 * the wire encoding of term, index and type. It keeps a batch of empty entries bounded.
 */
export const ENTRY_OVERHEAD_BYTES = 16;

/** The size an entry counts for against `maxSizePerMsg` and storage `maxBytes` limits. */
export function entrySizeBytes(e: Entry): number {
  return e.data.byteLength + ENTRY_OVERHEAD_BYTES;
}

/** Total payload bytes (data only) of `entries`; used for the uncommitted-size limit. */
export function payloadSizeBytes(entries: readonly Entry[]): number {
  let n = 0;
  for (const e of entries) n += e.data.byteLength;
  return n;
}

/**
 * The longest prefix of `entries` whose total entrySizeBytes is at most `maxBytes`, but
 * always at least one entry when `entries` is non-empty. Returns the same array when nothing
 * is cut.
 */
export function limitSize(entries: Entry[], maxBytes: number): Entry[] {
  if (entries.length === 0) return entries;
  let size = entrySizeBytes(entries[0]);
  let limit = 1;
  for (; limit < entries.length; limit++) {
    size += entrySizeBytes(entries[limit]);
    if (size > maxBytes) break;
  }
  return limit === entries.length ? entries : entries.slice(0, limit);
}
