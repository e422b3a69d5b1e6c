import * as pb from '../../gen/etcd/rpc';
import type { RpcMethod } from './endpoint';

/**
 * The etcd v3 RPCs the client uses. Paths come from the generated service definitions; the
 * message codecs are the generated ones, driven through int64-codec's reader and writer.
 */

function rpc<Req, Res>(
  def: { readonly path: string },
  request: RpcMethod<Req, Res>['request'],
  response: RpcMethod<Req, Res>['response'],
): RpcMethod<Req, Res> {
  return { path: def.path, request, response };
}

export const RANGE = rpc(pb.KVService.range, pb.RangeRequest, pb.RangeResponse);
export const PUT = rpc(pb.KVService.put, pb.PutRequest, pb.PutResponse);
export const DELETE_RANGE = rpc(pb.KVService.deleteRange, pb.DeleteRangeRequest, pb.DeleteRangeResponse);
export const TXN = rpc(pb.KVService.txn, pb.TxnRequest, pb.TxnResponse);
export const COMPACT = rpc(pb.KVService.compact, pb.CompactionRequest, pb.CompactionResponse);
export const WATCH = rpc(pb.WatchService.watch, pb.WatchRequest, pb.WatchResponse);
export const LEASE_GRANT = rpc(pb.LeaseService.leaseGrant, pb.LeaseGrantRequest, pb.LeaseGrantResponse);
export const LEASE_REVOKE = rpc(pb.LeaseService.leaseRevoke, pb.LeaseRevokeRequest, pb.LeaseRevokeResponse);
export const LEASE_KEEP_ALIVE = rpc(pb.LeaseService.leaseKeepAlive, pb.LeaseKeepAliveRequest, pb.LeaseKeepAliveResponse);
export const LEASE_TIME_TO_LIVE = rpc(pb.LeaseService.leaseTimeToLive, pb.LeaseTimeToLiveRequest, pb.LeaseTimeToLiveResponse);
export const MEMBER_LIST = rpc(pb.ClusterService.memberList, pb.MemberListRequest, pb.MemberListResponse);
export const STATUS = rpc(pb.MaintenanceService.status, pb.StatusRequest, pb.StatusResponse);
