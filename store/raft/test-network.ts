/**
 * Test support: an in-process network of RaftNodes with no clock and no sockets.
 *
 * Each member has a MemoryStorage and is driven like the member loop drives it: for every
 * Ready, persist (snapshot, entries, hard state), queue the messages, apply committed entries
 * (ConfChange entries go through applyConfChange), then advance(). Messages are delivered in
 * FIFO order by stabilize(); links can be cut, members isolated, and any message dropped with
 * a filter. Deterministic: the only randomness is a seeded PRNG per member.
 */
import { decodeConfChange } from './conf-change';
import { MemoryStorage } from './memory-storage';
import { RaftConfig, RaftNode } from './raft-node';
import { Entry, EntryType, Message, MessageType, ReadState, Snapshot, StateRole } from './types';

/** A small seeded PRNG (mulberry32) returning numbers in [0,1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Raft settings shared by every member of a test network (id/storage/peers are per member). */
export type NetworkConfig = Omit<RaftConfig, 'id' | 'storage' | 'peers'>;

/** Defaults: electionTick 10, heartbeatTick 1, no pre-vote, no check-quorum, generous limits. */
export function defaultNetworkConfig(): NetworkConfig {
  return {
    electionTick: 10,
    heartbeatTick: 1,
    maxSizePerMsg: 1024 * 1024,
    maxInflightMsgs: 256,
    preVote: false,
    checkQuorum: false,
    random: Math.random, // replaced per member by a seeded PRNG
  };
}

/** Encodes a string as entry data. */
export function bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** Decodes entry data as a string. */
export function text(b: Uint8Array): string {
  return new TextDecoder().decode(b);
}

/** An in-process raft cluster for tests. */
export class Network {
  readonly nodes = new Map<number, RaftNode>();
  readonly storages = new Map<number, MemoryStorage>();
  /** Non-empty Normal entries applied by each member, in order. */
  readonly applied = new Map<number, Entry[]>();
  /** Every committed entry handed to each member for applying (including empty and conf changes). */
  readonly appliedAll = new Map<number, Entry[]>();
  /** ReadStates each member received. */
  readonly readStates = new Map<number, ReadState[]>();
  /** Snapshots each member installed from a Ready. */
  readonly snapshotsInstalled = new Map<number, Snapshot[]>();
  /** Every message that was delivered, in delivery order. */
  readonly delivered: Message[] = [];
  /** Return false to drop a message. Checked after cuts and isolation. */
  filter: ((m: Message) => boolean) | undefined = undefined;
  /** Messages produced but not yet delivered. */
  queue: Message[] = [];

  private readonly cuts = new Set<string>();
  private readonly isolated = new Set<number>();
  private readonly configs = new Map<number, NetworkConfig>();

  /** A network whose members `ids` bootstrap a new cluster together. */
  static create(ids: number[], overrides: Partial<NetworkConfig> = {}): Network {
    const net = new Network();
    for (const id of ids) net.addNode(id, { peers: ids, ...overrides });
    net.stabilize();
    return net;
  }

  /**
   * Adds a member. With `storage` it restarts from that state; with `peers` it bootstraps;
   * with neither it waits to be contacted (a member joining an existing cluster).
   */
  addNode(id: number, opts: Partial<NetworkConfig> & { storage?: MemoryStorage; peers?: number[]; applied?: number } = {}): RaftNode {
    const { storage, peers, ...rest } = opts;
    const cfg: NetworkConfig = { ...defaultNetworkConfig(), random: seededRandom(id * 7919), ...rest };
    this.configs.set(id, cfg);
    const st = storage ?? new MemoryStorage();
    const node = new RaftNode({ ...cfg, id, storage: st, peers });
    this.nodes.set(id, node);
    this.storages.set(id, st);
    if (!this.applied.has(id)) this.applied.set(id, []);
    if (!this.appliedAll.has(id)) this.appliedAll.set(id, []);
    if (!this.readStates.has(id)) this.readStates.set(id, []);
    if (!this.snapshotsInstalled.has(id)) this.snapshotsInstalled.set(id, []);
    return node;
  }

  /**
   * Crashes and restarts a member from its storage: everything not persisted is lost and the
   * state machine is rebuilt by re-applying from the snapshot.
   */
  restart(id: number): RaftNode {
    const st = this.storages.get(id);
    if (st === undefined) throw new Error(`no member ${id}`);
    this.queue = this.queue.filter((m) => m.from !== id && m.to !== id);
    this.applied.set(id, []);
    this.appliedAll.set(id, []);
    return this.addNode(id, { ...this.configs.get(id), storage: st });
  }

  /** The member with this id (throws if absent). */
  node(id: number): RaftNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no member ${id}`);
    return n;
  }

  /** The storage of member `id`. */
  storage(id: number): MemoryStorage {
    const s = this.storages.get(id);
    if (s === undefined) throw new Error(`no member ${id}`);
    return s;
  }

  /** Processes one Ready of member `id` like the member loop; returns its messages (not queued). */
  handleReady(id: number): Message[] {
    const node = this.node(id);
    const st = this.storage(id);
    const rd = node.ready();
    if (rd.snapshot !== undefined) {
      st.applySnapshot(rd.snapshot);
      this.snapshotsInstalled.get(id)!.push(rd.snapshot);
      this.applied.set(id, []); // the state machine is replaced by the snapshot's
    }
    st.append(rd.entries);
    if (rd.hardState !== undefined) st.setHardState(rd.hardState);
    for (const e of rd.committedEntries) {
      this.appliedAll.get(id)!.push(e);
      if (e.type === EntryType.ConfChange) {
        const cs = node.applyConfChange(decodeConfChange(e.data));
        st.setConfState(cs);
      } else if (e.data.byteLength > 0) {
        this.applied.get(id)!.push(e);
      }
    }
    this.readStates.get(id)!.push(...rd.readStates);
    node.advance(rd);
    for (const m of rd.messages) {
      if (m.from !== id) throw new Error(`member ${id} sent a message from ${m.from}`);
      if (m.to === id) throw new Error(`member ${id} sent a message to itself`);
    }
    return rd.messages;
  }

  /** Handles Readies of every member until none has work; queues all messages. */
  processReadies(): void {
    let progressed = true;
    while (progressed) {
      progressed = false;
      for (const id of [...this.nodes.keys()].sort((a, b) => a - b)) {
        const node = this.nodes.get(id)!;
        while (node.hasReady()) {
          this.queue.push(...this.handleReady(id));
          progressed = true;
        }
      }
    }
  }

  /** True if the network would drop `m`. */
  drops(m: Message): boolean {
    if (this.isolated.has(m.from) || this.isolated.has(m.to)) return true;
    if (this.cuts.has(`${m.from}-${m.to}`)) return true;
    return this.filter !== undefined && !this.filter(m);
  }

  /** Delivers one message (unless dropped); reports snapshot delivery to the sender. */
  deliver(m: Message): void {
    const to = this.nodes.get(m.to);
    const dropped = to === undefined || this.drops(m);
    if (!dropped) {
      this.delivered.push(m);
      to.step(m);
    }
    if (m.type === MessageType.Snap) this.nodes.get(m.from)?.reportSnapshot(m.to, !dropped);
  }

  /** Delivers queued messages and processes Readies until nothing is left. Returns messages delivered. */
  stabilize(maxRounds = 10_000): number {
    let count = 0;
    for (let round = 0; round < maxRounds; round++) {
      this.processReadies();
      if (this.queue.length === 0) return count;
      const batch = this.queue;
      this.queue = [];
      for (const m of batch) {
        this.deliver(m);
        count++;
      }
    }
    throw new Error(`network did not stabilize within ${maxRounds} rounds`);
  }

  /** Ticks member `id` n times, stabilizing after each tick. */
  tick(id: number, n = 1): void {
    for (let i = 0; i < n; i++) {
      this.node(id).tick();
      this.stabilize();
    }
  }

  /** Ticks every member n times, stabilizing after each round. */
  tickAll(n = 1): void {
    for (let i = 0; i < n; i++) {
      for (const id of [...this.nodes.keys()].sort((a, b) => a - b)) this.node(id).tick();
      this.stabilize();
    }
  }

  /** Makes `id` campaign and stabilizes. */
  elect(id: number): void {
    this.node(id).campaign();
    this.stabilize();
  }

  /** Proposes `data` at member `id` and stabilizes; returns the propose result. */
  propose(id: number, data: string): ReturnType<RaftNode['propose']> {
    const r = this.node(id).propose(bytes(data));
    this.stabilize();
    return r;
  }

  /** Drops messages in both directions between a and b. */
  cut(a: number, b: number): void {
    this.cuts.add(`${a}-${b}`);
    this.cuts.add(`${b}-${a}`);
  }

  /** Drops every message to or from `id`. */
  isolate(id: number): void {
    this.isolated.add(id);
  }

  /** Restores every link and removes the filter. */
  heal(): void {
    this.cuts.clear();
    this.isolated.clear();
    this.filter = undefined;
  }

  /** Ids of members that currently believe they are leader. */
  leaders(): number[] {
    return [...this.nodes.entries()].filter(([, n]) => n.role === StateRole.Leader).map(([id]) => id);
  }

  /** Applied application payloads of member `id`, as strings. */
  appliedData(id: number): string[] {
    return this.applied.get(id)!.map((e) => text(e.data));
  }
}
