import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import {
  LeaseGrantRequest,
  LeaseGrantResponse,
  LeaseKeepAliveRequest,
  LeaseKeepAliveResponse,
  LeaseLeasesResponse,
  LeaseRevokeRequest,
  LeaseRevokeResponse,
  LeaseServer,
  LeaseTimeToLiveRequest,
  LeaseTimeToLiveResponse,
} from '../../gen/etcd/rpc';
import { ErrLeaseNotFound, ErrNoLeader } from '../errors';
import { toServiceError, unary } from './grpc-edge';
import { LeaderForwarder } from './leader-forwarder';
import { StoreMember } from './member';
import { ResponseHeaders } from './response-headers';

/** A fresh lease id: positive, 48 bits, so it is exact as a JS number and as an int64. */
function newLeaseId(): number {
  const id = randomBytes(6).readUIntBE(0, 6);
  return id === 0 ? 1 : id;
}

/** Leader-only lease answers, shared by the local path and the forwarded (StoreInternal) path. */
export class LeaseAuthority {
  constructor(
    private readonly member: StoreMember,
    private readonly forwarder: LeaderForwarder,
  ) {}

  /** Renews on the leader; a follower forwards. Unknown leases answer TTL 0, like etcd. */
  async renew(req: LeaseKeepAliveRequest): Promise<LeaseKeepAliveResponse> {
    if (!this.member.isLeader()) {
      if (this.member.leaderId() === 0) throw new ErrNoLeader();
      return this.forwarder.renew(req);
    }
    try {
      return { header: undefined, ID: req.ID, TTL: this.member.sm.renewLease(req.ID) };
    } catch (err) {
      if (err instanceof ErrLeaseNotFound) return { header: undefined, ID: req.ID, TTL: 0 };
      throw err;
    }
  }

  /** Remaining time lives on the leader; unknown leases answer TTL -1, like etcd. */
  async timeToLive(req: LeaseTimeToLiveRequest): Promise<LeaseTimeToLiveResponse> {
    if (!this.member.isLeader()) {
      if (this.member.leaderId() === 0) throw new ErrNoLeader();
      return this.forwarder.timeToLive(req);
    }
    try {
      const t = this.member.sm.leaseTimeToLive(req.ID, req.keys);
      return { header: undefined, ID: req.ID, TTL: t.ttl, grantedTTL: t.grantedTtl, keys: t.keys };
    } catch (err) {
      if (err instanceof ErrLeaseNotFound) return { header: undefined, ID: req.ID, TTL: -1, grantedTTL: 0, keys: [] };
      throw err;
    }
  }
}

/** etcd's Lease service. Grants and revokes go through raft; renewals go to the leader. */
export function leaseService(member: StoreMember, authority: LeaseAuthority, headers: ResponseHeaders, log: Logger): LeaseServer {
  return {
    leaseGrant: unary(log, 'LeaseGrant', async (req: LeaseGrantRequest): Promise<LeaseGrantResponse> => {
      const ID = req.ID !== 0 ? req.ID : newLeaseId();
      const result = await member.propose({ leaseGrant: { TTL: req.TTL, ID } });
      if (result.error) throw result.error;
      return headers.fill(result.response as LeaseGrantResponse);
    }),
    leaseRevoke: unary(log, 'LeaseRevoke', async (req: LeaseRevokeRequest): Promise<LeaseRevokeResponse> => {
      const result = await member.propose({ leaseRevoke: req });
      if (result.error) throw result.error;
      return headers.fill(result.response as LeaseRevokeResponse);
    }),
    leaseTimeToLive: unary(log, 'LeaseTimeToLive', async (req: LeaseTimeToLiveRequest) =>
      headers.fill(await authority.timeToLive(req)),
    ),
    leaseLeases: unary(log, 'LeaseLeases', (): LeaseLeasesResponse =>
      headers.fill({ header: undefined, leases: member.sm.leaseIds().map((ID) => ({ ID })) }),
    ),
    leaseKeepAlive: (call) => {
      // Answers are sent in request order even though renewals may be forwarded.
      let chain = Promise.resolve();
      call.on('data', (req: LeaseKeepAliveRequest) => {
        chain = chain.then(async () => {
          try {
            const res = await authority.renew(req);
            if (!call.writableEnded && !call.cancelled) call.write(headers.fill(res));
          } catch (err) {
            // grpc-js ends a server stream with this status when 'error' is emitted.
            if (!call.cancelled) call.emit('error', toServiceError(err));
          }
        });
      });
      call.on('end', () => {
        void chain.then(() => call.end());
      });
      call.on('error', () => undefined);
    },
  };
}
