/**
 * The review resources — create-only objects that are answered, never stored (Kubernetes'
 * authorization.k8s.io SelfSubjectAccessReview, SubjectAccessReview and SelfSubjectRulesReview,
 * and authentication.k8s.io SelfSubjectReview) — behind `kubectl auth can-i [--list]` and
 * `kubectl auth whoami`. Each answers with the request's object plus its status.
 */
import { BadRequestError } from '../../../lib/api/errors';
import type { KubeObject, ResourceInfo } from '../../../lib/api/object';
import type { PolicyRule } from '../../../lib/api/types/rbac';
import { AUTHENTICATED_GROUP, requestUser, ANONYMOUS_USER, type UserInfo } from '../authn/request-user';
import type { ResourceRest } from '../rest/resource-rest';
import { UnstoredRest } from '../rest/unstored-rest';
import type { Attributes, Authorizer } from './authorizer';

/** Attributes of a review's spec (Kubernetes' ResourceAttributes / NonResourceAttributes). */
type ReviewSpec = {
  resourceAttributes?: { namespace?: string; verb?: string; group?: string; resource?: string; subresource?: string; name?: string };
  nonResourceAttributes?: { path?: string; verb?: string };
  user?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
  namespace?: string;
};
type Review = KubeObject & { spec?: ReviewSpec; status?: Record<string, unknown> };

/** What the reviews ask of the apiserver's authorization. */
export interface ReviewAuthorizer extends Authorizer {
  /** Every rule `user` holds in `namespace` (for SelfSubjectRulesReview). */
  rulesFor(user: UserInfo, namespace: string | undefined): { rules: PolicyRule[]; incomplete: boolean };
}

function reviewInfo(group: string, kind: string, resource: string): ResourceInfo {
  return Object.freeze({ group, version: 'v1', kind, resource, singular: kind.toLowerCase(), namespaced: false, shortNames: [], categories: [] });
}

/** One review resource: create answers; every other verb is 405. */
class ReviewRest extends UnstoredRest<Review> {
  readonly verbs = ['create'] as const;

  constructor(
    info: ResourceInfo,
    private readonly answer: (review: Review, user: UserInfo) => Record<string, unknown>,
  ) {
    super(info);
  }

  override async create(_namespace: string | undefined, obj: Review): Promise<Review> {
    if (obj === null || typeof obj !== 'object') throw new BadRequestError('the request body must be an object');
    const user = requestUser() ?? ANONYMOUS_USER;
    return { ...obj, apiVersion: `${this.info.group}/v1`, kind: this.info.kind, metadata: { ...(obj.metadata ?? {}) }, status: this.answer(obj, user) };
  }
}

/** The attributes a review's spec describes, for `user`. */
function specAttributes(spec: ReviewSpec | undefined, user: UserInfo): Attributes {
  if (spec?.resourceAttributes) {
    const r = spec.resourceAttributes;
    return { user, verb: r.verb ?? '', resourceRequest: true, apiGroup: r.group ?? '', resource: r.resource ?? '', subresource: r.subresource || undefined, namespace: r.namespace || undefined, name: r.name || undefined };
  }
  if (spec?.nonResourceAttributes) return { user, verb: spec.nonResourceAttributes.verb ?? '', resourceRequest: false, path: spec.nonResourceAttributes.path ?? '' };
  throw new BadRequestError('spec: Invalid value: exactly one of spec.resourceAttributes and spec.nonResourceAttributes must be given');
}

function accessStatus(authorizer: Authorizer, attrs: Attributes): Record<string, unknown> {
  const decision = authorizer.authorize(attrs);
  return { allowed: decision.allowed, ...(decision.reason ? { reason: decision.reason } : {}) };
}

/** The review resources answered by `authorizer`. */
export function reviewRests(authorizer: ReviewAuthorizer): ResourceRest[] {
  const authz = 'authorization.k8s.io';
  return [
    new ReviewRest(reviewInfo(authz, 'SelfSubjectAccessReview', 'selfsubjectaccessreviews'), (review, user) => accessStatus(authorizer, specAttributes(review.spec, user))),
    new ReviewRest(reviewInfo(authz, 'SubjectAccessReview', 'subjectaccessreviews'), (review) => {
      const spec = review.spec ?? {};
      if (!spec.user && !(spec.groups ?? []).length) throw new BadRequestError('spec.user: Required value: at least one of spec.user and spec.groups must be given');
      const subject: UserInfo = { name: spec.user ?? '', ...(spec.uid ? { uid: spec.uid } : {}), groups: spec.groups ?? [], ...(spec.extra ? { extra: spec.extra } : {}) };
      return accessStatus(authorizer, specAttributes(spec, subject));
    }),
    new ReviewRest(reviewInfo(authz, 'SelfSubjectRulesReview', 'selfsubjectrulesreviews'), (review, user) => {
      const namespace = review.spec?.namespace;
      if (!namespace) throw new BadRequestError('spec.namespace: Required value');
      const { rules, incomplete } = authorizer.rulesFor(user, namespace);
      const resourceRules = rules.filter((r) => (r.resources ?? []).length > 0).map((r) => ({ verbs: r.verbs ?? [], apiGroups: r.apiGroups ?? [], resources: r.resources ?? [], ...(r.resourceNames?.length ? { resourceNames: r.resourceNames } : {}) }));
      const nonResourceRules = rules.filter((r) => (r.nonResourceURLs ?? []).length > 0).map((r) => ({ verbs: r.verbs ?? [], nonResourceURLs: r.nonResourceURLs ?? [] }));
      return { resourceRules, nonResourceRules, incomplete };
    }),
    new ReviewRest(reviewInfo('authentication.k8s.io', 'SelfSubjectReview', 'selfsubjectreviews'), (_review, user) => ({
      userInfo: { username: user.name, ...(user.uid ? { uid: user.uid } : {}), ...(user.extra ? { extra: user.extra } : {}), groups: user.name === ANONYMOUS_USER.name ? [...user.groups] : [...new Set([...user.groups, AUTHENTICATED_GROUP])] },
    })),
  ];
}
