import type { StoreClient } from '../../../store/client';
import { storeCall } from '../registry/store-error-mapping';
import { inRange, type ItemRange } from './item-range';

/** Random items tried (one create-if-absent each) before scanning the range for a free one. */
export const RANDOM_PROBE_ATTEMPTS = 8;
/** Free items a scan tries to take (others may take them first) before calling the range full. */
export const SCAN_TAKE_ATTEMPTS = 64;

/** Who holds an item: a Service (Kubernetes' IPAddress parentRef). */
export interface ItemOwner {
  readonly namespace: string;
  readonly name: string;
  /** The Service's uid when known (not on create: the registry assigns it with the write). */
  readonly uid?: string;
}

/** The value stored under an item's key. */
export interface AllocationRecord {
  readonly owner: ItemOwner;
  /** When the item was taken (RFC 3339 with milliseconds): repair leaves young records alone. */
  readonly allocatedAt: string;
}

/** One allocated item as the store holds it. */
export interface AllocatedItem {
  readonly item: number;
  /** Undefined when the stored value is not a record (repair treats it as leaked). */
  readonly record: AllocationRecord | undefined;
  readonly modRevision: number;
}

/** An item this process took: releasing it again is a delete on exactly this revision. */
export interface TakenItem {
  readonly item: number;
  readonly modRevision: number;
}

/** No free item is left ("range is full", Kubernetes' ErrFull). */
export class RangeFullError extends Error {
  override readonly name = 'RangeFullError';
  constructor() {
    super('range is full');
  }
}

/** The requested item is held by someone ("provided IP is already allocated"). */
export class ItemAllocatedError extends Error {
  override readonly name = 'ItemAllocatedError';
  constructor(noun: string) {
    super(`provided ${noun} is already allocated`);
  }
}

/** The requested item is outside the range (Kubernetes' ErrNotInRange). */
export class ItemNotInRangeError extends Error {
  override readonly name = 'ItemNotInRangeError';
}

/** Constructor parameters of a StoreRangeAllocator. */
export interface RangeAllocatorOptions {
  readonly client: StoreClient;
  readonly range: ItemRange;
  /** Key prefix of the records, ending with "/" (e.g. /registry/ranges/serviceips/). */
  readonly prefix: string;
  /** Random source in [0, 1) (default Math.random). */
  readonly random?: () => number;
  /** Wall clock for allocatedAt (default new Date()). */
  readonly clock?: () => Date;
}

/**
 * Hands out the items of a range with one store key per allocated item
 * (`<prefix><item>`, the value an AllocationRecord naming the owner), as Kubernetes' IPAddress
 * objects do. Taking an item is a create-if-absent transaction, so any number of apiservers
 * sharing the store never hand out one item twice; releasing is a delete. There is no
 * in-memory state: every answer comes from the store. Store failures are ApiErrors
 * (store-error-mapping); range outcomes are the typed errors above.
 */
export class StoreRangeAllocator {
  readonly range: ItemRange;
  readonly prefix: string;
  private readonly client: StoreClient;
  private readonly random: () => number;
  private readonly clock: () => Date;

  constructor(options: RangeAllocatorOptions) {
    if (!options.prefix.endsWith('/')) throw new Error(`StoreRangeAllocator: prefix ${options.prefix} must end with "/"`);
    this.client = options.client;
    this.range = options.range;
    this.prefix = options.prefix;
    this.random = options.random ?? Math.random;
    this.clock = options.clock ?? (() => new Date());
  }

  /** The store key of an item. */
  keyOf(item: number): string {
    return this.prefix + this.range.format(item);
  }

  /**
   * Takes a free, unreserved item for `owner`: RANDOM_PROBE_ATTEMPTS random probes in the
   * dynamic (upper) band, then a scan of the allocated keys from a random offset — the upper
   * band first, the static band only when the upper one is full (KEP-3070). RangeFullError
   * when none is free.
   */
  async allocateNext(owner: ItemOwner): Promise<TakenItem> {
    const upper = this.range.last - this.range.dynamicFirst + 1;
    for (let i = 0; i < RANDOM_PROBE_ATTEMPTS; i++) {
      const item = this.range.dynamicFirst + Math.floor(this.random() * upper);
      if (this.range.reserved.has(item)) continue;
      const taken = await this.tryTake(item, owner);
      if (taken) return taken;
    }
    let tries = 0;
    for (const item of await this.freeItems()) {
      const taken = await this.tryTake(item, owner);
      if (taken) return taken;
      if (++tries >= SCAN_TAKE_ATTEMPTS) break;
    }
    throw new RangeFullError();
  }

  /**
   * Takes the item `text` names for `owner`. ItemNotInRangeError when it is not an item of
   * the range; ItemAllocatedError when anyone (the same owner included) already holds it.
   */
  async allocate(text: string, owner: ItemOwner): Promise<TakenItem> {
    const item = this.checkInRange(text);
    const taken = await this.tryTake(item, owner);
    if (!taken) throw new ItemAllocatedError(this.range.noun);
    return taken;
  }

  /** Like allocate without the write (dry run): throws what allocate would, else returns the item. */
  async check(text: string): Promise<number> {
    const item = this.checkInRange(text);
    const res = await storeCall(() => this.client.get(this.keyOf(item), { countOnly: true }));
    if (res.count > 0) throw new ItemAllocatedError(this.range.noun);
    return item;
  }

  /** A currently free, unreserved item, without taking it (dry run); RangeFullError when none. */
  async peekNext(): Promise<number> {
    const free = await this.freeItems();
    if (free.length === 0) throw new RangeFullError();
    return free[0]!;
  }

  /** Releases an item this process took (a delete only if the record is still that write). */
  async releaseTaken(taken: TakenItem): Promise<boolean> {
    const res = await storeCall(() => this.client.deleteIfModRevision(this.keyOf(taken.item), taken.modRevision));
    return res.succeeded;
  }

  /**
   * Releases an item held by `owner`: deleted only when its record names that namespace/name
   * (so an item re-allocated to someone else in between stays). True when deleted.
   */
  async release(item: number, owner: ItemOwner): Promise<boolean> {
    const res = await storeCall(() => this.client.get(this.keyOf(item)));
    const kv = res.kvs[0];
    if (!kv) return false;
    const record = decodeRecord(kv.value);
    if (!record || record.owner.namespace !== owner.namespace || record.owner.name !== owner.name) return false;
    return this.releaseIfUnchanged(item, kv.modRevision);
  }

  /** Deletes an item's record if it is still at `modRevision` (repair). True when deleted. */
  async releaseIfUnchanged(item: number, modRevision: number): Promise<boolean> {
    const res = await storeCall(() => this.client.deleteIfModRevision(this.keyOf(item), modRevision));
    return res.succeeded;
  }

  /** Writes a record for an item a Service holds but the store does not record (repair). */
  async record(item: number, owner: ItemOwner): Promise<TakenItem | undefined> {
    return this.tryTake(item, owner);
  }

  /** Every allocated item with its record, in key order (keys that name no item are skipped). */
  async list(): Promise<AllocatedItem[]> {
    const res = await storeCall(() => this.client.get(this.prefix, { prefix: true }));
    const out: AllocatedItem[] = [];
    for (const kv of res.kvs) {
      const item = this.range.parse(kv.key.toString('utf8').slice(this.prefix.length));
      if (item === undefined) continue;
      out.push({ item, record: decodeRecord(kv.value), modRevision: kv.modRevision });
    }
    return out;
  }

  /** Create-if-absent of the item's record; undefined when someone holds it. */
  private async tryTake(item: number, owner: ItemOwner): Promise<TakenItem | undefined> {
    const record: AllocationRecord = { owner: { ...owner }, allocatedAt: this.clock().toISOString() };
    const res = await storeCall(() => this.client.createIfAbsent(this.keyOf(item), JSON.stringify(record)));
    return res.succeeded ? { item, modRevision: res.revision } : undefined;
  }

  /** The item `text` names; ItemNotInRangeError when it is not one of the range. */
  private checkInRange(text: string): number {
    const item = this.range.parse(text);
    if (item === undefined || !inRange(this.range, item)) throw new ItemNotInRangeError(this.range.notInRangeMessage(text));
    return item;
  }

  /**
   * Free unreserved items (at most SCAN_TAKE_ATTEMPTS, one keys-only read): the dynamic band's
   * from a random offset, wrapping around, then the static band's the same way.
   */
  private async freeItems(): Promise<number[]> {
    const res = await storeCall(() => this.client.get(this.prefix, { prefix: true, keysOnly: true }));
    const used = new Set<number>();
    for (const kv of res.kvs) {
      const item = this.range.parse(kv.key.toString('utf8').slice(this.prefix.length));
      if (item !== undefined) used.add(item);
    }
    const free: number[] = [];
    const bands: [number, number][] = [
      [this.range.dynamicFirst, this.range.last],
      [this.range.first, this.range.dynamicFirst - 1],
    ];
    for (const [low, high] of bands) {
      const size = high - low + 1;
      const start = Math.floor(this.random() * Math.max(size, 0));
      for (let i = 0; i < size && free.length < SCAN_TAKE_ATTEMPTS; i++) {
        const item = low + ((start + i) % size);
        if (!used.has(item) && !this.range.reserved.has(item)) free.push(item);
      }
    }
    return free;
  }
}

/** An AllocationRecord from a stored value, or undefined when it is not one. */
export function decodeRecord(value: Buffer): AllocationRecord | undefined {
  try {
    const v = JSON.parse(value.toString('utf8')) as Partial<AllocationRecord>;
    if (!v || typeof v !== 'object' || !v.owner || typeof v.owner.namespace !== 'string' || typeof v.owner.name !== 'string') return undefined;
    return { owner: v.owner, allocatedAt: typeof v.allocatedAt === 'string' ? v.allocatedAt : '' };
  } catch {
    return undefined;
  }
}
