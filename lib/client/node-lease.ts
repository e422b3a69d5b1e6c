/**
 * A node's heartbeat (the kubelet's node lease): the Lease `kube-node-lease/<node>`, held by the
 * node, renewed every 10 s with a 40 s duration, owned by the Node (so it goes with it). The
 * node lifecycle controller marks a node Unknown when this stops. Shared by the node agent and
 * the simulated nodes of tests and benchmarks.
 */
import { isAlreadyExists, isConflict, isNotFound } from '../api/status';
import { RESOURCES } from '../api/resources';
import type { Lease } from '../api/types/coordination';
import type { ApiClient, ResourceClient } from './api-client';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** How often the lease is renewed (the kubelet's default: a quarter of the duration). */
export const NODE_LEASE_RENEW_INTERVAL_MS = 10_000;
/** The lease's duration (the kubelet's --node-lease-duration-seconds default). */
export const NODE_LEASE_DURATION_SECONDS = 40;

/** RFC 3339 MicroTime, as Lease times are written. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '000Z');
}

export class NodeLease {
  private readonly leases: ResourceClient<Lease>;
  private cached?: Lease;

  constructor(
    client: ApiClient,
    private readonly nodeName: string,
    /** The Node's uid, for the owner reference (absent: no owner). */
    private readonly nodeUid?: string,
    private readonly now: () => number = Date.now,
  ) {
    this.leases = client.resource<Lease>(RESOURCES.leases);
  }

  /** Renews the lease (creating it when missing); resolves once written. */
  async renew(): Promise<void> {
    const renewTime = microTime(this.now());
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = this.cached ?? (await this.read());
      try {
        if (!current) {
          this.cached = await this.leases.create(NODE_LEASE_NAMESPACE, this.fresh(renewTime));
        } else {
          this.cached = await this.leases.update(NODE_LEASE_NAMESPACE, { ...current, spec: { ...(current.spec ?? {}), holderIdentity: this.nodeName, leaseDurationSeconds: NODE_LEASE_DURATION_SECONDS, renewTime } });
        }
        return;
      } catch (err) {
        // Someone else wrote it (or deleted it): read it again and retry.
        this.cached = undefined;
        if (!isConflict(err) && !isAlreadyExists(err) && !isNotFound(err)) throw err;
      }
    }
    throw new Error(`node lease ${NODE_LEASE_NAMESPACE}/${this.nodeName}: conflicting writes, not renewed`);
  }

  private async read(): Promise<Lease | undefined> {
    try {
      return await this.leases.get(NODE_LEASE_NAMESPACE, this.nodeName);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private fresh(renewTime: string): Lease {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.nodeName,
        namespace: NODE_LEASE_NAMESPACE,
        ...(this.nodeUid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.nodeName, uid: this.nodeUid }] } : {}),
      },
      spec: { holderIdentity: this.nodeName, leaseDurationSeconds: NODE_LEASE_DURATION_SECONDS, renewTime },
    };
  }
}
