import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { DiscoveryService } from '../../gen/bosun/api/requests';
import { serviceDefinition } from '../api/grpc-services';
import { ApiError } from '../api/errors';
import type { ResourceInfo } from '../api/object';
import { toProto } from '../api/proto/convert';
import { findProtoKind } from '../api/proto/kinds';
import { bindLoopback } from '../grpc/bind-loopback';
import { GrpcApiClient } from './grpc-api-client';

const NAMESPACES: ResourceInfo = { group: '', version: 'v1', kind: 'Namespace', resource: 'namespaces', singular: 'namespace', namespaced: false, shortNames: [], categories: [] };

/**
 * A tiny in-process gRPC server (Discovery and the Namespace service) that records the
 * `authorization` metadata of every call it gets.
 */
async function recordingServer(): Promise<{ endpoint: string; seen: Map<string, string[]>; stop(): Promise<void> }> {
  const seen = new Map<string, string[]>();
  const record = (method: string, md: grpc.Metadata) => seen.set(method, md.get('authorization').map(String));
  const server = new grpc.Server();
  server.addService(DiscoveryService, {
    serverResources: (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      record('discover', call.metadata);
      cb(null, { resources: [] });
    },
  });
  server.addService(serviceDefinition(NAMESPACES), {
    get: (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      record('get', call.metadata);
      cb(null, toProto(findProtoKind('v1', 'Namespace')!, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }));
    },
    watch: (call: grpc.ServerWritableStream<unknown, unknown>) => {
      record('watch', call.metadata);
      call.end();
    },
  });
  const port = await bindLoopback(server);
  return { endpoint: `127.0.0.1:${port}`, seen, stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())) };
}

async function drain(iterable: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of iterable) {
    // the server ends the stream at once
  }
}

describe('GrpcApiClient identity (bearer token metadata)', () => {
  let srv: Awaited<ReturnType<typeof recordingServer>>;
  beforeEach(async () => {
    srv = await recordingServer();
  });
  afterEach(async () => srv.stop());

  it('sends authorization: Bearer <token> on unary calls, discovery and watches', async () => {
    const client = new GrpcApiClient({ endpoints: [srv.endpoint], token: 's3cret-token' });
    try {
      await client.discover();
      const ns = await client.resource(NAMESPACES).get(undefined, 'default');
      expect(ns.metadata.name).to.equal('default');
      await drain(client.resource(NAMESPACES).watch(undefined));
    } finally {
      client.close();
    }
    for (const method of ['discover', 'get', 'watch']) expect(srv.seen.get(method), method).to.deep.equal(['Bearer s3cret-token']);
  });

  it('sends no authorization metadata without a token', async () => {
    const client = new GrpcApiClient({ endpoints: [srv.endpoint] });
    try {
      await client.resource(NAMESPACES).get(undefined, 'default');
      await drain(client.resource(NAMESPACES).watch(undefined));
    } finally {
      client.close();
    }
    expect(srv.seen.get('get')).to.deep.equal([]);
    expect(srv.seen.get('watch')).to.deep.equal([]);
  });

  it('refuses a token that cannot be sent as metadata', () => {
    expect(() => new GrpcApiClient({ endpoints: [srv.endpoint], token: 'two words' })).to.throw(/bearer token must be non-empty and contain no whitespace/);
    expect(() => new GrpcApiClient({ endpoints: [srv.endpoint], token: '' })).to.throw(/bearer token/);
  });

  it('turns an UNAUTHENTICATED answer into ApiError 401', async () => {
    const server = new grpc.Server();
    server.addService(DiscoveryService, {
      serverResources: (_call: unknown, cb: grpc.sendUnaryData<unknown>) => cb({ code: grpc.status.UNAUTHENTICATED, details: 'nope' }),
    });
    const port = await bindLoopback(server);
    const client = new GrpcApiClient({ endpoints: [`127.0.0.1:${port}`], token: 't' });
    try {
      const err = await client.discover().then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(ApiError);
      expect((err as ApiError).code).to.equal(401);
    } finally {
      client.close();
      server.forceShutdown();
    }
  });
});
