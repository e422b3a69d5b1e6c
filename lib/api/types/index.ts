/** The typed objects of every kind Bosun serves, by API group (see lib/api/resources for their ResourceInfo). */
export * from './apps';
export * from './autoscaling';
export * from './batch';
export * from './coordination';
export * from './core';
// discovery/v1 EndpointPort shares its name with core/v1's: import it from './discovery'.
export type { AddressType, Endpoint, EndpointConditions, EndpointSlice, EndpointPort as DiscoveryEndpointPort } from './discovery';
export * from './networking';
export * from './storage';
export * from './policy';
export * from './rbac';
export * from './scheduling';
