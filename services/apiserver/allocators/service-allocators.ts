import { InternalError, InvalidError } from '../../../lib/api/errors';
import { invalid } from '../../../lib/api/validation';
import type { ClientLogger, StoreClient } from '../../../store/client';
import { CLUSTER_IP_NONE, type Service, type ServiceSpec } from '../kinds/core/service';
import { REGISTRY_ROOT } from '../registry/storage-keys';
import { DEFAULT_NODE_PORT_RANGE, DEFAULT_SERVICE_CIDR, nodePortRange, serviceIpRange } from './item-range';
import { ItemAllocatedError, ItemNotInRangeError, RangeFullError, StoreRangeAllocator, type ItemOwner, type TakenItem } from './range-allocator';

/** Where allocation records live: `<root>serviceips/<ip>` and `<root>servicenodeports/<port>`. */
export const RANGES_ROOT = `${REGISTRY_ROOT}/ranges/`;

/** Configuration of the Service allocators. */
export interface ServiceAllocatorConfig {
  /** IPv4 service CIDR (default DEFAULT_SERVICE_CIDR, 10.43.0.0/16). */
  readonly serviceCidr?: string;
  /** NodePort range "min-max" (default DEFAULT_NODE_PORT_RANGE, 30000-32767). */
  readonly nodePortRange?: string;
  /** Root of the record keys (default RANGES_ROOT); tests use their own. */
  readonly keyRoot?: string;
  /** Random source in [0, 1) (default Math.random). */
  readonly random?: () => number;
  /** Wall clock for records and repair (default new Date()). */
  readonly clock?: () => Date;
  readonly logger?: ClientLogger;
}

/** The items one Service holds: its ClusterIPs and NodePorts (as text). */
export interface HeldItems {
  readonly ips: ReadonlySet<string>;
  readonly ports: ReadonlySet<number>;
}

/** Holds nothing. */
export const NOTHING_HELD: HeldItems = { ips: new Set(), ports: new Set() };

/** True for Service types whose ports get NodePorts. */
export function usesNodePorts(type: string | undefined): boolean {
  return type === 'NodePort' || type === 'LoadBalancer';
}

/** True when a Service of this spec gets a ClusterIP (not ExternalName, not headless). */
export function usesClusterIp(spec: ServiceSpec | undefined): boolean {
  return (spec?.type ?? 'ClusterIP') !== 'ExternalName' && spec?.clusterIP !== CLUSTER_IP_NONE;
}

/** The ClusterIPs and NodePorts a stored Service holds. */
export function heldItems(svc: Service | undefined): HeldItems {
  const spec = svc?.spec;
  const ips = new Set<string>();
  const ports = new Set<number>();
  if (spec && usesClusterIp(spec)) {
    for (const ip of [spec.clusterIP, ...(Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [])]) if (typeof ip === 'string' && ip && ip !== CLUSTER_IP_NONE) ips.add(ip);
  }
  for (const p of Array.isArray(spec?.ports) ? spec!.ports : []) if (p && typeof p.nodePort === 'number' && p.nodePort > 0) ports.add(p.nodePort);
  return { ips, ports };
}

/** The owner of a Service's items. */
export function ownerOf(svc: Service): ItemOwner {
  const m = svc.metadata;
  return m.uid ? { namespace: m.namespace ?? '', name: m.name ?? '', uid: m.uid } : { namespace: m.namespace ?? '', name: m.name ?? '' };
}

/**
 * The ClusterIP and NodePort allocators of one apiserver (stateless: any number of replicas
 * share the store's records). Each takes items with a create-if-absent per item, so replicas
 * never hand out the same one.
 */
export class ServiceAllocators {
  readonly ips: StoreRangeAllocator;
  readonly nodePorts: StoreRangeAllocator;
  readonly clock: () => Date;
  readonly logger: ClientLogger | undefined;

  constructor(client: StoreClient, config: ServiceAllocatorConfig = {}) {
    const root = config.keyRoot ?? RANGES_ROOT;
    this.clock = config.clock ?? (() => new Date());
    this.logger = config.logger;
    const common = { client, random: config.random, clock: this.clock };
    this.ips = new StoreRangeAllocator({ ...common, range: serviceIpRange(config.serviceCidr ?? DEFAULT_SERVICE_CIDR), prefix: `${root}serviceips/` });
    this.nodePorts = new StoreRangeAllocator({ ...common, range: nodePortRange(config.nodePortRange ?? DEFAULT_NODE_PORT_RANGE), prefix: `${root}servicenodeports/` });
  }

  /** The ClusterIP reserved for the `kubernetes` Service: the range's first usable address. */
  get kubernetesServiceIp(): string {
    return this.ips.range.format(this.ips.range.first);
  }

  /** A new allocation transaction for one write of the Service owned by `owner`. */
  begin(owner: ItemOwner, serviceName: string, dryRun: boolean): AllocationTxn {
    return new AllocationTxn(this, owner, serviceName, dryRun);
  }
}

/**
 * The items one Service write takes: fill() allocates what the spec needs and writes it into
 * the spec; rollback() releases them when the write failed; commit() releases what the old
 * object held and the new one does not, once the write succeeded. A dry-run transaction checks
 * explicit values and fills automatic ones with currently free items but writes nothing.
 */
export class AllocationTxn {
  private takenIps: TakenItem[] = [];
  private takenPorts: TakenItem[] = [];

  constructor(
    private readonly allocators: ServiceAllocators,
    private readonly owner: ItemOwner,
    private readonly serviceName: string,
    private readonly dryRun: boolean,
  ) {}

  /** True when this transaction took items. */
  get took(): boolean {
    return this.takenIps.length + this.takenPorts.length > 0;
  }

  /**
   * Allocates what `spec` (defaulted) needs beyond what the stored object holds (`held`), in
   * place: a ClusterIP when it has none (and clusterIPs = [clusterIP]), a NodePort for every
   * port of a NodePort/LoadBalancer Service without one; explicit values not already held are
   * taken as given. `ipLocked`: the stored object already has a ClusterIP, so a different one is
   * the strategy's immutability error, not an allocation. Throws InvalidError (explicit value
   * taken or out of range) or InternalError (range full); what it took before the failure is
   * then released.
   */
  async fill(spec: ServiceSpec, held: HeldItems, ipLocked: boolean): Promise<void> {
    try {
      await this.fillIp(spec, held, ipLocked);
      await this.fillNodePorts(spec, held);
    } catch (err) {
      await this.rollback();
      throw err;
    }
  }

  /** Releases everything this transaction took (best effort: a failure leaves it to repair). */
  async rollback(): Promise<void> {
    const ips = this.takenIps;
    const ports = this.takenPorts;
    this.takenIps = [];
    this.takenPorts = [];
    await this.releaseTaken(this.allocators.ips, ips);
    await this.releaseTaken(this.allocators.nodePorts, ports);
  }

  /**
   * After a successful write: releases the items `old` held that `stored` (the object as
   * written; undefined when the write deleted it) does not, and this transaction's items the
   * written object does not hold. Best effort: a failed release is a leak for repair.
   */
  async commit(old: Service | undefined, stored: Service | undefined): Promise<void> {
    const keep = heldItems(stored);
    const before = heldItems(old);
    const ips = this.allocators.ips;
    const ports = this.allocators.nodePorts;
    await this.releaseTaken(ips, this.takenIps.filter((t) => !keep.ips.has(ips.range.format(t.item))));
    await this.releaseTaken(ports, this.takenPorts.filter((t) => !keep.ports.has(t.item)));
    this.takenIps = [];
    this.takenPorts = [];
    if (!old) return;
    await releaseHeld(this.allocators, ownerOf(old), {
      ips: new Set([...before.ips].filter((ip) => !keep.ips.has(ip))),
      ports: new Set([...before.ports].filter((p) => !keep.ports.has(p))),
    });
  }

  private async fillIp(spec: ServiceSpec, held: HeldItems, ipLocked: boolean): Promise<void> {
    if (!usesClusterIp(spec)) return;
    const ips = this.allocators.ips;
    const requested = spec.clusterIP || (Array.isArray(spec.clusterIPs) ? spec.clusterIPs[0] : undefined) || '';
    if (!requested) {
      if (ipLocked) return;
      let ip: string;
      try {
        ip = ips.range.format(this.dryRun ? await ips.peekNext() : this.keepIp(await ips.allocateNext(this.owner)));
      } catch (err) {
        throw this.fullError(err, 'serviceIP');
      }
      spec.clusterIP = ip;
      spec.clusterIPs = [ip];
      return;
    }
    if (ipLocked || held.ips.has(requested) || ips.range.parse(requested) === undefined) return;
    const shown = Array.isArray(spec.clusterIPs) && spec.clusterIPs.length > 0 ? spec.clusterIPs : [requested];
    try {
      if (this.dryRun) await ips.check(requested);
      else this.keepIp(await ips.allocate(requested, this.owner));
    } catch (err) {
      if (err instanceof ItemAllocatedError || err instanceof ItemNotInRangeError) {
        throw new InvalidError('Service', '', this.serviceName, [invalid('spec.clusterIPs', shown, `failed to allocate IP ${requested}: ${err.message}`)]);
      }
      throw err;
    }
    spec.clusterIP ||= requested;
    if (!Array.isArray(spec.clusterIPs) || spec.clusterIPs.length === 0) spec.clusterIPs = [requested];
  }

  private async fillNodePorts(spec: ServiceSpec, held: HeldItems): Promise<void> {
    if (!usesNodePorts(spec.type ?? 'ClusterIP') || !Array.isArray(spec.ports)) return;
    const nodePorts = this.allocators.nodePorts;
    const mine = new Set<number>(); // taken by this write (one port number may serve TCP and UDP)
    // Explicit ones first, so an automatic pick never takes a port another entry asks for.
    for (const [i, p] of spec.ports.entries()) {
      if (!p || typeof p.nodePort !== 'number' || p.nodePort === 0) continue;
      if (held.ports.has(p.nodePort) || mine.has(p.nodePort)) continue;
      try {
        if (this.dryRun) await nodePorts.check(String(p.nodePort));
        else this.keepPort(await nodePorts.allocate(String(p.nodePort), this.owner));
        mine.add(p.nodePort);
      } catch (err) {
        if (err instanceof ItemAllocatedError || err instanceof ItemNotInRangeError) {
          throw new InvalidError('Service', '', this.serviceName, [invalid(`spec.ports[${i}].nodePort`, p.nodePort, err.message)]);
        }
        throw err;
      }
    }
    for (const p of spec.ports) {
      if (!p || (typeof p.nodePort === 'number' && p.nodePort !== 0)) continue;
      try {
        p.nodePort = this.dryRun ? await nodePorts.peekNext() : this.keepPort(await nodePorts.allocateNext(this.owner));
      } catch (err) {
        throw this.fullError(err, 'nodePort');
      }
    }
  }

  private keepIp(t: TakenItem): number {
    this.takenIps.push(t);
    return t.item;
  }

  private keepPort(t: TakenItem): number {
    this.takenPorts.push(t);
    return t.item;
  }

  /** Kubernetes' answer to a full range: an internal error "failed to allocate a serviceIP: range is full". */
  private fullError(err: unknown, what: 'serviceIP' | 'nodePort'): unknown {
    if (err instanceof RangeFullError) return new InternalError(`Internal error occurred: failed to allocate a ${what}: ${err.message}`);
    return err;
  }

  private async releaseTaken(allocator: StoreRangeAllocator, taken: readonly TakenItem[]): Promise<void> {
    for (const t of taken) {
      try {
        await allocator.releaseTaken(t);
      } catch (err) {
        this.allocators.logger?.warn({ key: allocator.keyOf(t.item), err: String(err) }, 'could not release an allocated item; repair will');
      }
    }
  }
}

/** Releases the items `held` names if their records still name `owner` (best effort; failures are left to repair). */
export async function releaseHeld(allocators: ServiceAllocators, owner: ItemOwner, held: HeldItems): Promise<void> {
  const jobs: [StoreRangeAllocator, number | undefined][] = [
    ...[...held.ips].map((ip): [StoreRangeAllocator, number | undefined] => [allocators.ips, allocators.ips.range.parse(ip)]),
    ...[...held.ports].map((p): [StoreRangeAllocator, number | undefined] => [allocators.nodePorts, p]),
  ];
  for (const [allocator, item] of jobs) {
    if (item === undefined) continue;
    try {
      await allocator.release(item, owner);
    } catch (err) {
      allocators.logger?.warn({ key: allocator.keyOf(item), err: String(err) }, 'could not release an item of a deleted Service; repair will');
    }
  }
}
