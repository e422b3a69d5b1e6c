/**
 * The ingress routing table: every rule of the Ingresses this controller serves, compiled into
 * lookups by request host and path. Pure data, no I/O: the controller rebuilds it whenever an
 * Ingress changes and swaps it in whole.
 *
 * Matching (Kubernetes' Ingress semantics, where the API leaves a choice, nginx-ingress' one):
 * - Host: rules for the exact host come first, then `*.suffix` wildcard rules (the `*` stands for
 *   exactly one DNS label: `*.example.com` matches `a.example.com`, not `example.com` nor
 *   `a.b.example.com`), then rules without a host (every host). Hosts compare case-insensitively,
 *   without a `:port`. A tier whose paths all miss falls through to the next.
 * - Path: Exact equals the request path; Prefix matches by `/`-separated elements (`/foo` matches
 *   `/foo`, `/foo/` and `/foo/bar`, never `/foobar`; a trailing `/` in the rule is ignored);
 *   ImplementationSpecific is Prefix here. The query string is not part of the path.
 * - Among the matching paths of a tier, across Ingresses, the longest wins; on equal length Exact
 *   beats Prefix, then the oldest Ingress (creationTimestamp, then namespace/name) wins.
 * - Nothing matched: the defaultBackend of the oldest Ingress that has one; else no route (404).
 */
import type { Ingress, IngressBackend, PathType } from '../../lib/api/types/networking';

/** Where a route sends requests: a Service port of the Ingress's namespace, by number or name. */
export interface BackendRef {
  readonly namespace: string;
  readonly service: string;
  readonly port: number | string;
}

/** One compiled path of one rule. */
export interface Route {
  /** "namespace/name" of the Ingress the rule belongs to. */
  readonly ingress: string;
  /** The rule's host as written ('' for every host). */
  readonly host: string;
  /** The rule path as written ('' for a default backend). */
  readonly path: string;
  readonly pathType: PathType | 'Default';
  /** The backend; undefined when it is not a Service (a resource backend is not served). */
  readonly backend: BackendRef | undefined;
}

/** A TLS entry: the Secret that serves `host` ('*.example.com' for a wildcard). */
export interface TlsRoute {
  readonly ingress: string;
  readonly host: string;
  readonly namespace: string;
  readonly secretName: string;
}

/** The outcome of a lookup. */
export interface RouteMatch {
  readonly route: Route;
}

/** A compiled path with what ordering needs. */
interface Candidate {
  readonly route: Route;
  /** Normalized rule path: '' for `/`, else without its trailing `/`. */
  readonly normalized: string;
  /** Rank of the Ingress by age (lower = older, wins ties). */
  readonly age: number;
}

/** The backend of an Ingress backend spec, or undefined when it is not a Service. */
export function backendRef(namespace: string, backend: IngressBackend | undefined): BackendRef | undefined {
  const svc = backend?.service;
  if (!svc?.name) return undefined;
  const port = svc.port?.name ? svc.port.name : svc.port?.number;
  if (port === undefined || port === '' || port === 0) return undefined;
  return { namespace, service: svc.name, port };
}

/** Host as matched: lower case, without a `:port` (and without the brackets of an IPv6 literal). */
export function normalizeHost(host: string | undefined): string {
  if (!host) return '';
  let h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  const colon = h.lastIndexOf(':');
  if (colon >= 0 && h.indexOf(':') === colon) h = h.slice(0, colon);
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

/** The `*.suffix` wildcard a host falls under (`a.example.com` → `*.example.com`), '' for a single label. */
export function wildcardOf(host: string): string {
  const dot = host.indexOf('.');
  return dot < 0 ? '' : `*${host.slice(dot)}`;
}

/** The path of a request target, without its query string or fragment. */
function requestPath(target: string): string {
  const cut = target.search(/[?#]/);
  const path = cut < 0 ? target : target.slice(0, cut);
  return path === '' ? '/' : path;
}

function normalizeRulePath(path: string): string {
  return path.endsWith('/') ? path.slice(0, -1) : path;
}

/** Whether `candidate` matches the request path `path`. */
function pathMatches(c: Candidate, path: string): boolean {
  if (c.route.pathType === 'Exact') return path === c.route.path;
  if (c.normalized === '') return true;
  return path === c.normalized || path.startsWith(`${c.normalized}/`);
}

/** True when `a` should win over `b` (both matching). */
function better(a: Candidate, b: Candidate): boolean {
  const la = a.route.pathType === 'Exact' ? a.route.path.length : a.normalized.length;
  const lb = b.route.pathType === 'Exact' ? b.route.path.length : b.normalized.length;
  if (la !== lb) return la > lb;
  const ea = a.route.pathType === 'Exact';
  const eb = b.route.pathType === 'Exact';
  if (ea !== eb) return ea;
  return a.age < b.age;
}

/** Oldest first: creationTimestamp, then namespace/name. */
function byAge(a: Ingress, b: Ingress): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.metadata.namespace}/${a.metadata.name}`;
  const kb = `${b.metadata.namespace}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** The routing table. See the file comment. */
export class RouteTable {
  /** Normalized host ('' for every host; '*.x' for a wildcard) → its candidate paths. */
  private readonly byHost = new Map<string, Candidate[]>();
  private readonly defaults: Candidate[] = [];
  /** Normalized TLS host → the entry of the oldest Ingress naming it. */
  private readonly tlsByHost = new Map<string, TlsRoute>();
  private readonly allRoutes: Route[] = [];

  /** Compiles the rules of `ingresses` (all of them this controller's). */
  constructor(ingresses: readonly Ingress[]) {
    [...ingresses].sort(byAge).forEach((ing, age) => this.add(ing, age));
  }

  private add(ing: Ingress, age: number): void {
    const namespace = ing.metadata.namespace ?? 'default';
    const id = `${namespace}/${ing.metadata.name ?? ''}`;
    const spec = ing.spec ?? {};
    if (spec.defaultBackend) {
      const route: Route = { ingress: id, host: '', path: '', pathType: 'Default', backend: backendRef(namespace, spec.defaultBackend) };
      this.defaults.push({ route, normalized: '', age });
      this.allRoutes.push(route);
    }
    for (const rule of spec.rules ?? []) {
      const host = normalizeHost(rule.host);
      for (const p of rule.http?.paths ?? []) {
        const path = p.path || '/';
        const route: Route = { ingress: id, host, path, pathType: p.pathType ?? 'ImplementationSpecific', backend: backendRef(namespace, p.backend) };
        let list = this.byHost.get(host);
        if (!list) this.byHost.set(host, (list = []));
        list.push({ route, normalized: normalizeRulePath(path), age });
        this.allRoutes.push(route);
      }
    }
    const ruleHosts = (spec.rules ?? []).map((r) => normalizeHost(r.host)).filter((h) => h !== '');
    for (const tls of spec.tls ?? []) {
      if (!tls.secretName) continue;
      const hosts = tls.hosts && tls.hosts.length > 0 ? tls.hosts.map(normalizeHost) : ruleHosts;
      for (const host of hosts) {
        if (!this.tlsByHost.has(host)) this.tlsByHost.set(host, { ingress: id, host, namespace, secretName: tls.secretName });
      }
    }
  }

  /** The route of a request for `host` (a Host or :authority header) and `target` (path and query). */
  match(host: string | undefined, target: string): RouteMatch | undefined {
    const h = normalizeHost(host);
    const path = requestPath(target);
    // A single-label or empty host has no wildcard tier: '' then repeats the host-less tier, harmlessly.
    for (const tier of [h, wildcardOf(h), '']) {
      let best: Candidate | undefined;
      for (const c of this.byHost.get(tier) ?? []) if (pathMatches(c, path) && (!best || better(c, best))) best = c;
      if (best) return { route: best.route };
    }
    const fallback = this.defaults[0];
    return fallback ? { route: fallback.route } : undefined;
  }

  /** The TLS entry serving `servername` (SNI): its exact host first, then its wildcard. */
  tlsFor(servername: string | undefined): TlsRoute | undefined {
    const h = normalizeHost(servername);
    if (!h) return undefined;
    return this.tlsByHost.get(h) ?? this.tlsByHost.get(wildcardOf(h));
  }

  /** Every compiled route, oldest Ingress first (status API). */
  routes(): readonly Route[] {
    return this.allRoutes;
  }

  /** Every TLS entry (status API, Secret checks). */
  tlsRoutes(): TlsRoute[] {
    return [...this.tlsByHost.values()];
  }
}
