import { ConfChange, ConfChangeType } from './types';

/**
 * Binary encoding of a {@link ConfChange} carried in a ConfChange log entry:
 *
 *   byte 0      format version (CONF_CHANGE_FORMAT_VERSION)
 *   byte 1      ConfChangeType
 *   bytes 2..9  nodeId, unsigned 64-bit big-endian
 *   bytes 10..  context, verbatim
 *
 * Deterministic: equal changes always encode to equal bytes, so every member's log holds
 * byte-identical entries.
 */
export const CONF_CHANGE_FORMAT_VERSION = 1;

const HEADER_BYTES = 10;

/** The bytes do not hold a ConfChange in a format this code understands. */
export class ConfChangeDecodeError extends Error {
  readonly name = 'ConfChangeDecodeError';
}

/** Encodes `cc` as described in the module comment. Throws on a non-integer or negative id. */
export function encodeConfChange(cc: ConfChange): Uint8Array {
  if (!Number.isSafeInteger(cc.nodeId) || cc.nodeId < 0) {
    throw new RangeError(`conf change nodeId must be a non-negative safe integer, got ${cc.nodeId}`);
  }
  const out = new Uint8Array(HEADER_BYTES + cc.context.byteLength);
  const view = new DataView(out.buffer);
  view.setUint8(0, CONF_CHANGE_FORMAT_VERSION);
  view.setUint8(1, cc.type);
  view.setBigUint64(2, BigInt(cc.nodeId));
  out.set(cc.context, HEADER_BYTES);
  return out;
}

/** Decodes bytes produced by {@link encodeConfChange}; throws ConfChangeDecodeError otherwise. */
export function decodeConfChange(data: Uint8Array): ConfChange {
  if (data.byteLength < HEADER_BYTES) {
    throw new ConfChangeDecodeError(`conf change too short: ${data.byteLength} bytes`);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const version = view.getUint8(0);
  if (version !== CONF_CHANGE_FORMAT_VERSION) {
    throw new ConfChangeDecodeError(`unknown conf change format version ${version}`);
  }
  const type = view.getUint8(1);
  if (!isConfChangeType(type)) {
    throw new ConfChangeDecodeError(`unknown conf change type ${type}`);
  }
  const id = view.getBigUint64(2);
  if (id > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ConfChangeDecodeError(`conf change nodeId ${id} exceeds 2^53`);
  }
  return { type, nodeId: Number(id), context: data.slice(HEADER_BYTES) };
}

function isConfChangeType(t: number): t is ConfChangeType {
  return t === ConfChangeType.AddNode || t === ConfChangeType.RemoveNode || t === ConfChangeType.AddLearnerNode;
}
