import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import * as http2 from 'node:http2';
import { resetServerCall, RST_ENHANCE_YOUR_CALM, serverCallStream } from './reset-server-call';

const identity = (b: Buffer) => b;
/** One server-streaming method carrying raw bytes. */
const DEFINITION: grpc.ServiceDefinition = {
  stream: { path: '/test.Streams/Stream', requestStream: false, responseStream: true, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity, originalName: 'stream' },
};
const MESSAGE = Buffer.alloc(8 * 1024, 7);

/**
 * A server whose Stream call writes MESSAGE until the transport pushes back, then hands the
 * call to the test; `interceptors` puts an interceptor chain between the call and its stream.
 */
async function startServer(interceptors: grpc.ServerInterceptor[] = []): Promise<{ server: grpc.Server; port: number; calls: Promise<grpc.ServerWritableStream<Buffer, Buffer>> }> {
  const server = new grpc.Server({ interceptors });
  let handOver!: (call: grpc.ServerWritableStream<Buffer, Buffer>) => void;
  const calls = new Promise<grpc.ServerWritableStream<Buffer, Buffer>>((resolve) => (handOver = resolve));
  server.addService(DEFINITION, {
    stream: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
      call.on('error', () => undefined);
      while (call.write(MESSAGE));
      handOver(call);
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return { server, port, calls };
}

/** A raw HTTP/2 gRPC call that never reads its response (a paused stream: its flow-control window fills up). */
function stalledCall(port: number): { session: http2.ClientHttp2Session; closed: Promise<number> } {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => undefined);
  const stream = session.request({ ':method': 'POST', ':path': '/test.Streams/Stream', 'content-type': 'application/grpc', te: 'trailers' });
  stream.on('error', () => undefined);
  stream.end(Buffer.from([0, 0, 0, 0, 0])); // one empty message
  stream.pause();
  return { session, closed: new Promise((resolve) => stream.on('close', () => resolve(stream.rstCode ?? -1))) };
}

describe('resetServerCall (grpc-js internals, pinned version)', () => {
  it('finds the HTTP/2 stream of a call and resets it: a client that stopped reading sees ENHANCE_YOUR_CALM', async () => {
    const { server, port, calls } = await startServer();
    const client = stalledCall(port);
    try {
      const call = await calls;
      const stream = serverCallStream(call);
      expect(stream, 'the call has an HTTP/2 stream').to.not.equal(undefined);
      expect(stream!.bufferSize + (stream!.writableLength ?? 0)).to.be.greaterThan(0); // it holds data the client did not take
      const cancelled = new Promise<void>((resolve) => call.once('cancelled', () => resolve()));
      expect(resetServerCall(call)).to.equal(true);
      expect(await client.closed).to.equal(RST_ENHANCE_YOUR_CALM);
      await cancelled; // grpc-js saw its stream close
      expect(stream!.destroyed).to.equal(true);
    } finally {
      client.session.destroy();
      server.forceShutdown();
    }
  });

  it('finds the stream through an interceptor chain', async () => {
    const passThrough: grpc.ServerInterceptor = (_method, call) => new grpc.ServerInterceptingCall(call);
    const { server, port, calls } = await startServer([passThrough, passThrough]);
    const client = stalledCall(port);
    try {
      const call = await calls;
      expect(resetServerCall(call)).to.equal(true);
      expect(await client.closed).to.equal(RST_ENHANCE_YOUR_CALM);
    } finally {
      client.session.destroy();
      server.forceShutdown();
    }
  });

  it('a grpc-js client sees the reset as RESOURCE_EXHAUSTED', async () => {
    const { server, port, calls } = await startServer();
    const Client = grpc.makeGenericClientConstructor(DEFINITION, 'Streams');
    const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      const stream = (client as unknown as { stream(req: Buffer): grpc.ClientReadableStream<Buffer> }).stream(Buffer.alloc(0));
      stream.on('data', () => undefined);
      const status = new Promise<grpc.StatusObject>((resolve) => stream.on('status', resolve));
      stream.on('error', () => undefined);
      resetServerCall(await calls);
      expect((await status).code).to.equal(grpc.status.RESOURCE_EXHAUSTED);
    } finally {
      client.close();
      server.forceShutdown();
    }
  });
});
