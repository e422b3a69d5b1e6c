/**
 * The audit log in front of a resource's REST, outside authorization (so refusals are logged
 * too): each operation a request makes through either door is put to the policy, and at a level
 * above None it is logged as Kubernetes' audit.k8s.io/v1 Events — RequestReceived, then
 * ResponseComplete with the status (ResponseStarted for watches and pod streams, which go on) —
 * with the request's user, origin and object reference, the request body from level Request and
 * the response body at RequestResponse. Calls made outside any request (the apiserver's own
 * bootstrap) are not logged.
 */
import { randomUUID } from 'node:crypto';
import { ApiError } from '../../../lib/api/errors';
import type { KubeObject } from '../../../lib/api/object';
import { requestAuditAnnotations, requestOrigin, requestUser } from '../authn/request-user';
import { describeCall } from '../authz/authorizing-rest';
import type { ResourceRest } from '../rest/resource-rest';
import type { AuditSink } from './audit-log';
import { AUDIT_LEVELS, type AuditLevel, type AuditPolicy } from './audit-policy';

/** Operations whose response goes on after the call returns: logged as ResponseStarted. */
const STREAMING = new Set(['watch', 'connect']);
/** Operations whose response is a credential (a TokenRequest's token): never written to the log. */
const CREDENTIAL_RESPONSES = new Set(['createToken']);

const atLeast = (level: AuditLevel, min: AuditLevel) => AUDIT_LEVELS.indexOf(level) >= AUDIT_LEVELS.indexOf(min);

/** Kubernetes' MicroTime: RFC 3339 with microseconds. */
function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** The body of a write, as the request carried it (a patch as its JSON when it is JSON). */
function requestBody(property: string, args: unknown[]): unknown {
  if (property === 'create') return args[1];
  if (property === 'update' || property === 'updateScale' || property === 'bind' || property === 'evict') return args[2];
  if (property === 'patch' || property === 'patchScale') {
    const text = String(args[3]);
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return undefined;
}

/** `rest` with its operations audited (see the file comment). */
export function auditingRest<T extends KubeObject>(rest: ResourceRest<T>, policy: AuditPolicy, sink: AuditSink, clock: () => Date = () => new Date()): ResourceRest<T> {
  const { group, version, resource } = rest.info;
  return new Proxy(rest, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof property !== 'string' || typeof value !== 'function' || !describeCall(rest.info, property, [])) return value;
      return (...args: unknown[]) => {
        const call = () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        const user = requestUser();
        if (!user) return call();
        const d = describeCall(rest.info, property, args)!;
        const decision = policy.decide({ user: user.name, groups: user.groups, verb: d.verb, apiGroup: group, resource, subresource: d.subresource, namespace: d.namespace, name: d.name });
        if (decision.level === 'None') return call();
        const origin = requestOrigin();
        const received = clock();
        const base: Record<string, unknown> = {
          kind: 'Event',
          apiVersion: 'audit.k8s.io/v1',
          level: decision.level,
          auditID: randomUUID(),
          requestURI: origin?.requestURI ?? '',
          verb: d.verb,
          user: { username: user.name, ...(user.uid ? { uid: user.uid } : {}), groups: [...user.groups] },
          ...(origin?.sourceIP ? { sourceIPs: [origin.sourceIP] } : {}),
          ...(origin?.userAgent ? { userAgent: origin.userAgent } : {}),
          objectRef: { resource, ...(d.namespace ? { namespace: d.namespace } : {}), ...(d.name ? { name: d.name } : {}), ...(group ? { apiGroup: group } : {}), apiVersion: version, ...(d.subresource ? { subresource: d.subresource } : {}) },
          requestReceivedTimestamp: microTime(received),
        };
        const body = atLeast(decision.level, 'Request') ? requestBody(property, args) : undefined;
        if (body !== undefined) base.requestObject = body;
        const emit = (stage: 'RequestReceived' | 'ResponseStarted' | 'ResponseComplete', extra: Record<string, unknown>) => {
          if (decision.omitStages.has(stage)) return;
          // Admission's annotations (PodSecurity's audit violations) are known once the request has run.
          const annotations = stage === 'RequestReceived' ? undefined : requestAuditAnnotations();
          sink.write({ ...base, stage, stageTimestamp: microTime(stage === 'RequestReceived' ? received : clock()), ...extra, ...(annotations ? { annotations: { ...annotations } } : {}) });
        };
        emit('RequestReceived', {});
        const done = STREAMING.has(property) ? 'ResponseStarted' : 'ResponseComplete';
        return call().then(
          (result) => {
            const code = property === 'create' || property === 'createToken' ? 201 : 200;
            const response = atLeast(decision.level, 'RequestResponse') && result !== null && typeof result === 'object' && !STREAMING.has(property) && !CREDENTIAL_RESPONSES.has(property) ? { responseObject: result } : {};
            emit(done, { responseStatus: { metadata: {}, code }, ...response });
            return result;
          },
          (err: unknown) => {
            const code = err instanceof ApiError ? err.code : 500;
            const reason = err instanceof ApiError ? err.reason : 'InternalError';
            emit('ResponseComplete', { responseStatus: { metadata: {}, status: 'Failure', message: (err as Error).message, reason, code } });
            throw err;
          },
        );
      };
    },
  });
}
