import { BadRequestError } from '../../../lib/api/errors';

/**
 * The opaque `continue` token of a paged list: base64 of JSON {start key, revision}. The next
 * page reads from `start` at `revision`, so every page shows the same snapshot.
 */
export interface ContinueToken {
  /** First key of the next page. */
  readonly start: string;
  /** The store revision every page of this list is read at. */
  readonly revision: number;
}

/** The token for a page that ends at `start` (exclusive of what came before) of a read at `revision`. */
export function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 1, start: token.start, rv: token.revision }), 'utf8').toString('base64url');
}

/** Decodes a token; BadRequestError when it is malformed or does not belong under `prefix`. */
export function decodeContinue(raw: string, prefix: string): ContinueToken {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw new BadRequestError('continue key is not valid: illegal base64 or JSON data');
  }
  const p = parsed as { v?: unknown; start?: unknown; rv?: unknown } | null;
  if (!p || p.v !== 1 || typeof p.start !== 'string' || typeof p.rv !== 'number' || !Number.isSafeInteger(p.rv) || p.rv <= 0) {
    throw new BadRequestError('continue key is not valid: incorrect encoded start resourceVersion (version v1)');
  }
  if (!p.start.startsWith(prefix)) throw new BadRequestError('continue key is not valid: key is outside the listed range');
  return { start: p.start, revision: p.rv };
}
