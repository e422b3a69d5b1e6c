import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { MessageBatch, RaftPeerClient, RaftPeerServer, StreamSummary } from '../../gen/bosun/raft';
import { Message, MessageType } from '../raft/types';
import { hostPortOf } from './member-config';
import { messageFromWire, messageToWire } from './raft-codec';

/** Bytes queued on one peer stream beyond which further messages are dropped (raft resends). */
const MAX_QUEUED_BYTES_PER_PEER = 16 * 1024 * 1024;
/** Wait before reconnecting to a peer whose stream failed. */
const RECONNECT_BACKOFF_MS = 100;
/**
 * How often every member sends an empty batch to every peer. Raft alone is not enough to tell
 * who is connected (a follower hears only from the leader); the probes let each member know
 * which peers reach it, for etcd's "every voter connected for 5 s" reconfiguration check.
 */
export const PROBE_INTERVAL_MS = 500;
/** A peer not heard from for this long counts as disconnected. */
const PEER_SILENCE_MS = 3 * PROBE_INTERVAL_MS;
/** Largest peer message (snapshots travel inline). */
export const MAX_PEER_MESSAGE_BYTES = 1024 * 1024 * 1024;

/** gRPC channel options for peer connections: big messages, quick detection of dead peers. */
export const PEER_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_send_message_length': MAX_PEER_MESSAGE_BYTES,
  'grpc.max_receive_message_length': MAX_PEER_MESSAGE_BYTES,
  'grpc.keepalive_time_ms': 5_000,
  'grpc.keepalive_timeout_ms': 3_000,
  'grpc.initial_reconnect_backoff_ms': RECONNECT_BACKOFF_MS,
  'grpc.max_reconnect_backoff_ms': 1_000,
  // Under Docker a restarted member may come back on a new address: re-resolve names quickly.
  'grpc.dns_min_time_between_resolutions_ms': 1_000,
};

/** The status detail a member answers a removed member's stream with. */
const REMOVED_DETAIL = 'bosun: the sending member was removed from the cluster';

/** What the transport reports back to the member loop. */
export interface TransportHandlers {
  onMessage(m: Message): void;
  /** True for ids removed from the cluster: their streams are refused. */
  isRemoved(peerId: number): boolean;
  /** A peer refused our stream because this member was removed from the cluster. */
  onSelfRemoved(): void;
  onUnreachable(peerId: number): void;
  onSnapshotStatus(peerId: number, ok: boolean): void;
}

/** One outgoing stream to one peer; reopened lazily after a failure. */
class PeerStream {
  private client: RaftPeerClient;
  private call: grpc.ClientWritableStream<MessageBatch> | undefined;
  private retryAt = 0;

  constructor(
    readonly id: number,
    readonly target: string,
    private readonly clusterId: number,
    private readonly selfId: number,
    private readonly handlers: TransportHandlers,
    private readonly log: Logger,
  ) {
    this.client = new RaftPeerClient(target, grpc.credentials.createInsecure(), PEER_CHANNEL_OPTIONS);
  }

  /** Queues messages on the stream; drops them (reporting the peer unreachable) when it cannot. */
  send(messages: Message[]): void {
    const call = this.open();
    if (!call || call.writableLength > MAX_QUEUED_BYTES_PER_PEER) {
      this.dropped(messages);
      return;
    }
    const snapshots = messages.filter((m) => m.type === MessageType.Snap).length;
    const batch: MessageBatch = { clusterId: this.clusterId, sender: this.selfId, messages: messages.map(messageToWire) };
    call.write(batch, (err: Error | null | undefined) => {
      for (let i = 0; i < snapshots; i++) this.handlers.onSnapshotStatus(this.id, !err);
    });
  }

  private dropped(messages: Message[]): void {
    this.handlers.onUnreachable(this.id);
    for (const m of messages) if (m.type === MessageType.Snap) this.handlers.onSnapshotStatus(this.id, false);
  }

  private open(): grpc.ClientWritableStream<MessageBatch> | undefined {
    if (this.call) return this.call;
    if (Date.now() < this.retryAt) return undefined;
    const call = this.client.stream((err: grpc.ServiceError | null, _res: StreamSummary) => {
      if (this.call === call) this.call = undefined;
      if (err && err.code === grpc.status.FAILED_PRECONDITION && err.details === REMOVED_DETAIL) {
        this.handlers.onSelfRemoved();
        return;
      }
      if (err && err.code !== grpc.status.CANCELLED) {
        this.retryAt = Date.now() + RECONNECT_BACKOFF_MS;
        this.log.debug({ peer: this.id, err: err.message }, 'peer stream closed');
        this.handlers.onUnreachable(this.id);
      }
    });
    call.on('error', () => {
      // Reported through the callback above; the listener keeps the error from being thrown.
    });
    this.call = call;
    return call;
  }

  close(): void {
    this.call?.cancel();
    this.call = undefined;
    this.client.close();
  }
}

/**
 * Carries raft messages between store members over long-lived gRPC client streams (one per
 * ordered pair of members). Delivery is best effort, which is all raft needs: a message lost
 * with a broken connection is resent by raft's own retries.
 */
export class PeerTransport {
  private readonly peers = new Map<number, PeerStream>();
  /** When each peer's current unbroken run of incoming traffic began (ms since epoch). */
  private readonly activeSince = new Map<number, number>();
  /** When each peer was last heard from (ms since epoch). */
  private readonly lastHeard = new Map<number, number>();
  private readonly probeTimer: NodeJS.Timeout;

  private readonly handlers: TransportHandlers;

  constructor(
    private readonly selfId: number,
    private readonly clusterId: number,
    handlers: TransportHandlers,
    private readonly log: Logger,
  ) {
    // A peer we cannot reach is no longer "active": wrap the callback to forget it.
    this.handlers = {
      ...handlers,
      onUnreachable: (id) => {
        this.activeSince.delete(id);
        handlers.onUnreachable(id);
      },
    };
    this.probeTimer = setInterval(() => {
      for (const peer of this.peers.values()) peer.send([]);
    }, PROBE_INTERVAL_MS);
    this.probeTimer.unref();
  }

  /**
   * True when every given peer has been sending to us without a break since `since` (ms):
   * etcd's check before a membership change, so a change is never made on a shaky quorum.
   */
  connectedFullySince(peerIds: number[], since: number): boolean {
    return this.connectedSince(peerIds, since) === peerIds.length;
  }

  /** How many of the given members (this one included) have been active without a break since `since`. */
  connectedSince(peerIds: number[], since: number): number {
    return peerIds.filter((id) => id === this.selfId || (this.isActive(id) && (this.activeSince.get(id) ?? Infinity) <= since)).length;
  }

  /** True while a peer is sending to us (probes included). */
  isActive(peerId: number): boolean {
    const heard = this.lastHeard.get(peerId);
    if (heard === undefined || Date.now() - heard > PEER_SILENCE_MS) {
      this.activeSince.delete(peerId);
      return false;
    }
    return this.activeSince.has(peerId);
  }

  /** Adds or updates a peer (its first peer URL is dialled). */
  setPeer(id: number, peerUrls: string[]): void {
    if (id === this.selfId || peerUrls.length === 0) return;
    const target = hostPortOf('peer-urls', peerUrls[0]);
    const existing = this.peers.get(id);
    if (existing && existing.target === target) return;
    existing?.close();
    this.peers.set(id, new PeerStream(id, target, this.clusterId, this.selfId, this.handlers, this.log));
  }

  removePeer(id: number): void {
    this.peers.get(id)?.close();
    this.peers.delete(id);
  }

  /** Sends messages, grouped per destination so each peer gets one batch. */
  send(messages: Message[]): void {
    const byPeer = new Map<number, Message[]>();
    for (const m of messages) {
      const list = byPeer.get(m.to);
      if (list) list.push(m);
      else byPeer.set(m.to, [m]);
    }
    for (const [to, list] of byPeer) {
      const peer = this.peers.get(to);
      if (peer) peer.send(list);
      else this.log.debug({ to }, 'message to unknown peer dropped');
    }
  }

  /** The gRPC handler that receives other members' streams. */
  service(): RaftPeerServer {
    return {
      stream: (call, callback) => {
        let received = 0;
        let failed = false;
        let from = 0;
        call.on('data', (batch: MessageBatch) => {
          if (failed) return;
          if (batch.clusterId !== this.clusterId) {
            failed = true;
            this.log.warn({ theirs: batch.clusterId, ours: this.clusterId }, 'peer stream from another cluster refused');
            callback({ code: grpc.status.FAILED_PRECONDITION, details: `cluster id mismatch: ${batch.clusterId} is not ${this.clusterId}` });
            return;
          }
          if (this.handlers.isRemoved(batch.sender)) {
            failed = true;
            callback({ code: grpc.status.FAILED_PRECONDITION, details: REMOVED_DETAIL });
            return;
          }
          if (from === 0 && batch.sender !== 0) from = batch.sender;
          if (from !== 0) {
            const now = Date.now();
            const heard = this.lastHeard.get(from);
            if (heard === undefined || now - heard > PEER_SILENCE_MS || !this.activeSince.has(from)) this.activeSince.set(from, now);
            this.lastHeard.set(from, now);
          }
          for (const wireMsg of batch.messages) {
            const m = messageFromWire(wireMsg);
            if (m && m.to === this.selfId) this.handlers.onMessage(m);
            received++;
          }
        });
        call.on('end', () => {
          this.activeSince.delete(from);
          if (!failed) callback(null, { received });
        });
        call.on('error', () => {
          this.activeSince.delete(from);
          failed = true;
        });
      },
    };
  }

  close(): void {
    clearInterval(this.probeTimer);
    for (const p of this.peers.values()) p.close();
    this.peers.clear();
  }
}
