/**
 * Parsing of Kubernetes REST paths into what they address:
 *
 *   /api/v1[/watch]/namespaces/{ns}/{resource}[/{name}[/{subresource}]]
 *   /api/v1[/watch]/{resource}[/{name}[/{subresource}]]        (cluster-scoped, or every namespace)
 *   /apis/{group}/{version}/...                                 (the same below a named group)
 *
 * `namespaces/{name}` and `namespaces/{name}/{status|finalize}` address the Namespace itself.
 */
import { BadRequestError } from '../../../lib/api/errors';

/** Subresources of a Namespace (a path `namespaces/{ns}/<these>` is not a namespaced resource). */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/** The path and query of a request target. */
export interface RequestTarget {
  /** The path exactly as sent (still percent-encoded; no `.`/`..` resolution). */
  readonly pathname: string;
  readonly searchParams: URLSearchParams;
}

/**
 * Splits an origin-form request target (`/api/v1/pods?limit=5`) into its path and query, without
 * the URL standard's rewriting (it would resolve `..` segments — turning `…/configmaps/..` into
 * the namespace — and read `\` as `/`): the path is taken as sent, and parseApiPath judges it.
 * Any other form (`*`, an absolute URL) is a 400.
 */
export function parseRequestTarget(target: string | undefined): RequestTarget {
  const raw = target ?? '/';
  if (!raw.startsWith('/')) {
    throw new BadRequestError(`the request target ${JSON.stringify(raw.slice(0, MAX_QUOTED_TARGET_CHARS))} is not a path`);
  }
  const question = raw.indexOf('?');
  return question < 0
    ? { pathname: raw, searchParams: new URLSearchParams() }
    : { pathname: raw.slice(0, question), searchParams: new URLSearchParams(raw.slice(question + 1)) };
}

/** How much of a bad request target a message repeats. */
const MAX_QUOTED_TARGET_CHARS = 200;

/** A discovery path: the group list, one group, or one group-version's resource list. */
export type DiscoveryPath =
  | { readonly type: 'api-versions' }
  | { readonly type: 'group-list' }
  | { readonly type: 'group'; readonly group: string }
  | { readonly type: 'resource-list'; readonly group: string; readonly version: string };

/** A path addressing resources of one group-version. */
export interface ResourcePath {
  readonly type: 'resource';
  readonly group: string;
  readonly version: string;
  /** The plural resource name. */
  readonly resource: string;
  /** The namespace from the path (undefined: cluster-scoped path or every namespace). */
  readonly namespace?: string;
  /** The object's name (undefined: the collection). */
  readonly name?: string;
  readonly subresource?: string;
  /** A legacy `/watch/` path. */
  readonly watch: boolean;
}

/** What a path below /api or /apis addresses, or undefined when it is not an API path. */
export type ApiPath = DiscoveryPath | ResourcePath;

/**
 * Parses the path part of a URL (percent-encoded). Undefined for anything that is not a
 * well-formed API path (the caller answers 404); BadRequest for a segment that does not
 * percent-decode.
 */
export function parseApiPath(pathname: string): ApiPath | undefined {
  const raw = pathname.split('/').filter((s, i, all) => !(s === '' && (i === 0 || i === all.length - 1)));
  if (raw.some((s) => s === '')) return undefined;
  let segs: string[];
  try {
    segs = raw.map((s) => decodeURIComponent(s));
  } catch {
    throw new BadRequestError(`the path ${JSON.stringify(pathname)} is not validly percent-encoded`);
  }
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api') {
    if (segs.length === 1) return { type: 'api-versions' };
    group = '';
    version = segs[1]!;
    rest = segs.slice(2);
  } else if (segs[0] === 'apis') {
    if (segs.length === 1) return { type: 'group-list' };
    if (segs.length === 2) return { type: 'group', group: segs[1]! };
    group = segs[1]!;
    version = segs[2]!;
    rest = segs.slice(3);
  } else {
    return undefined;
  }
  if (rest.length === 0) return { type: 'resource-list', group, version };

  let watch = false;
  if (rest[0] === 'watch') {
    watch = true;
    rest = rest.slice(1);
    if (rest.length === 0) return undefined;
  }
  const at = (resource: string, namespace: string | undefined, tail: string[]): ResourcePath | undefined => {
    if (tail.length > 2) return undefined;
    return { type: 'resource', group, version, resource, namespace, name: tail[0], subresource: tail[1], watch };
  };
  if (group === '' && rest[0] === 'namespaces' && (rest.length <= 2 || (rest.length === 3 && NAMESPACE_SUBRESOURCES.has(rest[2]!)))) {
    return at('namespaces', undefined, rest.slice(1));
  }
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    return at(rest[2]!, rest[1]!, rest.slice(3));
  }
  return at(rest[0]!, undefined, rest.slice(1));
}
