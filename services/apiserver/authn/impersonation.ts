/**
 * User impersonation (Kubernetes' impersonation filter), the step after authentication on both
 * doors: a request carrying `Impersonate-User` (plus optionally `Impersonate-Group`, repeatable,
 * `Impersonate-Uid` and `Impersonate-Extra-<key>`) runs as the user it names, provided the
 * authenticated requester holds the verb `impersonate` on each thing named — `users`
 * (`serviceaccounts` in the account's namespace for `system:serviceaccount:<ns>:<name>`),
 * `groups`, `uids` and `userextras/<key>`, the value as resourceName — through the normal
 * authorizer. The first refusal answers 403 with Kubernetes' message; groups, uid or extra
 * without a user are a 400. The impersonated user gets `system:authenticated` unless it names
 * system:anonymous or one of the two "all" groups itself (Kubernetes' rule), and an impersonated
 * ServiceAccount without groups gets its fixed ServiceAccount groups. The gRPC door reads the
 * same names, lower-case, from the call metadata. {@link impersonatorOf} tells who really asked
 * (the audit log's `user` next to `impersonatedUser`).
 */
import type * as grpc from '@grpc/grpc-js';
import type { IncomingMessage } from 'node:http';
import { ApiError, BadRequestError } from '../../../lib/api/errors';
import { type Attributes, type Authorizer, forbiddenMessage } from '../authz/authorizer';
import { ANONYMOUS_USER, AUTHENTICATED_GROUP, type UserInfo } from './request-user';

/** Header (and, lower-cased, gRPC metadata) names of an impersonation request (Kubernetes'). */
export const IMPERSONATE_USER_HEADER = 'Impersonate-User';
export const IMPERSONATE_GROUP_HEADER = 'Impersonate-Group';
export const IMPERSONATE_UID_HEADER = 'Impersonate-Uid';
/** Prefix of `Impersonate-Extra-<key>`; the key is percent-decoded, as Kubernetes reads it. */
export const IMPERSONATE_EXTRA_HEADER_PREFIX = 'Impersonate-Extra-';

/** What every impersonation header name starts with (lower-case, as Node and gRPC give names). */
const IMPERSONATE_PREFIX = 'impersonate-';

/** The verb the requester needs on what it impersonates. */
export const IMPERSONATE_VERB = 'impersonate';
/** The API group of the `uids` and `userextras` impersonation resources. */
const AUTHENTICATION_GROUP = 'authentication.k8s.io';
const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';
const SERVICE_ACCOUNTS_GROUP = 'system:serviceaccounts';
const UNAUTHENTICATED_GROUP = 'system:unauthenticated';

/** What a request asks to act as (names as the headers carry them). */
export interface ImpersonationRequest {
  readonly user?: string;
  readonly groups: readonly string[];
  readonly uid?: string;
  /** Extra key (lower-case, percent-decoded) → values. */
  readonly extra: Readonly<Record<string, readonly string[]>>;
}

/** Impersonated user → the user who asked (set only by {@link impersonate}). */
const impersonators = new WeakMap<UserInfo, UserInfo>();

/** The authenticated requester behind `user` when `user` is impersonated; undefined otherwise. */
export function impersonatorOf(user: UserInfo): UserInfo | undefined {
  return impersonators.get(user);
}

/** Reads `name` as one value; several are a 400 naming it. */
function single(values: readonly string[], name: string): string | undefined {
  if (values.length > 1) throw new BadRequestError(`${name}: only one value may be given, got ${values.length}`);
  return values[0];
}

/** Percent-decodes an extra key (a malformed escape is a 400 naming the header). */
function extraKey(raw: string, header: string): string {
  try {
    return decodeURIComponent(raw).toLowerCase();
  } catch {
    throw new BadRequestError(`${header}: the key "${raw}" is not valid percent-encoding`);
  }
}

/**
 * The impersonation an HTTP request asks for, undefined when it carries none of the headers.
 * Read from `headersDistinct`, so each repeated `Impersonate-Group` header is one group.
 */
export function httpImpersonation(req: Pick<IncomingMessage, 'headers' | 'headersDistinct'>): ImpersonationRequest | undefined {
  // Every request passes here: most carry no impersonation, so look before building headersDistinct.
  if (!Object.keys(req.headers).some((name) => name.startsWith(IMPERSONATE_PREFIX))) return undefined;
  return impersonationFrom((name) => req.headersDistinct[name] ?? [], Object.keys(req.headersDistinct));
}

/**
 * The impersonation a gRPC call's metadata asks for (same names, lower-case), undefined when none.
 * A key given several values (impersonate-group twice) reaches a Node server as one value joined
 * with ", " (Node's HTTP/2 joins repeated header fields; grpc-js does not split them again), so
 * the values of the keys that may repeat — groups and extras — are split back on commas.
 */
export function metadataImpersonation(metadata: grpc.Metadata): ImpersonationRequest | undefined {
  const map = metadata.getMap();
  const single = new Set([IMPERSONATE_USER_HEADER.toLowerCase(), IMPERSONATE_UID_HEADER.toLowerCase()]);
  return impersonationFrom((name) => {
    const values = metadata.get(name).map((v) => (typeof v === 'string' ? v : v.toString('utf8')));
    return single.has(name) ? values : values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  }, Object.keys(map));
}

function impersonationFrom(values: (lowerName: string) => string[], names: readonly string[]): ImpersonationRequest | undefined {
  const userHeader = IMPERSONATE_USER_HEADER.toLowerCase();
  const uidHeader = IMPERSONATE_UID_HEADER.toLowerCase();
  const extraPrefix = IMPERSONATE_EXTRA_HEADER_PREFIX.toLowerCase();
  const users = values(userHeader);
  const groups = values(IMPERSONATE_GROUP_HEADER.toLowerCase());
  const uids = values(uidHeader);
  const extra: Record<string, string[]> = {};
  for (const name of names) {
    const lower = name.toLowerCase();
    if (!lower.startsWith(extraPrefix) || lower.length === extraPrefix.length) continue;
    const key = extraKey(lower.slice(extraPrefix.length), name);
    (extra[key] ??= []).push(...values(lower));
  }
  if (users.length === 0 && groups.length === 0 && uids.length === 0 && Object.keys(extra).length === 0) return undefined;
  return { user: single(users, IMPERSONATE_USER_HEADER), groups, uid: single(uids, IMPERSONATE_UID_HEADER), extra };
}

/** What the requester must be allowed to impersonate for `request` (Kubernetes' order: user, groups, extra, uid). */
function impersonationChecks(request: ImpersonationRequest & { user: string }): Omit<Attributes, 'user' | 'verb' | 'resourceRequest'>[] {
  const checks: Omit<Attributes, 'user' | 'verb' | 'resourceRequest'>[] = [];
  const sa = serviceAccountOf(request.user);
  if (sa) checks.push({ apiGroup: '', resource: 'serviceaccounts', namespace: sa.namespace, name: sa.name });
  else checks.push({ apiGroup: '', resource: 'users', name: request.user });
  for (const group of request.groups) checks.push({ apiGroup: '', resource: 'groups', name: group });
  for (const [key, values] of Object.entries(request.extra)) for (const value of values) checks.push({ apiGroup: AUTHENTICATION_GROUP, resource: 'userextras', subresource: key, name: value });
  if (request.uid !== undefined) checks.push({ apiGroup: AUTHENTICATION_GROUP, resource: 'uids', name: request.uid });
  return checks;
}

/** The namespace and name of a ServiceAccount user name; undefined for other users. */
function serviceAccountOf(user: string): { namespace: string; name: string } | undefined {
  if (!user.startsWith(SERVICE_ACCOUNT_PREFIX)) return undefined;
  const [namespace, name, ...rest] = user.slice(SERVICE_ACCOUNT_PREFIX.length).split(':');
  return namespace && name && rest.length === 0 ? { namespace, name } : undefined;
}

/** The groups the impersonated user ends up in (see the module comment). */
function impersonatedGroups(request: ImpersonationRequest & { user: string }): string[] {
  const sa = serviceAccountOf(request.user);
  const groups = sa && request.groups.length === 0 ? [SERVICE_ACCOUNTS_GROUP, `${SERVICE_ACCOUNTS_GROUP}:${sa.namespace}`] : [...request.groups];
  if (request.user === ANONYMOUS_USER.name) {
    if (!groups.includes(UNAUTHENTICATED_GROUP)) groups.push(UNAUTHENTICATED_GROUP);
  } else if (!groups.includes(AUTHENTICATED_GROUP) && !groups.includes(UNAUTHENTICATED_GROUP)) groups.push(AUTHENTICATED_GROUP);
  return [...new Set(groups)];
}

/**
 * The user a request acts as: `requester` itself without `request`, else the impersonated user
 * once `authorizer` has allowed `requester` each part of it. Throws a 400 ApiError for groups,
 * uid or extra without a user, a 403 ApiError (Kubernetes' message) for the first refused part.
 */
export function impersonate(requester: UserInfo, request: ImpersonationRequest | undefined, authorizer: Authorizer): UserInfo {
  if (!request) return requester;
  const name = request.user;
  if (name === undefined || name === '') {
    throw new BadRequestError(`${IMPERSONATE_USER_HEADER}: Required value: ${IMPERSONATE_GROUP_HEADER}, ${IMPERSONATE_UID_HEADER} and ${IMPERSONATE_EXTRA_HEADER_PREFIX}* may only be given with a user to impersonate`);
  }
  const named = { ...request, user: name };
  for (const check of impersonationChecks(named)) {
    const attrs: Attributes = { ...check, user: requester, verb: IMPERSONATE_VERB, resourceRequest: true };
    const decision = authorizer.authorize(attrs);
    if (!decision.allowed) throw new ApiError(403, 'Forbidden', forbiddenMessage(attrs, decision.reason), { name: check.name, group: check.apiGroup, kind: check.resource });
  }
  const user: UserInfo = {
    name,
    ...(request.uid !== undefined ? { uid: request.uid } : {}),
    groups: impersonatedGroups(named),
    ...(Object.keys(request.extra).length > 0 ? { extra: request.extra } : {}),
  };
  impersonators.set(user, requester);
  return user;
}
