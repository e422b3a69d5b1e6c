/**
 * The rules of authentication.k8s.io/v1 TokenRequest (the body of POST
 * …/serviceaccounts/<name>/token) as pure decisions: its validation, its defaults, and the JWT
 * claims of the token it asks for — Kubernetes' claim layout (`iss`, `sub`
 * `system:serviceaccount:<ns>:<name>`, `aud`, `exp`, `iat`, `nbf`, `jti` and the private
 * `kubernetes.io` claim naming the namespace, the ServiceAccount and the bound object).
 */
import * as crypto from 'node:crypto';
import { BadRequestError, type FieldError } from '../../../lib/api/errors';
import type { KubeObject } from '../../../lib/api/object';
import { invalid, notSupported, required, typeInvalid } from '../../../lib/api/validation';
import type { JwtClaims } from './jwt';

/** Kubernetes' default `--service-account-issuer` when none is configured (a Bosun default). */
export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
/** A TokenRequest's lifetime when it names none, seconds (Kubernetes'). */
export const DEFAULT_EXPIRATION_SECONDS = 3600;
/** Shortest lifetime a TokenRequest may ask for, seconds (10 minutes, Kubernetes'). */
export const MIN_EXPIRATION_SECONDS = 600;
/** Longest lifetime a TokenRequest may ask for, seconds (2^32, Kubernetes'). */
export const MAX_EXPIRATION_SECONDS = 2 ** 32;
/** The API version and kind of the body. */
export const TOKEN_REQUEST_API_VERSION = 'authentication.k8s.io/v1';
export const TOKEN_REQUEST_KIND = 'TokenRequest';
/** The kinds a token may be bound to. */
export const BOUND_OBJECT_KINDS = ['Pod', 'Secret'] as const;
export type BoundObjectKind = (typeof BOUND_OBJECT_KINDS)[number];

/** The prefix of every ServiceAccount user name. */
export const SERVICE_ACCOUNT_USER_PREFIX = 'system:serviceaccount:';
/** The group of every ServiceAccount, and the prefix of its namespace's group. */
export const SERVICE_ACCOUNTS_GROUP = 'system:serviceaccounts';

/** spec.boundObjectRef of a TokenRequest. */
export interface BoundObjectReference {
  kind?: string;
  apiVersion?: string;
  name?: string;
  uid?: string;
}

/** authentication.k8s.io/v1 TokenRequest. */
export type TokenRequest = KubeObject & {
  spec?: { audiences?: string[]; expirationSeconds?: number; boundObjectRef?: BoundObjectReference | null };
  status?: { token?: string; expirationTimestamp?: string };
};

/** The validated, defaulted ask of a TokenRequest. */
export interface TokenAsk {
  readonly audiences: readonly string[];
  readonly expirationSeconds: number;
  readonly bound?: { readonly kind: BoundObjectKind; readonly name: string; readonly uid?: string };
}

/** `system:serviceaccount:<namespace>:<name>`. */
export function serviceAccountUserName(namespace: string, name: string): string {
  return `${SERVICE_ACCOUNT_USER_PREFIX}${namespace}:${name}`;
}

/**
 * The field errors of a TokenRequest body for ServiceAccount `saName`, and its defaulted ask
 * (audiences default to the apiserver's `apiAudiences`). A metadata.name other than the
 * ServiceAccount's is a 400 (it names the path's object).
 */
export function readTokenRequest(body: TokenRequest, saName: string, apiAudiences: readonly string[]): { errors: FieldError[]; ask: TokenAsk } {
  const name = body.metadata?.name;
  if (name && name !== saName) throw new BadRequestError('name in URL does not match name in TokenRequest object');
  const errors: FieldError[] = [];
  const spec = body.spec ?? {};
  if (typeof spec !== 'object' || Array.isArray(spec)) throw new BadRequestError('spec: expected an object');
  let audiences: string[] = [...apiAudiences];
  if (spec.audiences !== undefined && spec.audiences !== null) {
    if (!Array.isArray(spec.audiences) || spec.audiences.some((a) => typeof a !== 'string')) errors.push(typeInvalid('spec.audiences', spec.audiences, 'expected a list of strings'));
    else if (spec.audiences.length > 0) audiences = [...spec.audiences];
  }
  audiences.forEach((a, i) => {
    if (a === '') errors.push(invalid(`spec.audiences[${i}]`, a, 'may not be empty'));
  });
  const expiration = spec.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
  if (typeof expiration !== 'number' || !Number.isInteger(expiration)) errors.push(typeInvalid('spec.expirationSeconds', expiration, 'expected an integer'));
  else if (expiration < MIN_EXPIRATION_SECONDS) errors.push(invalid('spec.expirationSeconds', expiration, 'may not specify a duration less than 10 minutes'));
  else if (expiration > MAX_EXPIRATION_SECONDS) errors.push(invalid('spec.expirationSeconds', expiration, 'may not specify a duration larger than 2^32 seconds'));
  let bound: TokenAsk['bound'];
  const ref = spec.boundObjectRef;
  if (ref !== undefined && ref !== null) {
    const path = 'spec.boundObjectRef';
    if (!BOUND_OBJECT_KINDS.includes(ref.kind as BoundObjectKind)) errors.push(notSupported(`${path}.kind`, ref.kind ?? '', BOUND_OBJECT_KINDS));
    if (ref.apiVersion !== undefined && ref.apiVersion !== '' && ref.apiVersion !== 'v1') errors.push(notSupported(`${path}.apiVersion`, ref.apiVersion, ['v1']));
    if (!ref.name) errors.push(required(`${path}.name`));
    if (ref.uid !== undefined && typeof ref.uid !== 'string') errors.push(typeInvalid(`${path}.uid`, ref.uid, 'expected a string'));
    bound = { kind: ref.kind as BoundObjectKind, name: ref.name ?? '', ...(ref.uid ? { uid: ref.uid } : {}) };
  }
  return { errors, ask: { audiences, expirationSeconds: typeof expiration === 'number' ? expiration : DEFAULT_EXPIRATION_SECONDS, ...(bound ? { bound } : {}) } };
}

/** What a token is issued for: the ServiceAccount and the bound object as stored. */
export interface TokenSubject {
  readonly namespace: string;
  readonly serviceAccount: { readonly name: string; readonly uid: string };
  readonly pod?: { readonly name: string; readonly uid: string };
  readonly secret?: { readonly name: string; readonly uid: string };
  /** The node of a bound pod, when scheduled. */
  readonly node?: { readonly name: string; readonly uid?: string };
}

/** Kubernetes' private claim. */
export interface KubernetesClaim {
  readonly namespace: string;
  readonly serviceaccount: { readonly name: string; readonly uid: string };
  readonly pod?: { readonly name: string; readonly uid: string };
  readonly secret?: { readonly name: string; readonly uid: string };
  readonly node?: { readonly name: string; readonly uid?: string };
}

/** The claims of a token for `subject`, issued at `nowSeconds`. */
export function tokenClaims(issuer: string, subject: TokenSubject, ask: TokenAsk, nowSeconds: number): JwtClaims & { 'kubernetes.io': KubernetesClaim } {
  const k8s: KubernetesClaim = {
    namespace: subject.namespace,
    serviceaccount: { ...subject.serviceAccount },
    ...(subject.pod ? { pod: { ...subject.pod } } : {}),
    ...(subject.secret ? { secret: { ...subject.secret } } : {}),
    ...(subject.node ? { node: { ...subject.node } } : {}),
  };
  return {
    aud: [...ask.audiences],
    exp: nowSeconds + ask.expirationSeconds,
    iat: nowSeconds,
    iss: issuer,
    jti: crypto.randomUUID(),
    'kubernetes.io': k8s,
    nbf: nowSeconds,
    sub: serviceAccountUserName(subject.namespace, subject.serviceAccount.name),
  };
}

/** The TokenRequest answered: the request's spec as defaulted (the bound uid filled in), the token and when it expires. */
export function tokenResponse(body: TokenRequest, namespace: string, saName: string, ask: TokenAsk, boundUid: string | undefined, token: string, expiresSeconds: number, nowSeconds: number): TokenRequest {
  const ref = ask.bound ? { kind: ask.bound.kind, apiVersion: 'v1', name: ask.bound.name, uid: boundUid ?? '' } : undefined;
  return {
    apiVersion: TOKEN_REQUEST_API_VERSION,
    kind: TOKEN_REQUEST_KIND,
    metadata: { ...(body.metadata ?? {}), name: saName, namespace, creationTimestamp: isoSeconds(nowSeconds) },
    spec: { audiences: [...ask.audiences], expirationSeconds: ask.expirationSeconds, boundObjectRef: ref ?? null },
    status: { token, expirationTimestamp: isoSeconds(expiresSeconds) },
  };
}

function isoSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
