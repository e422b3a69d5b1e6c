import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { clientConstructor } from '../../../lib/api/grpc-services';
import type { KubeObject } from '../../../lib/api/object';
import { GrpcApiClient } from '../../../lib/client/grpc-api-client';
import { createLogger } from '../../../lib/logger';
import { ApiServer } from '../apiserver';
import { configMapStrategy, namespaceStrategy } from '../kinds/core';
import { BACKENDS, type RunningBackend } from '../registry/test-support';

/** The gRPC Watch call of one kind, as any gRPC client makes it (the generated client, no wrapper). */
type WatchStub = { watch(req: Record<string, unknown>): grpc.ClientReadableStream<{ type: string; object?: { metadata?: { name?: string } } }> };

/** The gRPC front door's Watch on a real store: request checks, streamed events shared between watchers, the end. */
describe('gRPC Watch', function () {
  this.timeout(60_000);
  let store: RunningBackend;
  let server: ApiServer;
  let api: GrpcApiClient;
  let stub: grpc.Client & WatchStub;

  before(async () => {
    store = await BACKENDS[0]!.start();
    server = await ApiServer.start({ storeEndpoints: store.endpoints, grpcListen: '127.0.0.1:0' }, createLogger('apiserver', 'warn'));
    api = new GrpcApiClient({ endpoints: [server.grpcAddress] });
    await api.resource(namespaceStrategy.info).create(undefined, { metadata: { name: 'watched' } });
    const Stub = clientConstructor(configMapStrategy.info);
    stub = new Stub(server.grpcAddress, grpc.credentials.createInsecure()) as unknown as grpc.Client & WatchStub;
  });

  after(async () => {
    stub?.close();
    api?.close();
    await server?.stop();
    await store?.stop();
  });

  /** Collects a watch's messages until it ends; resolves with them and its status (or error). */
  function collect(call: ReturnType<WatchStub['watch']>): Promise<{ messages: { type: string; name?: string }[]; code: grpc.status; details: string }> {
    const messages: { type: string; name?: string }[] = [];
    return new Promise((resolve) => {
      call.on('data', (m) => messages.push({ type: m.type, name: m.object?.metadata?.name }));
      call.on('error', (err: grpc.ServiceError) => resolve({ messages, code: err.code, details: err.details }));
      call.on('status', (s: grpc.StatusObject) => s.code === grpc.status.OK && resolve({ messages, code: s.code, details: s.details }));
    });
  }

  it('answers a negative timeout_seconds with INVALID_ARGUMENT naming the field', async () => {
    const outcome = await collect(stub.watch({ namespace: 'watched', timeoutSeconds: -5 }));
    expect(outcome.code).to.equal(grpc.status.INVALID_ARGUMENT);
    expect(outcome.details).to.match(/^timeout_seconds: Invalid value: -5: must be greater than or equal to 0/);
    expect(outcome.messages).to.deep.equal([]);
  });

  it('streams the same events to every watcher (encoded once for all), and ends with OK after timeout_seconds', async () => {
    const cms = api.resource(configMapStrategy.info);
    await cms.create('watched', { metadata: { name: 'before' }, data: { a: '1' } } as KubeObject);
    const started = Date.now();
    const watches = [1, 2, 3].map(() => collect(stub.watch({ namespace: 'watched', timeoutSeconds: 2 })));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await cms.create('watched', { metadata: { name: 'after' }, data: { b: '2' } } as KubeObject);
    const outcomes = await Promise.all(watches);
    expect(Date.now() - started).to.be.at.least(1_900);
    for (const o of outcomes) {
      expect(o.code).to.equal(grpc.status.OK);
      expect(o.messages).to.deep.equal([
        { type: 'ADDED', name: 'before' },
        { type: 'ADDED', name: 'after' },
      ]);
    }
  });
});
