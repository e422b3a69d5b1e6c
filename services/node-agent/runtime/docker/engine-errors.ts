/**
 * Small facts about the engine's API shared by the docker runtime's modules: the HTTP status and
 * message of a failed dockerode call, and the engine's `since` timestamp format.
 */

/** The HTTP status of a failed engine call (404 no such object, 304 not modified, 409 conflict), if any. */
export function statusCode(err: unknown): number | undefined {
  return (err as { statusCode?: number } | null)?.statusCode;
}

/** The engine's own message for a failed call (its JSON `message`), else the error's. */
export function engineMessage(err: unknown): string {
  const e = err as { json?: { message?: string }; message?: string } | null;
  return e?.json?.message ?? e?.message ?? String(err);
}

/** Nanoseconds since the epoch as the engine's `since` parameter: `<seconds>.<nine digits>`. */
export function engineSince(ns: bigint): string {
  return `${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}`;
}
