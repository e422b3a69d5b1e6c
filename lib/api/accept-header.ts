/**
 * The HTTP `Accept` header as a list of media ranges in the order a server should try them:
 * highest quality first, and among equal qualities in the order the client wrote them (RFC 9110
 * §12.5.1). Ranges with `q=0` are refused by the client and left out. An absent or blank header
 * accepts anything (`*\/*`). Parameters other than `q` are kept, lower-cased by name, for the
 * caller to interpret (Kubernetes puts `as`, `g` and `v` there to ask for a conversion such as a
 * Table). Malformed entries are skipped rather than rejected: a server then answers 406 only if
 * nothing usable remains.
 */

/** One media range of an Accept header. */
export interface MediaRange {
  /** Lower-case type, e.g. `application` or `*`. */
  readonly type: string;
  /** Lower-case subtype, e.g. `json`, `vnd.kubernetes.protobuf` or `*`. */
  readonly subtype: string;
  /** Parameters other than `q`, by lower-case name (values as sent). */
  readonly params: ReadonlyMap<string, string>;
  /** Quality, 0 < q ≤ 1. */
  readonly q: number;
}

/** The media range `*\/*`: what a request without an Accept header accepts. */
const ANYTHING: MediaRange = { type: '*', subtype: '*', params: new Map(), q: 1 };

/** The ranges of `header`, in preference order (see the module comment). */
export function parseAccept(header: string | undefined): MediaRange[] {
  if (header === undefined || header.trim() === '') return [ANYTHING];
  const ranges: MediaRange[] = [];
  for (const entry of header.split(',')) {
    const [mediaType, ...paramParts] = entry.split(';');
    const slash = mediaType!.indexOf('/');
    if (slash <= 0) continue;
    const type = mediaType!.slice(0, slash).trim().toLowerCase();
    const subtype = mediaType!.slice(slash + 1).trim().toLowerCase();
    if (type === '' || subtype === '') continue;
    const params = new Map<string, string>();
    let q = 1;
    for (const part of paramParts) {
      const eq = part.indexOf('=');
      if (eq <= 0) continue;
      const name = part.slice(0, eq).trim().toLowerCase();
      const value = part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
      if (name === 'q') {
        const parsed = Number(value);
        q = value !== '' && Number.isFinite(parsed) ? Math.min(Math.max(parsed, 0), 1) : 1;
      } else {
        params.set(name, value);
      }
    }
    if (q > 0) ranges.push({ type, subtype, params, q });
  }
  // Array.prototype.sort is stable: equal qualities keep the client's order.
  return ranges.sort((a, b) => b.q - a.q);
}

/** Whether `range` covers the media type `type/subtype` (wildcards included). */
export function rangeMatches(range: MediaRange, type: string, subtype: string): boolean {
  return (range.type === '*' || range.type === type) && (range.subtype === '*' || range.subtype === subtype);
}
