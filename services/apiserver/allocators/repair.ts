import type { StoreClient } from '../../../store/client';
import { serviceStrategy, type Service } from '../kinds/core/service';
import { resourcePrefix } from '../registry/storage-keys';
import { storeCall } from '../registry/store-error-mapping';
import { inRange } from './item-range';
import type { StoreRangeAllocator } from './range-allocator';
import { heldItems, ownerOf, type ServiceAllocators } from './service-allocators';

/**
 * Records younger than this are never released by repair: a create or update may have taken
 * them and not yet written its Service (allocate-then-write).
 */
export const LEAK_GRACE_MS = 60_000;
/** How often the periodic repair runs (Kubernetes' repair controllers run every 3 minutes). */
export const REPAIR_INTERVAL_MS = 3 * 60_000;

/** What one repair pass found and did, as record keys. */
export interface RepairReport {
  /** Leaked records deleted: their owner is gone or no longer holds the item. */
  readonly released: string[];
  /** Items a Service holds that had no record: recorded for it. */
  readonly recorded: string[];
  /** Items held by two Services, or held by one while recorded for another: left alone, reported. */
  readonly conflicts: string[];
  /** Items a Service holds outside the configured range (the range changed): reported. */
  readonly outOfRange: string[];
}

/** Options of a repair pass. */
export interface RepairOptions {
  /** Only records at least this old are released (default LEAK_GRACE_MS). */
  readonly graceMs?: number;
}

/**
 * Kubernetes' repair controllers for ClusterIPs and NodePorts, in one pass over `services`
 * (every Service in the store, read before the records): releases each record whose owner
 * does not exist or does not hold its item (older than the grace period; a delete on the
 * record's revision, so a record taken again meanwhile stays), records items a Service holds
 * without a record, and reports items held twice or outside the range. Idempotent; safe to run
 * on several apiservers at once.
 */
export async function repairServiceAllocations(allocators: ServiceAllocators, services: readonly Service[], opts: RepairOptions = {}): Promise<RepairReport> {
  const report: RepairReport = { released: [], recorded: [], conflicts: [], outOfRange: [] };
  const graceMs = opts.graceMs ?? LEAK_GRACE_MS;
  const ipHolders = new Map<number, Service[]>();
  const portHolders = new Map<number, Service[]>();
  for (const svc of services) {
    const held = heldItems(svc);
    for (const ip of held.ips) addHolder(ipHolders, allocators.ips.range.parse(ip), svc);
    for (const port of held.ports) addHolder(portHolders, port, svc);
  }
  await repairOne(allocators, allocators.ips, ipHolders, graceMs, report);
  await repairOne(allocators, allocators.nodePorts, portHolders, graceMs, report);
  if (report.released.length + report.recorded.length + report.conflicts.length + report.outOfRange.length > 0) {
    allocators.logger?.warn({ ...report }, 'repaired Service allocations');
  }
  return report;
}

/** Every Service in the store (a linearizable read of the services prefix). */
export async function readAllServices(client: StoreClient): Promise<Service[]> {
  const res = await storeCall(() => client.get(resourcePrefix(serviceStrategy.info), { prefix: true }));
  const out: Service[] = [];
  for (const kv of res.kvs) {
    try {
      out.push(JSON.parse(kv.value.toString('utf8')) as Service);
    } catch {
      // A malformed value holds nothing.
    }
  }
  return out;
}

/** Reads every Service from the store and repairs (what the apiserver runs at start and periodically). */
export async function repairFromStore(allocators: ServiceAllocators, client: StoreClient, opts: RepairOptions = {}): Promise<RepairReport> {
  return repairServiceAllocations(allocators, await readAllServices(client), opts);
}

/** Runs repairFromStore every `intervalMs` until stopped (failures are logged and retried next time). */
export class AllocationRepairLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly allocators: ServiceAllocators,
    private readonly client: StoreClient,
    private readonly intervalMs: number = REPAIR_INTERVAL_MS,
  ) {}

  /** Starts the periodic pass (the first one after `intervalMs`; run repairFromStore at start yourself). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = repairFromStore(this.allocators, this.client)
        .catch((err) => this.allocators.logger?.warn({ err: String(err) }, 'Service allocation repair failed'))
        .finally(() => (this.running = undefined));
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Stops the loop; resolves once a pass in progress has ended. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}

function addHolder(holders: Map<number, Service[]>, item: number | undefined, svc: Service): void {
  if (item === undefined) return;
  const list = holders.get(item);
  if (list) list.push(svc);
  else holders.set(item, [svc]);
}

async function repairOne(
  allocators: ServiceAllocators,
  allocator: StoreRangeAllocator,
  holders: ReadonlyMap<number, Service[]>,
  graceMs: number,
  report: RepairReport,
): Promise<void> {
  const now = allocators.clock().getTime();
  const recorded = new Set<number>();
  for (const entry of await allocator.list()) {
    recorded.add(entry.item);
    const key = allocator.keyOf(entry.item);
    const owners = holders.get(entry.item) ?? [];
    const owner = entry.record?.owner;
    const holdsIt = owner !== undefined && owners.some((s) => s.metadata.namespace === owner.namespace && s.metadata.name === owner.name);
    if (holdsIt) continue;
    if (owners.length > 0) {
      report.conflicts.push(key); // held by a Service the record does not name
      continue;
    }
    const age = entry.record ? now - Date.parse(entry.record.allocatedAt) : Infinity;
    if (age < graceMs) continue; // NaN (no readable time) counts as old
    if (await allocator.releaseIfUnchanged(entry.item, entry.modRevision)) report.released.push(key);
  }
  for (const [item, owners] of holders) {
    const key = allocator.keyOf(item);
    if (!inRange(allocator.range, item)) {
      report.outOfRange.push(key);
      continue;
    }
    if (owners.length > 1) report.conflicts.push(key);
    if (recorded.has(item)) continue;
    if (await allocator.record(item, ownerOf(owners[0]!))) report.recorded.push(key);
  }
}
