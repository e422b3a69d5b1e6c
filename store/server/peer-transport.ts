import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { MessageBatch, RaftPeerClient, RaftPeerServer, StreamSummary } from '../../gen/bosun/raft';
import { Message, MessageType } from '../raft/types';
import { hostPortOf } from './member-config';
import { peerChannelCredentials, type TlsMaterial } from './member-tls';
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
/** Start of the status detail a member answers a stream meant for another member with. */
const WRONG_MEMBER_DETAIL = 'bosun: this peer stream is meant for another member';
/**
 * Wait before redialling a peer whose address reached the wrong member (or another cluster):
 * long enough not to hammer the resolver while the name still points to the old address.
 */
const REDIAL_BACKOFF_MS = 500;

/**
 * Opens a client for a peer's "host:port". Each client resolves the name afresh, which is how
 * the transport follows a peer whose name now resolves to a new address.
 */
export type PeerDialer = (target: string) => RaftPeerClient;

/**
 * The production dialer: a gRPC channel with {@link PEER_CHANNEL_OPTIONS}, mutual TLS with the
 * member's peer certificate when `tls` is given, plain text otherwise.
 */
export function peerDialer(tls: TlsMaterial | undefined): PeerDialer {
  const credentials = peerChannelCredentials(tls);
  return (target) => new RaftPeerClient(target, credentials, PEER_CHANNEL_OPTIONS);
}

/** The plain-text dialer (members started with --insecure). */
export const dialPeer: PeerDialer = peerDialer(undefined);

/** What the transport reports back to the member loop. */
export interface TransportHandlers {
  onMessage(m: Message): void;
  /** True for ids removed from the cluster: their streams are refused. */
  isRemoved(peerId: number): boolean;
  /** A peer refused our stream because this member was removed from the cluster. */
  onSelfRemoved(): void;
  onUnreachable(peerId: number): void;
  /**
   * Whether a snapshot sent to `peerId` left this member (ok) or was lost with its stream.
   * Called exactly once per Snap message handed to send(): raft keeps the follower in
   * snapshot state, sending it no appends, until it hears this.
   */
  onSnapshotStatus(peerId: number, ok: boolean): void;
}

/** The snapshots written on one call and not yet reported. */
interface CallState {
  unreportedSnapshots: number;
  ended: boolean;
}

/**
 * One outgoing stream to one peer; reopened lazily after a failure.
 *
 * A stream is checked at the other end: a member refuses a stream meant for another member or
 * from another cluster. Then the address we dial is no longer the peer's (under Docker a
 * restarted container gets a new IP and its old one may go to another member, while gRPC
 * keeps reconnecting to the address it resolved before), so the channel is replaced by a new
 * one that resolves the name again. Without the check the wrong member would drop every
 * message as misaddressed and the peer would never hear from us.
 */
class PeerStream {
  private client: RaftPeerClient;
  private call: grpc.ClientWritableStream<MessageBatch> | undefined;
  private callState: CallState = { unreportedSnapshots: 0, ended: true };
  private retryAt = 0;
  /** The last stream was refused as misaddressed (logged once per episode). */
  private misaddressed = false;

  constructor(
    readonly id: number,
    readonly target: string,
    private readonly clusterId: number,
    private readonly selfId: number,
    private readonly handlers: TransportHandlers,
    private readonly log: Logger,
    private readonly dial: PeerDialer,
  ) {
    this.client = dial(target);
  }

  /** Queues messages on the stream; drops them (reporting the peer unreachable) when it cannot. */
  send(messages: Message[]): void {
    const call = this.open();
    if (!call || call.writableLength > MAX_QUEUED_BYTES_PER_PEER) {
      this.dropped(messages);
      return;
    }
    const state = this.callState;
    const snapshots = messages.filter((m) => m.type === MessageType.Snap).length;
    state.unreportedSnapshots += snapshots;
    const batch: MessageBatch = { clusterId: this.clusterId, sender: this.selfId, receiver: this.id, messages: messages.map(messageToWire) };
    call.write(batch, (err: Error | null | undefined) => {
      // After the call ended its unreported snapshots were already reported as lost.
      if (snapshots === 0 || state.ended) return;
      state.unreportedSnapshots -= snapshots;
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
    const state: CallState = { unreportedSnapshots: 0, ended: false };
    const call = this.client.stream((err: grpc.ServiceError | null, _res: StreamSummary) => this.ended(call, state, err));
    call.on('error', () => {
      // Reported through the callback above; the listener keeps the error from being thrown.
    });
    this.call = call;
    this.callState = state;
    return call;
  }

  /** The call ended: report what it lost, and decide how to reconnect. */
  private ended(call: grpc.ClientWritableStream<MessageBatch>, state: CallState, err: grpc.ServiceError | null): void {
    if (this.call === call) this.call = undefined;
    state.ended = true;
    // A snapshot whose write never completed is lost: raft must hear so, or it would wait
    // for it forever and never send this follower another append.
    for (; state.unreportedSnapshots > 0; state.unreportedSnapshots--) this.handlers.onSnapshotStatus(this.id, false);
    if (!err || err.code === grpc.status.CANCELLED) return;
    if (err.code === grpc.status.FAILED_PRECONDITION && err.details === REMOVED_DETAIL) {
      this.handlers.onSelfRemoved();
      return;
    }
    if (err.code === grpc.status.FAILED_PRECONDITION) {
      // The address reached another member or another cluster: resolve the name again.
      if (!this.misaddressed) this.log.warn({ peer: this.id.toString(16), target: this.target, err: err.details }, 'peer address reaches the wrong member; resolving it again');
      this.misaddressed = true;
      this.redial();
      this.retryAt = Date.now() + REDIAL_BACKOFF_MS;
    } else {
      this.misaddressed = false;
      this.retryAt = Date.now() + RECONNECT_BACKOFF_MS;
      this.log.debug({ peer: this.id, err: err.message }, 'peer stream closed');
    }
    this.handlers.onUnreachable(this.id);
  }

  /** Replaces the channel, so the next stream starts from a fresh name resolution. */
  private redial(): void {
    this.client.close();
    this.client = this.dial(this.target);
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
    /** How peer channels are opened (tests inject their own resolution). */
    private readonly dial: PeerDialer = dialPeer,
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
    this.peers.set(id, new PeerStream(id, target, this.clusterId, this.selfId, this.handlers, this.log, this.dial));
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
          if (batch.receiver !== 0 && batch.receiver !== this.selfId) {
            // The sender dials an address that is no longer its peer's: tell it, so it
            // resolves the name again instead of talking to us forever.
            failed = true;
            this.log.warn({ sender: batch.sender.toString(16), meantFor: batch.receiver.toString(16) }, 'peer stream meant for another member refused');
            callback({ code: grpc.status.FAILED_PRECONDITION, details: `${WRONG_MEMBER_DETAIL}: meant for ${batch.receiver.toString(16)}, this is ${this.selfId.toString(16)}` });
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
