import { isIPv4, isIPv6 } from 'node:net';
import type { FieldError } from '../../../../lib/api/errors';
import {
  FieldPath,
  duplicate,
  invalid,
  required,
  tooMany,
  validateDns1123Label,
  validateDns1123Subdomain,
  validateImmutableField,
  validateLabels,
  validateQualifiedName,
} from '../../../../lib/api/validation';
import type { Strategy } from '../../registry/strategy';
import { PROTOCOLS, isRecord, objectItems, validateEnum, validatePortNumber } from '../core/common';
import { RESOURCES } from '../../../../lib/api/resources';
import type { AddressType, Endpoint, EndpointPort, EndpointSlice } from '../../../../lib/api/types/discovery';
export type { AddressType, Endpoint, EndpointPort, EndpointSlice };

/** The address types a new slice may carry. */
export const ADDRESS_TYPES: readonly AddressType[] = ['IPv4', 'IPv6', 'FQDN'];
/** Most endpoints one slice may hold (Kubernetes' maxEndpoints). */
export const MAX_ENDPOINTS_PER_SLICE = 1000;
/** Most ports one slice may list (Kubernetes' maxPorts). */
export const MAX_PORTS_PER_SLICE = 100;
/** Most addresses one endpoint may carry (Kubernetes' maxAddresses). */
export const MAX_ADDRESSES_PER_ENDPOINT = 100;
/** Most zone hints one endpoint may carry. */
export const MAX_ZONE_HINTS = 8;

/** Problems of one address for the slice's address type. */
function validateAddress(address: unknown, addressType: string, path: FieldPath): FieldError[] {
  if (typeof address !== 'string') return [invalid(path, address, 'must be a string')];
  switch (addressType) {
    case 'IPv4':
      return isIPv4(address) ? [] : [invalid(path, address, 'must be a valid IPv4 address')];
    case 'IPv6':
      return isIPv6(address) ? [] : [invalid(path, address, 'must be a valid IPv6 address')];
    case 'FQDN':
      return validateDns1123Subdomain(address, path);
    default:
      return []; // the address type itself is reported
  }
}

function validateEndpoint(ep: Endpoint, addressType: string, path: FieldPath, errs: FieldError[]): void {
  const addrPath = path.child('addresses');
  if (!Array.isArray(ep.addresses) || ep.addresses.length === 0) errs.push(required(addrPath, 'must contain at least 1 address'));
  else if (ep.addresses.length > MAX_ADDRESSES_PER_ENDPOINT) errs.push(tooMany(addrPath, ep.addresses.length, MAX_ADDRESSES_PER_ENDPOINT));
  else ep.addresses.forEach((a, i) => errs.push(...validateAddress(a, addressType, addrPath.index(i))));
  if (ep.conditions !== undefined && ep.conditions !== null) {
    if (!isRecord(ep.conditions)) errs.push(invalid(path.child('conditions'), ep.conditions, 'must be an object'));
    else {
      for (const c of ['ready', 'serving', 'terminating'] as const) {
        const v = ep.conditions[c];
        if (v !== undefined && v !== null && typeof v !== 'boolean') errs.push(invalid(path.child('conditions', c), v, 'must be a boolean'));
      }
    }
  }
  if (ep.hostname !== undefined && ep.hostname !== null) errs.push(...validateDns1123Label(String(ep.hostname), path.child('hostname')));
  if (ep.nodeName !== undefined && ep.nodeName !== null) errs.push(...validateDns1123Subdomain(String(ep.nodeName), path.child('nodeName')));
  if (isRecord(ep.deprecatedTopology)) errs.push(...validateLabels(ep.deprecatedTopology as Record<string, string>, path.child('deprecatedTopology')));
  const hints = ep.hints;
  if (isRecord(hints) && Array.isArray(hints.forZones) && hints.forZones.length > MAX_ZONE_HINTS) {
    errs.push(tooMany(path.child('hints', 'forZones'), hints.forZones.length, MAX_ZONE_HINTS));
  }
}

function validatePorts(ports: EndpointPort[] | undefined, errs: FieldError[]): void {
  const path = FieldPath.root('ports');
  if (Array.isArray(ports) && ports.length > MAX_PORTS_PER_SLICE) {
    errs.push(tooMany(path, ports.length, MAX_PORTS_PER_SLICE));
    return;
  }
  const names = new Set<string>();
  for (const [p, pp] of objectItems(ports, path, errs)) {
    const name = p.name ?? '';
    if (typeof name !== 'string') errs.push(invalid(pp.child('name'), name, 'must be a string'));
    else {
      if (name !== '') errs.push(...validateDns1123Label(name, pp.child('name')));
      if (names.has(name)) errs.push(duplicate(pp.child('name'), name));
      names.add(name);
    }
    if (p.protocol === undefined || p.protocol === null) errs.push(required(pp.child('protocol')));
    else errs.push(...validateEnum(p.protocol, PROTOCOLS, pp.child('protocol')));
    if (p.port !== undefined && p.port !== null) errs.push(...validatePortNumber(p.port, pp.child('port')));
    if (p.appProtocol !== undefined && p.appProtocol !== null) errs.push(...validateQualifiedName(String(p.appProtocol), pp.child('appProtocol')));
  }
}

/**
 * Kubernetes' ValidateEndpointSlice: addressType one of IPv4|IPv6|FQDN; at most 1000
 * endpoints, each with 1..100 addresses valid for the address type, a DNS-label hostname and
 * a DNS-subdomain nodeName; at most 100 ports, uniquely named (the empty name counts once),
 * with a protocol and a valid number when set. Labels and annotations are checked by the registry.
 */
export function validateEndpointSlice(obj: EndpointSlice): FieldError[] {
  const errs: FieldError[] = [];
  const addressType = obj.addressType as unknown;
  if (addressType === undefined || addressType === null || addressType === '') errs.push(required('addressType'));
  else errs.push(...validateEnum(addressType, ADDRESS_TYPES, 'addressType'));
  const endpointsPath = FieldPath.root('endpoints');
  if (Array.isArray(obj.endpoints) && obj.endpoints.length > MAX_ENDPOINTS_PER_SLICE) {
    errs.push(tooMany(endpointsPath, obj.endpoints.length, MAX_ENDPOINTS_PER_SLICE));
  } else {
    for (const [ep, path] of objectItems(obj.endpoints, endpointsPath, errs)) validateEndpoint(ep, String(addressType), path, errs);
  }
  validatePorts(obj.ports, errs);
  return errs;
}

/** Fills what Kubernetes defaults: a port's protocol is TCP. */
function defaultEndpointSlice(obj: EndpointSlice): void {
  for (const p of Array.isArray(obj.ports) ? obj.ports : []) if (isRecord(p)) p.protocol ??= 'TCP';
}

/** Registry strategy of discovery.k8s.io/v1 EndpointSlice (no spec, no status; addressType immutable). */
export const endpointSliceStrategy: Strategy<EndpointSlice> = {
  info: RESOURCES.endpointslices,
  hasStatus: false,
  prepareForCreate: defaultEndpointSlice,
  prepareForUpdate: defaultEndpointSlice,
  validate: validateEndpointSlice,
  validateUpdate(obj, old) {
    return [...validateEndpointSlice(obj), ...validateImmutableField(obj.addressType, old.addressType, 'addressType')];
  },
  specChanged: () => false,
};
