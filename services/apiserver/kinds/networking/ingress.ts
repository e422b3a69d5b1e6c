import { isIP } from 'node:net';
import type { FieldError } from '../../../../lib/api/errors';
import {
  FieldPath,
  dns1123SubdomainErrors,
  invalid,
  notSupported,
  required,
  validateDns1035Label,
  validateDns1123Subdomain,
  wildcardDns1123SubdomainErrors,
} from '../../../../lib/api/validation';
import type { Strategy } from '../../registry/strategy';
import { isRecord, objectItems, portNameErrors, specDiffers, validatePortNumber } from '../core/common';
import { RESOURCES } from '../../../../lib/api/resources';
import type { HTTPIngressPath, Ingress, IngressBackend, IngressRule, IngressStatus, IngressTLS, PathType } from '../../../../lib/api/types/networking';
export type { Ingress };

/** The path types an Ingress path may carry, as Kubernetes lists them (sorted). */
export const PATH_TYPES: readonly PathType[] = ['Exact', 'ImplementationSpecific', 'Prefix'];
/** Sequences an Exact or Prefix path must not contain (they would mean something else after normalization). */
const INVALID_PATH_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
/** Endings an Exact or Prefix path must not have. */
const INVALID_PATH_SUFFIXES = ['/..', '/.'];
/** The legacy annotation naming an Ingress's class (before spec.ingressClassName). */
export const INGRESS_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

/** A host of a rule or a TLS entry: a DNS subdomain, or `*.` and one (never an IP address). */
function validateHost(host: string, path: FieldPath): FieldError[] {
  if (isIP(host) !== 0) return [invalid(path, host, 'must be a DNS name, not an IP address')];
  const problems = host.includes('*') ? wildcardDns1123SubdomainErrors(host) : dns1123SubdomainErrors(host);
  return problems.map((m) => invalid(path, host, m));
}

/** Kubernetes' validateIngressBackend: exactly one of service/resource; a service port by number xor name. */
function validateBackend(backend: IngressBackend, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const hasService = backend.service !== undefined && backend.service !== null;
  const hasResource = backend.resource !== undefined && backend.resource !== null;
  if (hasService && hasResource) return [invalid(path, '', 'cannot set both resource and service backends')];
  if (!hasService && !hasResource) return [invalid(path, '', 'resource or service backend is required')];
  if (hasResource) {
    const r = backend.resource!;
    const rp = path.child('resource');
    if (!isRecord(r)) return [invalid(rp, r, 'must be an object')];
    if (r.apiGroup) errs.push(...validateDns1123Subdomain(String(r.apiGroup), rp.child('apiGroup')));
    if (!r.kind) errs.push(required(rp.child('kind')));
    if (!r.name) errs.push(required(rp.child('name')));
    return errs;
  }
  const s = backend.service!;
  const sp = path.child('service');
  if (!isRecord(s)) return [invalid(sp, s, 'must be an object')];
  if (!s.name) errs.push(required(sp.child('name')));
  else errs.push(...validateDns1035Label(String(s.name), sp.child('name')));
  const port = s.port;
  const pp = sp.child('port');
  const hasName = isRecord(port) && port.name !== undefined && port.name !== null && port.name !== '';
  const hasNumber = isRecord(port) && port.number !== undefined && port.number !== null && port.number !== 0;
  if (hasName && hasNumber) errs.push(invalid(pp, port, 'cannot specify both port name and port number'));
  else if (hasName) errs.push(...portNameErrors(String(port!.name)).map((m) => invalid(pp.child('name'), port!.name, m)));
  else if (hasNumber) errs.push(...validatePortNumber(port!.number, pp.child('number')));
  else errs.push(required(pp, 'port name or number is required'));
  return errs;
}

/** Kubernetes' validateHTTPIngressPath: pathType required; Exact/Prefix paths absolute and normalized. */
function validatePath(p: HTTPIngressPath, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const value = p.path ?? '';
  const pathPath = path.child('path');
  if (typeof value !== 'string') errs.push(invalid(pathPath, value, 'must be a string'));
  else if (p.pathType === undefined || p.pathType === null) errs.push(required(path.child('pathType'), 'pathType must be specified'));
  else if (p.pathType === 'Exact' || p.pathType === 'Prefix') {
    if (!value.startsWith('/')) errs.push(invalid(pathPath, value, 'must be an absolute path'));
    for (const seq of INVALID_PATH_SEQUENCES) if (value.includes(seq)) errs.push(invalid(pathPath, value, `must not contain '${seq}'`));
    for (const suffix of INVALID_PATH_SUFFIXES) if (value.endsWith(suffix)) errs.push(invalid(pathPath, value, `cannot end with '${suffix}'`));
  } else if (p.pathType === 'ImplementationSpecific') {
    if (value !== '' && !value.startsWith('/')) errs.push(invalid(pathPath, value, 'must be an absolute path'));
  } else {
    errs.push(notSupported(path.child('pathType'), p.pathType, PATH_TYPES));
  }
  if (!isRecord(p.backend)) errs.push(required(path.child('backend')));
  else errs.push(...validateBackend(p.backend, path.child('backend')));
  return errs;
}

function validateRule(rule: IngressRule, path: FieldPath, errs: FieldError[]): void {
  if (rule.host !== undefined && rule.host !== null && rule.host !== '') errs.push(...validateHost(String(rule.host), path.child('host')));
  if (rule.http === undefined || rule.http === null) return;
  const pathsPath = path.child('http', 'paths');
  if (!isRecord(rule.http) || !Array.isArray(rule.http.paths) || rule.http.paths.length === 0) {
    errs.push(required(pathsPath));
    return;
  }
  for (const [p, pp] of objectItems(rule.http.paths, pathsPath, errs)) errs.push(...validatePath(p, pp));
}

function validateTls(tls: IngressTLS, path: FieldPath, errs: FieldError[]): void {
  const hostsPath = path.child('hosts');
  if (tls.hosts !== undefined && tls.hosts !== null) {
    if (!Array.isArray(tls.hosts)) errs.push(invalid(hostsPath, tls.hosts, 'must be a list'));
    else tls.hosts.forEach((h, j) => errs.push(...validateHost(String(h), hostsPath.index(j))));
  }
  if (tls.secretName) errs.push(...validateDns1123Subdomain(String(tls.secretName), path.child('secretName')));
}

/**
 * Kubernetes' ValidateIngressSpec: a defaultBackend or at least one rule; rule hosts are DNS
 * subdomains or `*.` wildcards of one; each HTTP path has a pathType (Exact, Prefix or
 * ImplementationSpecific), Exact/Prefix paths start with `/`; every backend is exactly one of
 * service or resource, a service port by number xor name; TLS hosts and secretName valid;
 * ingressClassName a DNS subdomain.
 */
export function validateIngressSpec(obj: Ingress): FieldError[] {
  const errs: FieldError[] = [];
  const spec = obj.spec;
  const specPath = FieldPath.root('spec');
  if (!isRecord(spec)) return [required(specPath)];
  const rules = Array.isArray(spec.rules) ? spec.rules : [];
  if (rules.length === 0 && !spec.defaultBackend) errs.push(invalid(specPath, spec, 'either `defaultBackend` or `rules` must be specified'));
  if (spec.defaultBackend !== undefined && spec.defaultBackend !== null) {
    if (!isRecord(spec.defaultBackend)) errs.push(invalid(specPath.child('defaultBackend'), spec.defaultBackend, 'must be an object'));
    else errs.push(...validateBackend(spec.defaultBackend, specPath.child('defaultBackend')));
  }
  for (const [rule, rp] of objectItems(spec.rules, specPath.child('rules'), errs)) validateRule(rule, rp, errs);
  for (const [tls, tp] of objectItems(spec.tls, specPath.child('tls'), errs)) validateTls(tls, tp, errs);
  if (spec.ingressClassName !== undefined && spec.ingressClassName !== null) {
    errs.push(...validateDns1123Subdomain(String(spec.ingressClassName), specPath.child('ingressClassName')));
  }
  return errs;
}

/** On create, the legacy class annotation must agree with spec.ingressClassName when both are set. */
function validateClassAnnotation(obj: Ingress): FieldError[] {
  const annotation = obj.metadata?.annotations?.[INGRESS_CLASS_ANNOTATION];
  const className = obj.spec?.ingressClassName;
  if (annotation === undefined || !className || annotation === className) return [];
  return [invalid(FieldPath.root('annotations').key(INGRESS_CLASS_ANNOTATION), annotation, 'must match `ingressClassName` when both are specified')];
}

/** Kubernetes' ValidateIngressLoadBalancerStatus: each entry's ip a valid IP, hostname a DNS name (not an IP). */
export function validateIngressStatus(status: IngressStatus | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const lb = status?.loadBalancer;
  if (!isRecord(lb)) return errs;
  const path = FieldPath.root('status').child('loadBalancer', 'ingress');
  for (const [entry, ep] of objectItems(lb.ingress, path, errs)) {
    if (entry.ip && isIP(String(entry.ip)) === 0) errs.push(invalid(ep.child('ip'), entry.ip, 'must be a valid IP address'));
    if (entry.hostname) {
      if (isIP(String(entry.hostname)) !== 0) errs.push(invalid(ep.child('hostname'), entry.hostname, 'must be a DNS name, not an IP address'));
      else errs.push(...validateDns1123Subdomain(String(entry.hostname), ep.child('hostname')));
    }
  }
  return errs;
}

/**
 * Registry strategy of networking.k8s.io/v1 Ingress: namespaced, short name `ing`, a status
 * subresource (the ingress controller writes status.loadBalancer), generation bumped on spec
 * changes. Creates start with an empty status.
 */
export const ingressStrategy: Strategy<Ingress> = {
  info: RESOURCES.ingresses,
  hasStatus: true,
  prepareForCreate(obj) {
    obj.status = {};
  },
  prepareForUpdate() {},
  validate(obj) {
    return [...validateIngressSpec(obj), ...validateClassAnnotation(obj)];
  },
  validateUpdate(obj) {
    return [...validateIngressSpec(obj), ...validateIngressStatus(obj.status)];
  },
  specChanged: specDiffers,
};
