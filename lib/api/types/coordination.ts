/**
 * The typed objects of the coordination.k8s.io/v1 kinds: Lease.
 * Kubernetes' JSON field names; only the fields Bosun reads are named, the rest stay open.
 * Shared by the apiserver (its strategies) and every client.
 */
import type { KubeObject } from '../object';

/** coordination.k8s.io/v1 LeaseSpec. Times are RFC 3339 MicroTime strings. */
export type LeaseSpec = {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
  [field: string]: unknown;
};
/** coordination.k8s.io/v1 Lease (no status). */
export type Lease = KubeObject & { spec?: LeaseSpec };
