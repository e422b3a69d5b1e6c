/**
 * The endpoint choice of one virtual address of a Service port in the userspace data path
 * (kube-proxy's userspace LoadBalancerRR): round-robin over the usable endpoints, or, with
 * ClientIP session affinity, the endpoint a client IP last used while that affinity is fresh.
 *
 * Contract:
 * - `pick(clientIp, exclude)` returns the next endpoint not in `exclude` (the ones a connection
 *   already failed to reach), or undefined when none is left.
 * - Affinity: a client's endpoint is remembered for `timeoutSeconds`, the timer reset on every
 *   use; `forget(clientIp)` drops it (after a failed connect, so the retry picks afresh).
 * - `update(endpoints)` replaces the rotation; affinities to endpoints that left are dropped,
 *   the others kept. Existing connections are the caller's business (they continue).
 * - No timers: expiry is checked lazily against the injected clock.
 */
import type { Clock } from '../../../lib/client/clock';
import type { ServiceEndpoint, SessionAffinity } from '../../../lib/network/service-table';

/** "ip:port" of an endpoint. */
export function endpointAddress(e: Pick<ServiceEndpoint, 'ip' | 'port'>): string {
  return `${e.ip}:${e.port}`;
}

interface Affinity {
  readonly endpoint: string;
  lastUsedMs: number;
}

/** Round-robin with optional ClientIP affinity. See the file comment. */
export class EndpointPicker {
  private endpoints: readonly ServiceEndpoint[] = [];
  private next = 0;
  private readonly affinities = new Map<string, Affinity>();

  constructor(
    private affinity: SessionAffinity,
    private readonly clock: Clock,
  ) {}

  /** The endpoints in rotation. */
  current(): readonly ServiceEndpoint[] {
    return this.endpoints;
  }

  /** Replaces the rotation and the affinity setting (see the file comment). */
  update(endpoints: readonly ServiceEndpoint[], affinity: SessionAffinity): void {
    this.endpoints = endpoints;
    if (affinity.type === 'None') this.affinities.clear();
    this.affinity = affinity;
    const present = new Set(endpoints.map(endpointAddress));
    for (const [client, a] of this.affinities) if (!present.has(a.endpoint)) this.affinities.delete(client);
    if (this.next >= endpoints.length) this.next = 0;
  }

  /** The endpoint for a new connection or session from `clientIp`, skipping `exclude`. */
  pick(clientIp: string, exclude: ReadonlySet<string> = new Set()): ServiceEndpoint | undefined {
    const now = this.clock.now();
    if (this.affinity.type === 'ClientIP') {
      const a = this.affinities.get(clientIp);
      if (a && now - a.lastUsedMs <= this.affinity.timeoutSeconds * 1000 && !exclude.has(a.endpoint)) {
        const sticky = this.endpoints.find((e) => endpointAddress(e) === a.endpoint);
        if (sticky) {
          a.lastUsedMs = now;
          return sticky;
        }
      }
    }
    for (let i = 0; i < this.endpoints.length; i++) {
      const candidate = this.endpoints[(this.next + i) % this.endpoints.length]!;
      if (exclude.has(endpointAddress(candidate))) continue;
      this.next = (this.next + i + 1) % this.endpoints.length;
      if (this.affinity.type === 'ClientIP') this.affinities.set(clientIp, { endpoint: endpointAddress(candidate), lastUsedMs: now });
      return candidate;
    }
    return undefined;
  }

  /** Drops `clientIp`'s affinity (its endpoint failed). */
  forget(clientIp: string): void {
    this.affinities.delete(clientIp);
  }
}
