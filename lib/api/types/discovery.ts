/**
 * The typed objects of the discovery.k8s.io/v1 kinds: EndpointSlice and its parts.
 * Kubernetes' JSON field names; only the fields Bosun reads are named, the rest stay open.
 * Shared by the apiserver (its strategy) and every client (the EndpointSlice controllers, proxy).
 */
import type { KubeObject } from '../object';
import type { ObjectReference } from './core';

/** The kinds of address a slice carries; immutable after create. */
export type AddressType = 'IPv4' | 'IPv6' | 'FQDN';

/** discovery.k8s.io/v1 EndpointConditions: absent means unknown (consumers treat it as true). */
export type EndpointConditions = {
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
};

/** discovery.k8s.io/v1 Endpoint: one backend (usually one pod) with 1..100 addresses of the slice's type. */
export type Endpoint = {
  addresses: string[];
  conditions?: EndpointConditions;
  hostname?: string;
  targetRef?: ObjectReference;
  nodeName?: string;
  zone?: string;
  [field: string]: unknown;
};

/** discovery.k8s.io/v1 EndpointPort: an absent port means "all ports". */
export type EndpointPort = {
  name?: string;
  protocol?: string;
  port?: number;
  appProtocol?: string;
};

/** discovery.k8s.io/v1 EndpointSlice (no spec or status: the fields sit at the top level). */
export type EndpointSlice = KubeObject & {
  addressType: AddressType;
  endpoints?: Endpoint[];
  ports?: EndpointPort[];
};
