import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { service as standardHealthDefinition } from 'grpc-health-check';
import { HEALTH_SERVICE, HealthService } from './health-service';

/** A client built from grpc-health-check's .proto, to prove the hand-written messages are the standard ones. */
const StandardClient = grpc.makeClientConstructor(standardHealthDefinition, 'grpc.health.v1.Health');
const OwnClient = grpc.makeClientConstructor(HEALTH_SERVICE, 'grpc.health.v1.Health');

type Unary = (req: object, cb: (err: grpc.ServiceError | null, res: { status?: string; statuses?: Record<string, { status: string }> }) => void) => void;

describe('HealthService (grpc.health.v1.Health)', () => {
  let server: grpc.Server;
  let health: HealthService;
  let address: string;
  const clients: grpc.Client[] = [];

  before(async () => {
    server = new grpc.Server();
    health = new HealthService({ '': 'SERVING', db: 'NOT_SERVING' });
    health.addToServer(server);
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    address = `127.0.0.1:${port}`;
  });

  after(() => {
    for (const c of clients) c.close();
    server.forceShutdown();
  });

  function client(kind: typeof StandardClient): Record<string, Unary> & grpc.Client {
    const c = new kind(address, grpc.credentials.createInsecure());
    clients.push(c);
    return c as unknown as Record<string, Unary> & grpc.Client;
  }

  const call = (c: Record<string, Unary>, method: string, req: object) =>
    new Promise<{ status?: string; statuses?: Record<string, { status: string }> }>((resolve, reject) => c[method]!.call(c, req, (err, res) => (err ? reject(err) : resolve(res))));

  for (const [name, kind] of [
    ['the standard .proto client', StandardClient],
    ['our own definition', OwnClient],
  ] as const) {
    it(`answers Check for the server and a named service (${name})`, async () => {
      const c = client(kind);
      expect((await call(c, 'check', { service: '' })).status).to.equal('SERVING');
      expect((await call(c, 'check', { service: 'db' })).status).to.equal('NOT_SERVING');
      const err = await call(c, 'check', { service: 'nope' }).catch((e: grpc.ServiceError) => e);
      expect((err as grpc.ServiceError).code).to.equal(grpc.status.NOT_FOUND);
      expect((err as grpc.ServiceError).details).to.contain('nope');
    });

    it(`lists every service's status (${name})`, async () => {
      const res = await call(client(kind), 'list', {});
      expect(res.statuses).to.deep.equal({ '': { status: 'SERVING' }, db: { status: 'NOT_SERVING' } });
    });
  }

  it('streams a watched status at once and on every change, SERVICE_UNKNOWN for an unknown one', async () => {
    const c = client(StandardClient) as unknown as { watch(req: object): grpc.ClientReadableStream<{ status: string }> };
    const seen: string[] = [];
    const stream = c.watch({ service: 'later' });
    const three = new Promise<void>((resolve, reject) => {
      stream.on('data', (m: { status: string }) => {
        seen.push(m.status);
        if (seen.length === 1) health.setStatus('later', 'SERVING');
        if (seen.length === 2) health.setStatus('later', 'NOT_SERVING');
        if (seen.length === 3) resolve();
      });
      stream.on('error', (e: grpc.ServiceError) => (e.code === grpc.status.CANCELLED ? undefined : reject(e)));
    });
    await three;
    stream.cancel();
    expect(seen).to.deep.equal(['SERVICE_UNKNOWN', 'SERVING', 'NOT_SERVING']);
  });
});
