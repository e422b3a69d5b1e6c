/**
 * Authorization of API requests (Kubernetes' authorizer.Attributes and Decision): what a user
 * asks to do, and whether it may. Both doors build the same attributes through the same
 * AuthorizingRest, so one rule set governs HTTPS and gRPC alike.
 */
import { qualifiedResource } from '../../../lib/api/errors';
import type { UserInfo } from '../authn/request-user';

/** The group Kubernetes lets do anything, before any authorizer is asked (system:masters). */
export const PRIVILEGED_GROUP = 'system:masters';

/** What a request asks to do. */
export interface Attributes {
  readonly user: UserInfo;
  /** get, list, watch, create, update, patch, delete, deletecollection (resource requests); get, post, … (non-resource). */
  readonly verb: string;
  /** True for requests on API objects; false for paths such as /version or /apis. */
  readonly resourceRequest: boolean;
  readonly apiGroup?: string;
  readonly resource?: string;
  readonly subresource?: string;
  readonly namespace?: string;
  readonly name?: string;
  /** The path of a non-resource request. */
  readonly path?: string;
}

/** An authorizer's answer, with why (for logs and SubjectAccessReview). */
export interface Decision {
  readonly allowed: boolean;
  readonly reason: string;
}

/** Decides requests. */
export interface Authorizer {
  authorize(attrs: Attributes): Decision;
}

/** Every request allowed (Kubernetes' AlwaysAllow mode; Bosun's default until every component has its own identity). */
export const ALWAYS_ALLOW: Authorizer = { authorize: () => ({ allowed: true, reason: 'authorization mode AlwaysAllow' }) };

/**
 * Kubernetes' chain: members of system:masters are allowed outright, then each authorizer in
 * turn; the first that allows wins, and the last denial's reason is kept.
 */
export class AuthorizerChain implements Authorizer {
  constructor(private readonly members: readonly Authorizer[]) {}

  authorize(attrs: Attributes): Decision {
    if (attrs.user.groups.includes(PRIVILEGED_GROUP)) return { allowed: true, reason: `member of ${PRIVILEGED_GROUP}` };
    let denied: Decision = { allowed: false, reason: '' };
    for (const member of this.members) {
      const decision = member.authorize(attrs);
      if (decision.allowed) return decision;
      if (decision.reason) denied = decision;
    }
    return denied;
  }
}

/**
 * Kubernetes' Forbidden message, as kubectl prints it:
 * `pods "web" is forbidden: User "alice" cannot delete resource "pods" in API group "" in the namespace "default"`.
 */
export function forbiddenMessage(attrs: Attributes, reason = ''): string {
  const who = `User "${attrs.user.name}"`;
  const why = reason ? `: ${reason}` : '';
  if (!attrs.resourceRequest) return `forbidden: ${who} cannot ${attrs.verb} path "${attrs.path ?? '/'}"${why}`;
  const resource = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : (attrs.resource ?? '');
  // The refused object is named by its group-qualified resource, without the subresource.
  const qualified = qualifiedResource(attrs.resource ?? '', attrs.apiGroup ?? '');
  const subject = attrs.name ? `${qualified} "${attrs.name}"` : qualified;
  const scope = attrs.namespace ? `in the namespace "${attrs.namespace}"` : 'at the cluster scope';
  return `${subject} is forbidden: ${who} cannot ${attrs.verb} resource "${resource}" in API group "${attrs.apiGroup ?? ''}" ${scope}${why}`;
}
