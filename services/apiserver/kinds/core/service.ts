import type { FieldError } from '../../../../lib/api/errors';
import {
  dns1035LabelErrors,
  dns1123SubdomainErrors,
  duplicate,
  forbidden,
  invalid,
  required,
  toPath,
  validateDns1123Label,
  validateDns1123Subdomain,
  validateLabels,
} from '../../../../lib/api/validation';
import type { Strategy } from '../../registry/strategy';
import { PROTOCOLS, objectItems, specDiffers, validateEnum, validateIp, validatePortName, validatePortNumber } from './common';
import { RESOURCES } from '../../../../lib/api/resources';
import type { ServicePort, ServiceSpec, Service } from '../../../../lib/api/types/core';
export type { ServicePort, ServiceSpec, Service };

export const SERVICE_TYPES: readonly string[] = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];
export const SESSION_AFFINITIES: readonly string[] = ['ClientIP', 'None'];
export const TRAFFIC_POLICIES: readonly string[] = ['Cluster', 'Local'];
/** Default NodePort range, inclusive. */
export const NODE_PORT_MIN = 30000;
export const NODE_PORT_MAX = 32767;
/** clusterIP value of a headless Service. */
export const CLUSTER_IP_NONE = 'None';

/** Kubernetes' Service defaults, in place. */
export function defaultServiceSpec(spec: ServiceSpec): void {
  spec.type ??= 'ClusterIP';
  spec.sessionAffinity ??= 'None';
  if (spec.type !== 'ExternalName') spec.internalTrafficPolicy ??= 'Cluster';
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') spec.externalTrafficPolicy ??= 'Cluster';
  if (spec.clusterIP && !spec.clusterIPs) spec.clusterIPs = [spec.clusterIP];
  for (const p of Array.isArray(spec.ports) ? spec.ports : []) {
    if (!p || typeof p !== 'object') continue;
    p.protocol ??= 'TCP';
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') {
      if (p.port !== undefined) p.targetPort = p.port;
    }
  }
}

function validateName(name: string | undefined): FieldError[] {
  // The registry checks the subdomain rule; Services need a DNS-1035 label too.
  if (!name || dns1123SubdomainErrors(name).length > 0) return [];
  return dns1035LabelErrors(name).map((m) => invalid('metadata.name', name, m));
}

function validateServiceSpec(spec: ServiceSpec | undefined): FieldError[] {
  const p = toPath('spec');
  if (!spec || typeof spec !== 'object') return [required(p)];
  const errs: FieldError[] = [];
  const type = spec.type ?? 'ClusterIP';
  errs.push(...validateEnum(spec.type, SERVICE_TYPES, p.child('type')));
  errs.push(...validateEnum(spec.sessionAffinity, SESSION_AFFINITIES, p.child('sessionAffinity')));
  errs.push(...validateEnum(spec.externalTrafficPolicy, TRAFFIC_POLICIES, p.child('externalTrafficPolicy')));
  errs.push(...validateEnum(spec.internalTrafficPolicy, TRAFFIC_POLICIES, p.child('internalTrafficPolicy')));
  const portItems = objectItems(spec.ports, p.child('ports'), errs);
  const ports = portItems.map(([port]) => port);
  if (type === 'ExternalName') {
    if (!spec.externalName) errs.push(required(p.child('externalName')));
    else errs.push(...validateDns1123Subdomain(spec.externalName, p.child('externalName')));
    if (spec.clusterIP) errs.push(forbidden(p.child('clusterIP'), 'may not be set for ExternalName services'));
  } else {
    if (ports.length === 0 && spec.clusterIP !== CLUSTER_IP_NONE) errs.push(required(p.child('ports')));
    if (spec.clusterIP && spec.clusterIP !== CLUSTER_IP_NONE) errs.push(...validateIp(spec.clusterIP, p.child('clusterIP')));
    if (type !== 'ClusterIP' && spec.clusterIP === CLUSTER_IP_NONE) {
      errs.push(invalid(p.child('clusterIP'), spec.clusterIP, `may not be set to 'None' for ${type} services`));
    }
  }
  const names = new Set<string>();
  for (const [port, pp] of portItems) {
    if (ports.length > 1 && !port.name) errs.push(required(pp.child('name')));
    else if (port.name) {
      errs.push(...validateDns1123Label(port.name, pp.child('name')));
      if (names.has(port.name)) errs.push(duplicate(pp.child('name'), port.name));
      names.add(port.name);
    }
    errs.push(...validatePortNumber(port.port ?? 0, pp.child('port')));
    if (!port.protocol) errs.push(required(pp.child('protocol')));
    else errs.push(...validateEnum(port.protocol, PROTOCOLS, pp.child('protocol')));
    if (typeof port.targetPort === 'number') errs.push(...validatePortNumber(port.targetPort, pp.child('targetPort')));
    else if (typeof port.targetPort === 'string') errs.push(...validatePortName(port.targetPort, pp.child('targetPort')));
    if (port.nodePort !== undefined && port.nodePort !== 0) {
      if (type === 'ClusterIP' || type === 'ExternalName') {
        errs.push(forbidden(pp.child('nodePort'), `may not be used when \`type\` is '${type}'`));
      } else if (!Number.isInteger(port.nodePort) || port.nodePort < NODE_PORT_MIN || port.nodePort > NODE_PORT_MAX) {
        errs.push(invalid(pp.child('nodePort'), port.nodePort, `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_MIN}-${NODE_PORT_MAX}`));
      }
    }
  }
  const nodePorts = new Set<string>();
  for (const [port, pp] of portItems) {
    if (!port.nodePort) continue;
    const key = `${port.nodePort}/${port.protocol ?? 'TCP'}`;
    if (nodePorts.has(key)) errs.push(duplicate(pp.child('nodePort'), port.nodePort));
    nodePorts.add(key);
  }
  errs.push(...validateLabels(spec.selector, p.child('selector')));
  (spec.externalIPs ?? []).forEach((ip, i) => errs.push(...validateIp(ip, p.child('externalIPs').index(i))));
  return errs;
}

/**
 * Services (svc): type ClusterIP, sessionAffinity None, traffic policies Cluster, ports TCP with
 * targetPort = port by default; port names required and unique when there are several;
 * nodePorts only for NodePort/LoadBalancer and within 30000–32767; a set clusterIP never
 * changes (an update that omits it keeps the allocated one, as do omitted nodePorts).
 */
export const serviceStrategy: Strategy<Service> = {
  info: RESOURCES.services,
  hasStatus: true,
  prepareForCreate(obj) {
    obj.spec ??= {};
    defaultServiceSpec(obj.spec);
    obj.status = { loadBalancer: {} };
  },
  prepareForUpdate(obj, old) {
    obj.spec ??= {};
    const o = old.spec ?? {};
    // Keep allocated values an update did not mention (Kubernetes' patchAllocatedValues).
    if (!obj.spec.clusterIP && o.clusterIP && obj.spec.type !== 'ExternalName') {
      obj.spec.clusterIP = o.clusterIP;
      if (!obj.spec.clusterIPs && o.clusterIPs) obj.spec.clusterIPs = [...o.clusterIPs];
    }
    const type = obj.spec.type ?? 'ClusterIP';
    const oldType = o.type ?? 'ClusterIP';
    const usesNodePorts = (t: string) => t === 'NodePort' || t === 'LoadBalancer';
    if (!usesNodePorts(type) && usesNodePorts(oldType)) {
      // Kubernetes drops the allocated nodePorts a type change leaves behind unchanged.
      for (const p of Array.isArray(obj.spec.ports) ? obj.spec.ports : []) {
        if (p?.nodePort && (o.ports ?? []).some((q) => q.nodePort === p.nodePort)) delete p.nodePort;
      }
    }
    if (usesNodePorts(type)) {
      for (const p of Array.isArray(obj.spec.ports) ? obj.spec.ports : []) {
        if (p.nodePort) continue;
        const prev = (o.ports ?? []).find((q) => q.port === p.port && (q.protocol ?? 'TCP') === (p.protocol ?? 'TCP'));
        if (prev?.nodePort) p.nodePort = prev.nodePort;
      }
    }
    defaultServiceSpec(obj.spec);
  },
  validate(obj) {
    return [...validateName(obj.metadata.name), ...validateServiceSpec(obj.spec)];
  },
  validateUpdate(obj, old) {
    const errs = validateServiceSpec(obj.spec);
    const prevIp = old.spec?.clusterIP;
    const nextIp = obj.spec?.clusterIP;
    const toExternalName = obj.spec?.type === 'ExternalName';
    if (prevIp && !toExternalName && nextIp !== prevIp) errs.push(invalid('spec.clusterIP', nextIp ?? '', 'field is immutable'));
    return errs;
  },
  specChanged: specDiffers,
};
