import type { FieldError } from '../../../../lib/api/errors';
import {
  FieldPath,
  dns1123SubdomainErrors,
  forbidden,
  invalid,
  notSupported,
  required,
  tooLong,
  validateDns1123Subdomain,
  validateImmutableField,
} from '../../../../lib/api/validation';
import type { Strategy } from '../../registry/strategy';
import { isRecord, specDiffers } from '../core/common';
import { RESOURCES } from '../../../../lib/api/resources';
import type { IngressClass, IngressClassParametersReference } from '../../../../lib/api/types/networking';
export type { IngressClass };

/** Longest spec.controller, in characters (Kubernetes' maxLenIngressClassController). */
export const MAX_INGRESS_CLASS_CONTROLLER_LENGTH = 250;
/** Where the parameters of a class live. */
export const PARAMETERS_SCOPES: readonly string[] = ['Cluster', 'Namespace'];
/** The characters the path part of a domain-prefixed path may use (Kubernetes' httpPathFmt). */
const HTTP_PATH_FMT = "[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+";
const HTTP_PATH_RE = new RegExp(`^${HTTP_PATH_FMT}$`);
const SPEC = FieldPath.root('spec');

/** Kubernetes' IsDomainPrefixedPath: `example.com/name`, a DNS subdomain, `/`, an HTTP path. */
function validateDomainPrefixedPath(value: string, path: FieldPath): FieldError[] {
  if (value === '') return [required(path)];
  const slash = value.indexOf('/');
  const host = slash < 0 ? '' : value.slice(0, slash);
  const rest = slash < 0 ? '' : value.slice(slash + 1);
  if (host === '' || rest === '') return [invalid(path, value, 'must be a domain-prefixed path (such as "acme.io/foo")')];
  const errs = dns1123SubdomainErrors(host).map((m) => invalid(path, host, m));
  if (!HTTP_PATH_RE.test(rest)) errs.push(invalid(path, rest, `Invalid path (regex used for validation is '${HTTP_PATH_FMT}')`));
  return errs;
}

function validateParameters(params: IngressClassParametersReference, path: FieldPath): FieldError[] {
  if (!isRecord(params)) return [invalid(path, params, 'must be an object')];
  const errs: FieldError[] = [];
  if (params.apiGroup) errs.push(...validateDns1123Subdomain(String(params.apiGroup), path.child('apiGroup')));
  if (!params.kind) errs.push(required(path.child('kind'), 'kind is required'));
  if (!params.name) errs.push(required(path.child('name'), 'name is required'));
  const scope = params.scope;
  if (scope === undefined || scope === null || scope === '') errs.push(required(path.child('scope')));
  else if (!PARAMETERS_SCOPES.includes(String(scope))) errs.push(notSupported(path.child('scope'), scope, PARAMETERS_SCOPES));
  else if (scope === 'Namespace' && !params.namespace) errs.push(required(path.child('namespace'), "`parameters.scope` is set to 'Namespace'"));
  else if (scope === 'Cluster' && params.namespace) errs.push(forbidden(path.child('namespace'), "`parameters.scope` is set to 'Cluster'"));
  return errs;
}

/**
 * Kubernetes' ValidateIngressClass: spec.controller required, at most 250 characters, a
 * domain-prefixed path (`bosun.dev/ingress-controller`); parameters, when given, name a kind and
 * an object and a scope (Cluster, or Namespace with a namespace).
 */
export function validateIngressClass(obj: IngressClass): FieldError[] {
  const spec = isRecord(obj.spec) ? obj.spec : {};
  const controller = spec.controller ?? '';
  const errs: FieldError[] = [];
  if (typeof controller !== 'string') return [invalid(SPEC.child('controller'), controller, 'must be a string')];
  if (controller.length > MAX_INGRESS_CLASS_CONTROLLER_LENGTH) errs.push(tooLong(SPEC.child('controller'), controller, MAX_INGRESS_CLASS_CONTROLLER_LENGTH));
  errs.push(...validateDomainPrefixedPath(controller, SPEC.child('controller')));
  if (spec.parameters !== undefined && spec.parameters !== null) errs.push(...validateParameters(spec.parameters, SPEC.child('parameters')));
  return errs;
}

/** Kubernetes' defaulting: parameters without a scope are cluster-scoped. */
function defaultIngressClass(obj: IngressClass): void {
  const params = obj.spec?.parameters;
  if (isRecord(params)) params.scope ??= 'Cluster';
}

/** Registry strategy of networking.k8s.io/v1 IngressClass: cluster-scoped, no status, spec.controller immutable. */
export const ingressClassStrategy: Strategy<IngressClass> = {
  info: RESOURCES.ingressclasses,
  hasStatus: false,
  prepareForCreate: defaultIngressClass,
  prepareForUpdate: defaultIngressClass,
  validate: validateIngressClass,
  validateUpdate(obj, old) {
    return [...validateIngressClass(obj), ...validateImmutableField(obj.spec?.controller, old.spec?.controller, SPEC.child('controller'))];
  },
  specChanged: specDiffers,
};
