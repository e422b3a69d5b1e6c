import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { RuntimeService } from '../runtime/runtime';
import { resolvePort, runAction } from './handler-actions';

/** Probe actions against real sockets on 127.0.0.1 (a host-network pod: no pod IP). */
describe('probe and hook actions over real sockets', () => {
  const runtime = {} as RuntimeService;
  const container = { name: 'app', ports: [{ name: 'http', containerPort: 0 }] };
  const target = (port: number) => ({ runtime, containerId: 'c', container: { ...container, ports: [{ name: 'http', containerPort: port }] }, podIP: '' });
  let httpServer: http.Server;
  let httpPort: number;

  before(async () => {
    httpServer = http.createServer((req, res) => {
      res.statusCode = req.url === '/healthz' ? 200 : req.url === '/redirect' ? 302 : 500;
      res.end();
    });
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    httpPort = (httpServer.address() as AddressInfo).port;
  });

  after(() => httpServer.close());

  it('httpGet: 2xx and 3xx succeed, others fail with the status code; named ports resolve', async () => {
    expect((await runAction({ httpGet: { path: '/healthz', port: 'http' } }, target(httpPort), 1000)).success).to.equal(true);
    expect((await runAction({ httpGet: { path: '/redirect', port: httpPort } }, target(httpPort), 1000)).success).to.equal(true);
    const bad = await runAction({ httpGet: { path: '/broken', port: httpPort } }, target(httpPort), 1000);
    expect(bad).to.deep.equal({ success: false, message: 'HTTP probe failed with statuscode: 500' });
    expect(() => resolvePort('nope', container)).to.throw('names no port');
  });

  it('tcpSocket: an open port succeeds, a closed one fails', async () => {
    expect((await runAction({ tcpSocket: { port: httpPort } }, target(httpPort), 1000)).success).to.equal(true);
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const r = await runAction({ tcpSocket: { port } }, target(port), 1000);
    expect(r.success).to.equal(false);
    expect(r.message).to.include(`dial tcp 127.0.0.1:${port}`);
  });

  it('grpc: grpc.health.v1 SERVING succeeds, NOT_SERVING fails', async () => {
    const server = new grpc.Server();
    const health = new HealthImplementation({ '': 'SERVING', sick: 'NOT_SERVING' });
    health.addToServer(server);
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    try {
      expect((await runAction({ grpc: { port } }, target(port), 2000)).success).to.equal(true);
      const sick = await runAction({ grpc: { port, service: 'sick' } }, target(port), 2000);
      expect(sick).to.deep.equal({ success: false, message: 'service unhealthy (responded with "NOT_SERVING")' });
    } finally {
      server.forceShutdown();
    }
  });

  it('exec: exit 0 succeeds; anything else fails with the output', async () => {
    const rt = { execSync: async (_id: string, cmd: string[]) => ({ exitCode: cmd[0] === 'ok' ? 0 : 2, stdout: Buffer.from(''), stderr: Buffer.from(cmd[0] === 'ok' ? '' : 'broken'), timedOut: false }) } as unknown as RuntimeService;
    expect((await runAction({ exec: { command: ['ok'] } }, { ...target(1), runtime: rt }, 1000)).success).to.equal(true);
    expect(await runAction({ exec: { command: ['bad'] } }, { ...target(1), runtime: rt }, 1000)).to.deep.equal({ success: false, message: 'broken' });
  });
});
