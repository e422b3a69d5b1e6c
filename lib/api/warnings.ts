/**
 * Warnings that travel with an API answer (a list that skipped corrupt objects, say) from the
 * registry to the front doors, which send them as Kubernetes does: HTTP `Warning` headers, gRPC
 * `warning` metadata. They ride on the answer object under a symbol, so they are never part of
 * its JSON or protobuf form.
 */
const WARNINGS = Symbol('bosun.api.warnings');

type Carrier = { [WARNINGS]?: readonly string[] };

/** `obj` carrying `warnings` (added to any it already carries); returns `obj`. */
export function withWarnings<T extends object>(obj: T, warnings: readonly string[]): T {
  if (warnings.length === 0) return obj;
  const carrier = obj as T & Carrier;
  carrier[WARNINGS] = [...(carrier[WARNINGS] ?? []), ...warnings];
  return obj;
}

/** The warnings an answer carries (empty when none). */
export function warningsOf(obj: unknown): readonly string[] {
  if (obj === null || typeof obj !== 'object') return [];
  return (obj as Carrier)[WARNINGS] ?? [];
}

/**
 * A warning text that fits in an HTTP header or gRPC metadata value (printable ASCII): line
 * breaks become spaces, other characters outside printable ASCII become `\uXXXX`.
 */
export function printableWarning(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
