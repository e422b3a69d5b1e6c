/**
 * ServiceAccount tokens, both ends: issuing (the TokenRequest subresource signs the claims of
 * token-request.ts with the signing key) and authenticating (a bearer token that parses as a
 * JWT from this issuer is checked: signature against the accepted keys, issuer, audience ∩ the
 * API audiences, exp/nbf with {@link CLOCK_LEEWAY_SECONDS}; then the ServiceAccount — and the
 * bound pod or secret — must still exist with the uids the claims name, so deleting or
 * re-creating either voids the token). Every refusal is "not authenticated" (a 401 at the
 * door), never an exception.
 */
import type { KubeObject } from '../../../lib/api/object';
import { ConflictError, InvalidError, BadRequestError, NotFoundError } from '../../../lib/api/errors';
import { AUTHENTICATED_GROUP, type UserInfo } from '../authn/request-user';
import { JwtError, parseJwt, signJwt, verifySignature, type JwtClaims, type ParsedJwt, type SigningKey, type VerificationKey } from './jwt';
import {
  readTokenRequest,
  serviceAccountUserName,
  SERVICE_ACCOUNTS_GROUP,
  tokenClaims,
  tokenResponse,
  TOKEN_REQUEST_KIND,
  type KubernetesClaim,
  type TokenRequest,
  type TokenSubject,
} from './token-request';

/** Clock skew tolerated on exp and nbf, seconds (the JWT library Kubernetes uses allows one minute). */
export const CLOCK_LEEWAY_SECONDS = 60;
/** The user extra keys of a pod-bound token (Kubernetes'). */
export const POD_NAME_EXTRA = 'authentication.kubernetes.io/pod-name';
export const POD_UID_EXTRA = 'authentication.kubernetes.io/pod-uid';
export const NODE_NAME_EXTRA = 'authentication.kubernetes.io/node-name';
export const CREDENTIAL_ID_EXTRA = 'authentication.kubernetes.io/credential-id';

/** The core objects tokens refer to. */
export type TokenObjectResource = 'serviceaccounts' | 'pods' | 'secrets';

/** Reads an object as the apiserver sees it now (cache first, then the store); undefined when absent. */
export type TokenObjectLookup = (resource: TokenObjectResource, namespace: string, name: string) => Promise<KubeObject | undefined>;

/** Kubernetes' ServiceAccount token flags, read. */
export interface ServiceAccountTokenConfig {
  /** `--service-account-issuer`: the `iss` of issued tokens, and the only one accepted. */
  readonly issuer: string;
  /** `--api-audiences`: a token must name one of these (default: the issuer). */
  readonly apiAudiences: readonly string[];
  /** `--service-account-signing-key-file`, read; without it the apiserver issues no tokens. */
  readonly signingKey?: SigningKey;
  /** `--service-account-key-file`s, read (default: the signing key's public half). */
  readonly verificationKeys: readonly VerificationKey[];
}

/**
 * Tokens whose signature was checked, kept (least recently used out first) so a client sending
 * the same token on every request costs one signature check, not one per request. Only the
 * signature is remembered: times, audiences and the bound objects are checked every time, so a
 * deleted pod or ServiceAccount still voids its tokens at once.
 */
const VERIFIED_TOKENS_CACHED = 1024;

/** Issues and authenticates ServiceAccount tokens (see the module comment). */
export class ServiceAccountTokens {
  private readonly now: () => number;
  private readonly verified = new Map<string, ParsedJwt>();

  constructor(
    readonly config: ServiceAccountTokenConfig,
    private readonly lookup: TokenObjectLookup,
    /** Milliseconds since the epoch (tests pass a fake clock). */
    now?: () => number,
  ) {
    this.now = now ?? Date.now;
  }

  /** True when the apiserver can issue tokens (a signing key is configured). */
  get canIssue(): boolean {
    return this.config.signingKey !== undefined;
  }

  /**
   * Answers a TokenRequest for ServiceAccount `namespace/name` (Kubernetes' TokenREST.Create):
   * 404 for a missing ServiceAccount or bound object, 409 when the bound object's uid is not
   * the one named, 400 for a pod that runs as another ServiceAccount, 422 for a bad spec.
   */
  async createToken(namespace: string, name: string, body: TokenRequest): Promise<TokenRequest> {
    const signingKey = this.config.signingKey;
    if (!signingKey) throw new BadRequestError('this apiserver issues no service account tokens: it was started without --service-account-signing-key-file');
    const { errors, ask } = readTokenRequest(body, name, this.config.apiAudiences);
    if (errors.length > 0) throw new InvalidError(TOKEN_REQUEST_KIND, 'authentication.k8s.io', name, errors);
    const sa = await this.lookup('serviceaccounts', namespace, name);
    if (!sa) throw new NotFoundError('serviceaccounts', '', name);
    let subject: TokenSubject = { namespace, serviceAccount: { name, uid: sa.metadata.uid ?? '' } };
    let boundUid: string | undefined;
    if (ask.bound) {
      const resource = ask.bound.kind === 'Pod' ? 'pods' : 'secrets';
      const obj = await this.lookup(resource, namespace, ask.bound.name);
      if (!obj) throw new NotFoundError(resource, '', ask.bound.name);
      boundUid = obj.metadata.uid ?? '';
      if (ask.bound.uid && ask.bound.uid !== boundUid) {
        throw new ConflictError(resource, '', ask.bound.name, `the UID in the bound object reference (${ask.bound.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
      }
      const ref = { name: ask.bound.name, uid: boundUid };
      if (resource === 'pods') {
        const spec = (obj as { spec?: { serviceAccountName?: string; nodeName?: string } }).spec;
        if ((spec?.serviceAccountName ?? 'default') !== name) throw new BadRequestError(`cannot bind token for serviceaccount "${name}" to pod running with different serviceaccount name.`);
        subject = { ...subject, pod: ref, ...(spec?.nodeName ? { node: { name: spec.nodeName } } : {}) };
      } else subject = { ...subject, secret: ref };
    }
    const nowSeconds = Math.floor(this.now() / 1000);
    const claims = tokenClaims(this.config.issuer, subject, ask, nowSeconds);
    return tokenResponse(body, namespace, name, ask, boundUid, signJwt(claims, signingKey), claims.exp!, nowSeconds);
  }

  /**
   * True when `token` is shaped as a JWT naming this issuer: this authenticator's to decide
   * (others, such as the token file's, are not asked).
   */
  claims(token: string): boolean {
    const jwt = parseJwt(token);
    return jwt !== undefined && jwt.claims.iss === this.config.issuer;
  }

  /**
   * The user of a ServiceAccount token; undefined for any token that is not one, or not valid
   * now (see the module comment). A lookup that fails (the store unreachable) is a refusal
   * too, as in Kubernetes: the client gets a 401 and retries, nothing is thrown at the door.
   */
  async authenticate(token: string): Promise<UserInfo | undefined> {
    try {
      return await this.verify(token);
    } catch {
      return undefined;
    }
  }

  /** {@link authenticate}, with the reason of a refusal thrown as a JwtError (for tests and logs). */
  async verify(token: string): Promise<UserInfo> {
    const c = this.signedClaims(token);
    this.checkTimes(c);
    const audiences = typeof c.aud === 'string' ? [c.aud] : Array.isArray(c.aud) ? c.aud : [];
    if (!audiences.some((a) => this.config.apiAudiences.includes(a))) throw new JwtError('token audiences are not API audiences');
    const k8s = kubernetesClaim(c);
    if (c.sub !== serviceAccountUserName(k8s.namespace, k8s.serviceaccount.name)) throw new JwtError('sub does not name the service account');
    const sa = await this.lookup('serviceaccounts', k8s.namespace, k8s.serviceaccount.name);
    if (!sa || sa.metadata.deletionTimestamp) throw new JwtError('service account not found');
    if (sa.metadata.uid !== k8s.serviceaccount.uid) throw new JwtError('service account uid does not match');
    const extra: Record<string, string[]> = {};
    if (k8s.pod) {
      await this.checkBound('pods', k8s.namespace, k8s.pod);
      extra[POD_NAME_EXTRA] = [k8s.pod.name];
      extra[POD_UID_EXTRA] = [k8s.pod.uid];
    }
    if (k8s.secret) await this.checkBound('secrets', k8s.namespace, k8s.secret);
    if (k8s.node?.name) extra[NODE_NAME_EXTRA] = [k8s.node.name];
    if (typeof c.jti === 'string' && c.jti) extra[CREDENTIAL_ID_EXTRA] = [`JTI=${c.jti}`];
    return {
      name: serviceAccountUserName(k8s.namespace, k8s.serviceaccount.name),
      uid: k8s.serviceaccount.uid,
      groups: [SERVICE_ACCOUNTS_GROUP, `${SERVICE_ACCOUNTS_GROUP}:${k8s.namespace}`, AUTHENTICATED_GROUP],
      ...(Object.keys(extra).length > 0 ? { extra } : {}),
    };
  }

  /** The claims of a token signed by one of the verification keys, from the cache when its signature was checked before. */
  private signedClaims(token: string): JwtClaims {
    const cached = this.verified.get(token);
    if (cached) {
      this.verified.delete(token); // most recently used last
      this.verified.set(token, cached);
      return cached.claims;
    }
    const jwt = parseJwt(token);
    if (!jwt) throw new JwtError('not a JWT');
    if (jwt.claims.iss !== this.config.issuer) throw new JwtError('issuer not accepted');
    verifySignature(jwt, this.config.verificationKeys);
    if (this.verified.size >= VERIFIED_TOKENS_CACHED) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, jwt);
    return jwt.claims;
  }

  private checkTimes(c: JwtClaims): void {
    const now = this.now() / 1000;
    if (typeof c.exp !== 'number') throw new JwtError('exp missing');
    if (now > c.exp + CLOCK_LEEWAY_SECONDS) throw new JwtError('token expired');
    if (c.nbf !== undefined && (typeof c.nbf !== 'number' || now < c.nbf - CLOCK_LEEWAY_SECONDS)) throw new JwtError('token not valid yet');
    if (c.iat !== undefined && (typeof c.iat !== 'number' || now < c.iat - CLOCK_LEEWAY_SECONDS)) throw new JwtError('token issued in the future');
  }

  /** Refuses a token whose bound object is gone, re-created (another uid) or being deleted. */
  private async checkBound(resource: TokenObjectResource, namespace: string, ref: { name: string; uid: string }): Promise<void> {
    const obj = await this.lookup(resource, namespace, ref.name);
    if (!obj) throw new JwtError(`bound ${resource} not found`);
    if (obj.metadata.uid !== ref.uid) throw new JwtError(`bound ${resource} uid does not match`);
    const deletion = obj.metadata.deletionTimestamp;
    if (deletion && Date.parse(deletion) <= this.now()) throw new JwtError(`bound ${resource} is being deleted`);
  }
}

/** The `kubernetes.io` claim, checked for shape. */
function kubernetesClaim(c: JwtClaims): KubernetesClaim {
  const k = c['kubernetes.io'] as Partial<KubernetesClaim> | undefined;
  const isRef = (r: unknown): r is { name: string; uid: string } => !!r && typeof (r as { name?: unknown }).name === 'string' && typeof (r as { uid?: unknown }).uid === 'string';
  if (!k || typeof k !== 'object' || typeof k.namespace !== 'string' || !isRef(k.serviceaccount)) throw new JwtError('kubernetes.io claim missing or malformed');
  if (k.pod !== undefined && !isRef(k.pod)) throw new JwtError('kubernetes.io pod claim malformed');
  if (k.secret !== undefined && !isRef(k.secret)) throw new JwtError('kubernetes.io secret claim malformed');
  return k as KubernetesClaim;
}
