import * as grpc from '@grpc/grpc-js';
import {
  LeaseKeepAliveRequest,
  LeaseKeepAliveResponse,
  LeaseTimeToLiveRequest,
  LeaseTimeToLiveResponse,
  MemberPromoteRequest,
  MemberPromoteResponse,
} from '../../gen/etcd/rpc';
import { StoreInternalClient } from '../../gen/bosun/store';
import { ErrNoLeader, ErrTimeout, StoreError } from '../errors';
import { hostPortOf } from './member-config';
import { peerChannelCredentials, type TlsMaterial } from './member-tls';
import { PEER_CHANNEL_OPTIONS } from './peer-transport';

/** Deadline of one forwarded call. */
const FORWARD_TIMEOUT_MS = 3_000;

/** Turns a gRPC error from the leader back into the StoreError it stood for. */
function fromServiceError(err: grpc.ServiceError): StoreError {
  if (err.code === grpc.status.DEADLINE_EXCEEDED) return new ErrTimeout();
  return new StoreError(err.code, err.details || err.message);
}

/**
 * Calls the leader's StoreInternal service on its peer URL, for the lease calls only the
 * leader can answer (lease deadlines and learner progress are leader state). One channel per
 * leader target.
 */
export class LeaderForwarder {
  private client: StoreInternalClient | undefined;
  private target = '';

  private readonly credentials: grpc.ChannelCredentials;

  /** `peerTls`: the member's peer certificate, for mutual TLS with the leader's peer port (plain text without). */
  constructor(
    private readonly leaderPeerUrls: () => string[] | undefined,
    peerTls?: TlsMaterial,
  ) {
    this.credentials = peerChannelCredentials(peerTls);
  }

  private connect(): StoreInternalClient {
    const urls = this.leaderPeerUrls();
    if (!urls || urls.length === 0) throw new ErrNoLeader();
    const target = hostPortOf('peer-urls', urls[0]);
    if (!this.client || this.target !== target) {
      this.client?.close();
      this.client = new StoreInternalClient(target, this.credentials, PEER_CHANNEL_OPTIONS);
      this.target = target;
    }
    return this.client;
  }

  private call<Req, Res>(method: 'leaseRenew' | 'leaseTimeToLive' | 'memberPromote', req: Req): Promise<Res> {
    const client = this.connect();
    const deadline = new Date(Date.now() + FORWARD_TIMEOUT_MS);
    return new Promise<Res>((resolve, reject) => {
      const fn = client[method].bind(client) as unknown as (
        r: Req,
        md: grpc.Metadata,
        o: Partial<grpc.CallOptions>,
        cb: (e: grpc.ServiceError | null, res: Res) => void,
      ) => void;
      fn(req, new grpc.Metadata(), { deadline }, (err, res) => (err ? reject(fromServiceError(err)) : resolve(res)));
    });
  }

  renew(req: LeaseKeepAliveRequest): Promise<LeaseKeepAliveResponse> {
    return this.call('leaseRenew', req);
  }

  timeToLive(req: LeaseTimeToLiveRequest): Promise<LeaseTimeToLiveResponse> {
    return this.call('leaseTimeToLive', req);
  }

  memberPromote(req: MemberPromoteRequest): Promise<MemberPromoteResponse> {
    return this.call('memberPromote', req);
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }
}
