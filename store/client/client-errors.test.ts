import { status as GrpcStatus, Metadata, type ServiceError } from '@grpc/grpc-js';
import { expect } from 'chai';
import * as E from '../errors';
import { backoffDelayMs, INITIAL_BACKOFF_MS, MAX_BACKOFF_MS } from './backoff';
import { decideOnFailure, EndpointsUnavailableError, toStoreError, WatchCompactedError } from './client-errors';
import { normalizeEndpoint } from './endpoint';
import { freePorts } from './test-etcd';
import { StoreClient } from './store-client';
import { prefixRangeEnd } from './txn-builder';

function grpcError(code: GrpcStatus, details: string): ServiceError {
  return Object.assign(new Error(`${code} ${GrpcStatus[code]}: ${details}`), { code, details, metadata: new Metadata() });
}

describe('store client: error mapping and retry rules', () => {
  it('maps etcd messages to catalog classes, exact or with detail appended', () => {
    expect(toStoreError(grpcError(GrpcStatus.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted'))).to.be.instanceOf(E.ErrCompacted);
    expect(toStoreError(grpcError(GrpcStatus.NOT_FOUND, 'etcdserver: requested lease not found'))).to.be.instanceOf(E.ErrLeaseNotFound);
    const leaderFail = toStoreError(grpcError(GrpcStatus.UNAVAILABLE, 'etcdserver: request timed out, possibly due to previous leader failure'));
    expect(leaderFail).to.be.instanceOf(E.ErrTimeoutDueToLeaderFail);
    const connLost = toStoreError(grpcError(GrpcStatus.UNAVAILABLE, 'etcdserver: request timed out, possibly due to connection lost'));
    expect(connLost).to.be.instanceOf(E.ErrTimeout);
  });

  it('keeps code and details for errors outside the catalog', () => {
    const err = toStoreError(grpcError(GrpcStatus.PERMISSION_DENIED, 'nope'));
    expect(err.constructor).to.equal(E.StoreError);
    expect(err.code).to.equal(GrpcStatus.PERMISSION_DENIED);
    expect(err.message).to.equal('nope');
  });

  it('retries "not processed" answers for reads and writes, failing over only when the member is unhealthy', () => {
    expect(decideOnFailure(grpcError(GrpcStatus.UNAVAILABLE, 'etcdserver: no leader'), true, true)).to.include({ action: 'retry', failover: true });
    expect(decideOnFailure(grpcError(GrpcStatus.UNAVAILABLE, 'etcdserver: leader changed'), true, true)).to.include({ action: 'retry', failover: false });
  });

  it('treats a write that timed out or lost its connection after sending as indeterminate, but retries the read', () => {
    const timedOut = grpcError(GrpcStatus.UNAVAILABLE, 'etcdserver: request timed out');
    expect(decideOnFailure(timedOut, true, true).action).to.equal('indeterminate');
    expect(decideOnFailure(timedOut, false, true).action).to.equal('retry');
    const dropped = grpcError(GrpcStatus.UNAVAILABLE, 'Connection dropped');
    expect(decideOnFailure(dropped, true, true).action).to.equal('indeterminate');
    expect(decideOnFailure(dropped, false, true).action).to.equal('retry');
    expect(decideOnFailure(grpcError(GrpcStatus.DEADLINE_EXCEEDED, 'Deadline exceeded'), true, true).action).to.equal('indeterminate');
    expect(decideOnFailure(grpcError(GrpcStatus.DEADLINE_EXCEEDED, 'Deadline exceeded'), false, true).action).to.equal('throw');
  });

  it('retries a write that provably never left the client', () => {
    const refused = grpcError(GrpcStatus.UNAVAILABLE, 'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1');
    expect(decideOnFailure(refused, true, true)).to.include({ action: 'retry', failover: true });
    expect(decideOnFailure(grpcError(GrpcStatus.INTERNAL, 'whatever'), true, false).action).to.equal('retry');
  });

  it('throws non-retryable errors at once', () => {
    const d = decideOnFailure(grpcError(GrpcStatus.INVALID_ARGUMENT, 'etcdserver: key is not provided'), false, true);
    expect(d.action).to.equal('throw');
    expect(d.error).to.be.instanceOf(E.ErrEmptyKey);
  });

  it('WatchCompactedError is an ErrCompacted carrying the compact revision', () => {
    const err = new WatchCompactedError(42);
    expect(err).to.be.instanceOf(E.ErrCompacted).and.instanceOf(E.StoreError);
    expect(err.compactRevision).to.equal(42);
    expect(err.name).to.equal('WatchCompactedError');
  });
});

describe('store client: building blocks', () => {
  it('backoff grows from INITIAL_BACKOFF_MS and is capped at MAX_BACKOFF_MS, jittered in [d/2, d]', () => {
    expect(backoffDelayMs(1, () => 0.999)).to.be.at.most(INITIAL_BACKOFF_MS);
    expect(backoffDelayMs(1, () => 0)).to.equal(Math.round(INITIAL_BACKOFF_MS / 2));
    expect(backoffDelayMs(3, () => 0.999)).to.be.closeTo(INITIAL_BACKOFF_MS * 4, 1);
    expect(backoffDelayMs(50, () => 0.999)).to.be.at.most(MAX_BACKOFF_MS);
    expect(backoffDelayMs(50, () => 0)).to.equal(MAX_BACKOFF_MS / 2);
  });

  it('computes prefix range ends like etcd', () => {
    expect(prefixRangeEnd('/a/').toString()).to.equal('/a0');
    expect(prefixRangeEnd(Buffer.from([0x61, 0xff]))).to.deep.equal(Buffer.from([0x62]));
    expect(prefixRangeEnd(Buffer.from([0xff, 0xff]))).to.deep.equal(Buffer.from([0]));
  });

  it('normalizes endpoints', () => {
    expect(normalizeEndpoint('http://127.0.0.1:2379/')).to.equal('127.0.0.1:2379');
    expect(normalizeEndpoint('localhost:1')).to.equal('localhost:1');
    expect(() => normalizeEndpoint('127.0.0.1')).to.throw(/host:port/);
  });

  it('gives up with EndpointsUnavailableError when no endpoint listens, within the request timeout', async () => {
    const [port] = await freePorts(1);
    const client = new StoreClient({ endpoints: [`127.0.0.1:${port}`], requestTimeoutMs: 400 });
    const start = Date.now();
    try {
      const err = await client.put('k', 'v').then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(EndpointsUnavailableError);
      expect(Date.now() - start).to.be.below(2000);
    } finally {
      client.close();
    }
  });
});
