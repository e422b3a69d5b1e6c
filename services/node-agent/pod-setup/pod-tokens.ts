/**
 * The ServiceAccount tokens of projected volumes (Kubernetes' kubelet token manager): a
 * `serviceAccountToken` source gets a token from the TokenRequest API, bound to the pod (its
 * name and uid: the token dies with the pod), for the source's audience and lifetime. Tokens
 * are kept per pod, audience and lifetime and asked for again once
 * {@link REFRESH_FRACTION} of their lifetime has passed, or after {@link MAX_TOKEN_AGE_MS};
 * a failed refresh keeps the old token while it is still valid (the API may be briefly away).
 */
import { RESOURCES } from '../../../lib/api/resources';
import type { Pod } from '../../../lib/api/types';
import type { ApiClient } from '../../../lib/client/api-client';

/** The part of its lifetime after which a token is replaced (Kubernetes: 80 %). */
export const REFRESH_FRACTION = 0.8;
/** Oldest a token may get before it is replaced whatever its lifetime (Kubernetes: 24 h). */
export const MAX_TOKEN_AGE_MS = 24 * 60 * 60 * 1000;

/** What a projected `serviceAccountToken` source asks for. */
export interface TokenSourceSpec {
  audience?: string;
  expirationSeconds?: number;
}

/** A token and when it expires (ms since the epoch). */
export interface IssuedToken {
  readonly token: string;
  readonly expiresAtMs: number;
}

/** Asks the API for a token of ServiceAccount `namespace/serviceAccount` bound to `pod`. */
export type TokenIssuer = (pod: Pod, serviceAccount: string, spec: TokenSourceSpec) => Promise<IssuedToken>;

/** Where projection gets tokens. */
export interface PodTokenSource {
  /** The current token of `pod` for `spec` (asked for when missing or due for refresh). */
  token(pod: Pod, spec: TokenSourceSpec): Promise<string>;
}

/** A TokenIssuer over the API client (POST …/serviceaccounts/<name>/token, bound to the pod). */
export function apiTokenIssuer(client: ApiClient): TokenIssuer {
  return async (pod, serviceAccount, spec) => {
    const m = pod.metadata;
    const request = {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      metadata: {},
      spec: {
        audiences: spec.audience ? [spec.audience] : [],
        ...(spec.expirationSeconds !== undefined ? { expirationSeconds: spec.expirationSeconds } : {}),
        boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: m.name, uid: m.uid },
      },
    };
    const answer = (await client.resource(RESOURCES.serviceaccounts).createToken(m.namespace, serviceAccount, request)) as { status?: { token?: string; expirationTimestamp?: string } };
    const token = answer.status?.token;
    const expiresAtMs = Date.parse(answer.status?.expirationTimestamp ?? '');
    if (!token || Number.isNaN(expiresAtMs)) throw new Error(`the TokenRequest for serviceaccount "${serviceAccount}" was answered without a token or expiration`);
    return { token, expiresAtMs };
  };
}

interface Held {
  readonly token: string;
  readonly issuedAtMs: number;
  readonly expiresAtMs: number;
}

/** The node's tokens, kept per pod (see the module comment). */
export class PodTokenManager implements PodTokenSource {
  private readonly held = new Map<string, Map<string, Held>>();

  constructor(
    private readonly issue: TokenIssuer,
    /** Milliseconds since the epoch (a FakeClock's in tests). */
    private readonly now: () => number = Date.now,
  ) {}

  async token(pod: Pod, spec: TokenSourceSpec): Promise<string> {
    const uid = pod.metadata.uid ?? '';
    const key = `${spec.audience ?? ''}/${spec.expirationSeconds ?? ''}`;
    const tokens = this.held.get(uid) ?? new Map<string, Held>();
    const current = tokens.get(key);
    const now = this.now();
    if (current && now < refreshAt(current)) return current.token;
    let issued: IssuedToken;
    try {
      issued = await this.issue(pod, pod.spec?.serviceAccountName || 'default', spec);
    } catch (err) {
      if (current && now < current.expiresAtMs) return current.token;
      throw new Error(`failed to fetch token: ${(err as Error).message}`);
    }
    tokens.set(key, { token: issued.token, issuedAtMs: now, expiresAtMs: issued.expiresAtMs });
    this.held.set(uid, tokens);
    return issued.token;
  }

  /** Milliseconds until the first of the pod's tokens is due for refresh; undefined when it holds none. */
  refreshInMs(podUid: string): number | undefined {
    const tokens = this.held.get(podUid);
    if (!tokens || tokens.size === 0) return undefined;
    return Math.max(0, Math.min(...[...tokens.values()].map(refreshAt)) - this.now());
  }

  /** Drops the pod's tokens (the pod is gone from the node). */
  forget(podUid: string): void {
    this.held.delete(podUid);
  }
}

/** When a token is replaced: at REFRESH_FRACTION of its lifetime, or MAX_TOKEN_AGE_MS after issue. */
function refreshAt(t: Held): number {
  return Math.min(t.issuedAtMs + (t.expiresAtMs - t.issuedAtMs) * REFRESH_FRACTION, t.issuedAtMs + MAX_TOKEN_AGE_MS);
}
