/**
 * Who made the request being served: the user a front door authenticated, available to
 * everything the request runs (rest layer, registry, admission, logs) without threading it
 * through every signature. Each door runs a request inside {@link withRequestContext} and sets
 * the user once it has authenticated it (HTTP: the bearer token header; gRPC: the
 * `authorization` call metadata). Outside a request, {@link requestUser} is undefined.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** An authenticated (or anonymous) user, as Kubernetes' user.Info. */
export interface UserInfo {
  readonly name: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  /** Kubernetes' user.Info.Extra (a pod-bound ServiceAccount token names its pod here). */
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

/** The group every authenticated user is in (Kubernetes'). */
export const AUTHENTICATED_GROUP = 'system:authenticated';
/** Kubernetes' anonymous user: a request that presented no credentials. */
export const ANONYMOUS_USER: UserInfo = Object.freeze({ name: 'system:anonymous', groups: Object.freeze(['system:unauthenticated']) });

/** Where a request came from, as its door saw it (for the audit log). */
export interface RequestOrigin {
  /** The HTTP path and query, or the gRPC method path. */
  readonly requestURI: string;
  readonly sourceIP?: string;
  readonly userAgent?: string;
}

/** The mutable context of one request (set by its door). */
interface RequestContext {
  user?: UserInfo;
  origin?: RequestOrigin;
  /** Warnings for the client, added while the request is served (admission's, say). */
  warnings?: string[];
  /** Annotations for the request's audit event (Kubernetes' audit annotations). */
  auditAnnotations?: Record<string, string>;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` as one request, with `user` when already known (the door may set it later) and where it came from. */
export function withRequestContext<T>(fn: () => T, user?: UserInfo, origin?: RequestOrigin): T {
  return storage.run({ user, origin }, fn);
}

/** Where the request being served came from; undefined outside a request. */
export function requestOrigin(): RequestOrigin | undefined {
  return storage.getStore()?.origin;
}

/** Records the authenticated user of the current request (no-op outside a request). */
export function setRequestUser(user: UserInfo): void {
  const ctx = storage.getStore();
  if (ctx) ctx.user = user;
}

/** The user of the request being served; undefined outside a request or before authentication. */
export function requestUser(): UserInfo | undefined {
  return storage.getStore()?.user;
}

/** Adds a warning the door sends with the answer (HTTP `Warning` header, gRPC `warning` metadata); no-op outside a request. */
export function addRequestWarning(text: string): void {
  const ctx = storage.getStore();
  if (ctx) (ctx.warnings ??= []).push(text);
}

/** The warnings added while serving the current request (empty outside one). */
export function requestWarnings(): readonly string[] {
  return storage.getStore()?.warnings ?? [];
}

/** Adds an annotation to the current request's audit event; no-op outside a request. */
export function addRequestAuditAnnotation(key: string, value: string): void {
  const ctx = storage.getStore();
  if (ctx) (ctx.auditAnnotations ??= {})[key] = value;
}

/** The audit annotations of the current request, or undefined when none. */
export function requestAuditAnnotations(): Readonly<Record<string, string>> | undefined {
  return storage.getStore()?.auditAnnotations;
}
