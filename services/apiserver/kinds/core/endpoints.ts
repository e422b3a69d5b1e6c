import type { FieldError } from '../../../../lib/api/errors';
import { duplicate, required, validateDns1123Label } from '../../../../lib/api/validation';
import type { Strategy } from '../../registry/strategy';
import { PROTOCOLS, objectItems, validateEnum, validateIp, validatePortNumber } from './common';
import { RESOURCES } from '../../../../lib/api/resources';
import type { EndpointAddress, EndpointPort, EndpointSubset, Endpoints } from '../../../../lib/api/types/core';
export type { EndpointAddress, EndpointPort, EndpointSubset, Endpoints };

function defaultEndpoints(obj: Endpoints): void {
  for (const s of Array.isArray(obj.subsets) ? obj.subsets : []) {
    for (const p of Array.isArray(s?.ports) ? s.ports : []) if (p && typeof p === 'object') p.protocol ??= 'TCP';
  }
}

function validateEndpoints(obj: Endpoints): FieldError[] {
  const errs: FieldError[] = [];
  for (const [s, sp] of objectItems(obj.subsets, 'subsets', errs)) {
    for (const field of ['addresses', 'notReadyAddresses'] as const) {
      for (const [a, ap] of objectItems(s[field], sp.child(field), errs)) {
        if (!a.ip) errs.push(required(ap.child('ip')));
        else errs.push(...validateIp(a.ip, ap.child('ip')));
        if (a.hostname) errs.push(...validateDns1123Label(a.hostname, ap.child('hostname')));
      }
    }
    const ports = objectItems(s.ports, sp.child('ports'), errs);
    const names = new Set<string>();
    for (const [p, pp] of ports) {
      if (ports.length > 1 && !p.name) errs.push(required(pp.child('name')));
      else if (p.name) {
        errs.push(...validateDns1123Label(p.name, pp.child('name')));
        if (names.has(p.name)) errs.push(duplicate(pp.child('name'), p.name));
        names.add(p.name);
      }
      errs.push(...validatePortNumber(p.port ?? 0, pp.child('port')));
      if (!p.protocol) errs.push(required(pp.child('protocol')));
      else errs.push(...validateEnum(p.protocol, PROTOCOLS, pp.child('protocol')));
    }
  }
  return errs;
}

/** Endpoints (ep): addresses need valid IPs; ports are valid, named when several, TCP by default. */
export const endpointsStrategy: Strategy<Endpoints> = {
  info: RESOURCES.endpoints,
  hasStatus: false,
  prepareForCreate: defaultEndpoints,
  prepareForUpdate: defaultEndpoints,
  validate: validateEndpoints,
  validateUpdate: validateEndpoints,
  specChanged() {
    return false;
  },
};
