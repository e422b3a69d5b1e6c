import { status as GrpcStatus } from '@grpc/grpc-js';

/**
 * The store's domain errors. Each carries the gRPC status code and the exact message text an
 * etcd v3 server answers with, so clients (etcdctl, clientv3, our own client) recognise them.
 * Conversion to a gRPC status happens once, at the API edge (store/server), from these fields.
 */
export class StoreError extends Error {
  override readonly name: string = 'StoreError';
  constructor(
    readonly code: GrpcStatus,
    message: string,
  ) {
    super(message);
  }
}

/** Declares a StoreError subclass with a fixed code and message. */
function fixedError(name: string, code: GrpcStatus, message: string) {
  return class extends StoreError {
    override readonly name = name;
    constructor() {
      super(code, message);
    }
  };
}

// KV
export const ErrEmptyKey = fixedError('ErrEmptyKey', GrpcStatus.INVALID_ARGUMENT, 'etcdserver: key is not provided');
export const ErrKeyNotFound = fixedError('ErrKeyNotFound', GrpcStatus.INVALID_ARGUMENT, 'etcdserver: key not found');
export const ErrValueProvided = fixedError('ErrValueProvided', GrpcStatus.INVALID_ARGUMENT, 'etcdserver: value is provided');
export const ErrLeaseProvided = fixedError('ErrLeaseProvided', GrpcStatus.INVALID_ARGUMENT, 'etcdserver: lease is provided');
export const ErrTooManyOps = fixedError('ErrTooManyOps', GrpcStatus.INVALID_ARGUMENT, 'etcdserver: too many operations in txn request');
export const ErrDuplicateKey = fixedError('ErrDuplicateKey', GrpcStatus.INVALID_ARGUMENT, 'etcdserver: duplicate key given in txn request');
export const ErrCompacted = fixedError('ErrCompacted', GrpcStatus.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted');
export const ErrFutureRev = fixedError('ErrFutureRev', GrpcStatus.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision');
export const ErrRequestTooLarge = fixedError('ErrRequestTooLarge', GrpcStatus.INVALID_ARGUMENT, 'etcdserver: request is too large');

// Lease
export const ErrLeaseNotFound = fixedError('ErrLeaseNotFound', GrpcStatus.NOT_FOUND, 'etcdserver: requested lease not found');
export const ErrLeaseExist = fixedError('ErrLeaseExist', GrpcStatus.FAILED_PRECONDITION, 'etcdserver: lease already exists');
export const ErrLeaseTTLTooLarge = fixedError('ErrLeaseTTLTooLarge', GrpcStatus.OUT_OF_RANGE, 'etcdserver: too large lease TTL');

// Cluster
export const ErrMemberExist = fixedError('ErrMemberExist', GrpcStatus.FAILED_PRECONDITION, 'etcdserver: member ID already exist');
export const ErrPeerURLExist = fixedError('ErrPeerURLExist', GrpcStatus.FAILED_PRECONDITION, 'etcdserver: Peer URLs already exists');
export const ErrMemberNotFound = fixedError('ErrMemberNotFound', GrpcStatus.NOT_FOUND, 'etcdserver: member not found');
export const ErrMemberBadURLs = fixedError('ErrMemberBadURLs', GrpcStatus.INVALID_ARGUMENT, 'etcdserver: given member URLs are invalid');
export const ErrNotEnoughStartedMembers = fixedError('ErrNotEnoughStartedMembers', GrpcStatus.FAILED_PRECONDITION, 'etcdserver: re-configuration failed due to not enough started members');
export const ErrUnhealthy = fixedError('ErrUnhealthy', GrpcStatus.UNAVAILABLE, 'etcdserver: unhealthy cluster');
export const ErrLearnerNotReady = fixedError('ErrLearnerNotReady', GrpcStatus.FAILED_PRECONDITION, 'etcdserver: can only promote a learner member which is in sync with leader');
export const ErrMemberNotLearner = fixedError('ErrMemberNotLearner', GrpcStatus.FAILED_PRECONDITION, 'etcdserver: can only promote a learner member');

// Server / raft
export const ErrNoLeader = fixedError('ErrNoLeader', GrpcStatus.UNAVAILABLE, 'etcdserver: no leader');
export const ErrNotLeader = fixedError('ErrNotLeader', GrpcStatus.FAILED_PRECONDITION, 'etcdserver: not leader');
export const ErrLeaderChanged = fixedError('ErrLeaderChanged', GrpcStatus.UNAVAILABLE, 'etcdserver: leader changed');
export const ErrStopped = fixedError('ErrStopped', GrpcStatus.UNAVAILABLE, 'etcdserver: server stopped');
export const ErrTimeout = fixedError('ErrTimeout', GrpcStatus.UNAVAILABLE, 'etcdserver: request timed out');
export const ErrTimeoutDueToLeaderFail = fixedError('ErrTimeoutDueToLeaderFail', GrpcStatus.UNAVAILABLE, 'etcdserver: request timed out, possibly due to previous leader failure');
export const ErrTooManyRequests = fixedError('ErrTooManyRequests', GrpcStatus.RESOURCE_EXHAUSTED, 'etcdserver: too many requests');
export const ErrBadLeaderTransferee = fixedError('ErrBadLeaderTransferee', GrpcStatus.FAILED_PRECONDITION, 'etcdserver: bad leader transferee');

// Watch
export const ErrWatchCanceled = fixedError('ErrWatchCanceled', GrpcStatus.CANCELLED, 'etcdserver: watch canceled');
