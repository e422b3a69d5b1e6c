import { expect } from 'chai';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { GoneError } from '../../../lib/api/errors';
import type { KubeObject, ResourceInfo } from '../../../lib/api/object';
import { FakeWatch } from '../rest/fake-watch';
import type { ResourceRest, ResourceWatch, WatchRequest } from '../rest/resource-rest';
import { serveWatch, type WatchForm } from './watch-stream';

const INFO: ResourceInfo = { group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', singular: 'configmap', namespaced: true, shortNames: ['cm'], categories: [] };

/** A ResourceRest whose watch() returns `watch` or throws `error`; other methods are unused. */
function fakeRest(watch: () => Promise<ResourceWatch<KubeObject>>): ResourceRest {
  return { info: INFO, subresources: [], watch: (_ns: string | undefined, _req?: WatchRequest) => watch() } as unknown as ResourceRest;
}

function cm(name: string, rv: string): KubeObject {
  return { metadata: { name, namespace: 'default', resourceVersion: rv, creationTimestamp: '2025-01-01T00:00:00Z' }, data: { a: '1' } };
}

describe('serveWatch', () => {
  let server: http.Server;
  let handler: (res: http.ServerResponse) => Promise<void>;

  beforeEach(async () => {
    server = http.createServer((_req, res) => void handler(res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  function get(): Promise<{ res: http.IncomingMessage; lines: () => unknown[]; ended: Promise<void> }> {
    return new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, path: '/' }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        const ended = new Promise<void>((r) => res.on('end', () => r()));
        resolve({ res, lines: () => body.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as unknown), ended });
      });
      req.on('error', reject);
    });
  }

  const form: WatchForm = { now: () => new Date('2025-01-01T00:01:00Z') };

  it('answers a too-old resourceVersion with 200 and one ERROR event carrying a 410 Status', async () => {
    handler = (res) => serveWatch(res, fakeRest(() => Promise.reject(new GoneError('too old resource version: 1 (5)'))), 'default', {}, undefined, form);
    const { res, lines, ended } = await get();
    await ended;
    expect(res.statusCode).to.equal(200);
    expect(lines()).to.deep.equal([
      { type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'too old resource version: 1 (5)', reason: 'Expired', code: 410 } },
    ]);
  });

  it('flushes headers before the first event, adds kind/apiVersion to objects, and ends when the watch ends', async () => {
    const w = new FakeWatch();
    handler = (res) => serveWatch(res, fakeRest(async () => w), 'default', {}, undefined, form);
    const { res, lines, ended } = await get();
    expect(res.statusCode).to.equal(200); // headers arrived with no event yet
    expect(res.headers['content-type']).to.equal('application/json');
    w.push({ type: 'ADDED', object: cm('a', '7') });
    w.push({ type: 'DELETED', object: cm('a', '8') });
    w.end('cache-reset');
    await ended;
    expect(lines().map((l) => { const e = l as { type: string; object: KubeObject }; return [e.type, e.object.kind, e.object.apiVersion, e.object.metadata.resourceVersion]; })).to.deep.equal([
      ['ADDED', 'ConfigMap', 'v1', '7'],
      ['DELETED', 'ConfigMap', 'v1', '8'],
    ]);
  });

  it('writes one-row Tables with column definitions on the first event only', async () => {
    const w = new FakeWatch();
    handler = (res) => serveWatch(res, fakeRest(async () => w), 'default', {}, undefined, { ...form, table: 'v1' });
    const { res, lines, ended } = await get();
    expect(res.headers['content-type']).to.equal('application/json;as=Table;v=v1;g=meta.k8s.io');
    w.push({ type: 'ADDED', object: cm('a', '7') });
    w.push({ type: 'MODIFIED', object: cm('a', '8') });
    w.end('cache-reset');
    await ended;
    const [first, second] = lines() as { object: { kind: string; columnDefinitions?: unknown[]; rows: { cells: unknown[]; object: { kind: string } }[] } }[];
    expect(first!.object.kind).to.equal('Table');
    expect(first!.object.columnDefinitions).to.have.length.greaterThan(0);
    expect(first!.object.rows[0]!.cells).to.deep.equal(['a', 1, '60s']);
    expect(first!.object.rows[0]!.object.kind).to.equal('PartialObjectMetadata');
    expect(second!.object.columnDefinitions).to.equal(undefined);
  });

  it('stops the watch when timeoutSeconds passes and when the client goes away', async () => {
    const timed = new FakeWatch();
    handler = (res) => serveWatch(res, fakeRest(async () => timed), 'default', {}, 1, form);
    const t0 = Date.now();
    const first = await get();
    await first.ended;
    expect(timed.stopped).to.equal(true);
    // Not before the timeout (the end itself is awaited above).
    expect(Date.now() - t0).to.be.at.least(900);

    const dropped = new FakeWatch();
    let done!: Promise<void>;
    handler = (res) => (done = serveWatch(res, fakeRest(async () => dropped), 'default', {}, undefined, form));
    const second = await get();
    second.res.destroy();
    await done;
    expect(dropped.stopped).to.equal(true);
  });

  it('holds back reading events while the client does not read (bounded buffering)', async () => {
    const big = { ...cm('big', '9'), data: { blob: 'x'.repeat(256 * 1024) } };
    const w = new FakeWatch(() => ({ type: 'MODIFIED', object: big }));
    let done!: Promise<void>;
    handler = (res) => (done = serveWatch(res, fakeRest(async () => w), 'default', {}, undefined, form));
    const { res } = await get();
    res.pause();
    await new Promise((r) => setTimeout(r, 500));
    // An endless source: only what fits the socket buffers was pulled, not an unbounded stream.
    expect(w.pulled).to.be.lessThan(200);
    res.destroy();
    await done;
    expect(w.stopped).to.equal(true);
  });

  it('cuts off a client that stopped reading once its watch is ended as too slow: the connection is closed, nothing more is sent', async () => {
    const blob = { ...cm('blob', '9'), data: { blob: 'y'.repeat(64 * 1024) } };
    const w = new FakeWatch(() => ({ type: 'MODIFIED', object: blob }));
    let done!: Promise<void>;
    let response!: http.ServerResponse;
    handler = (res) => {
      response = res;
      return (done = serveWatch(res, fakeRest(async () => w), 'default', {}, undefined, form, { sendBufferBytes: 128 * 1024 }));
    };
    const { res } = await get();
    res.pause();
    // Wait until the socket is full: the pump then stops pulling.
    let last = -1;
    while (w.pulled !== last) {
      last = w.pulled;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(response.writableLength).to.be.at.least(128 * 1024);
    const clientSaw = new Promise<string>((resolve) => {
      res.once('error', (e) => resolve(`error ${e.message}`));
      res.once('aborted', () => resolve('aborted'));
      res.once('end', () => resolve('end'));
    });
    w.end('too-slow');
    await done;
    expect(response.destroyed).to.equal(true);
    expect(response.socket?.destroyed ?? true).to.equal(true);
    res.resume(); // the client notices once it reads again
    expect(await clientSaw).to.match(/aborted|error/);
  });

  it('ends normally when the watch ends while the client reads, even if the cache cut it off', async () => {
    const w = new FakeWatch();
    handler = (res) => serveWatch(res, fakeRest(async () => w), 'default', {}, undefined, form);
    const { lines, ended } = await get();
    w.push({ type: 'ADDED', object: cm('a', '7') });
    await new Promise((r) => setTimeout(r, 50));
    w.end('too-slow');
    await ended;
    expect(lines()).to.have.length(1);
  });

  it('does not start a watch stream for a client that left while the watch was set up', async () => {
    const w = new FakeWatch();
    let done!: Promise<void>;
    let leave!: () => void;
    const left = new Promise<void>((r) => (leave = r));
    handler = (res) => (done = serveWatch(res, fakeRest(async () => (await left, w)), 'default', {}, undefined, form));
    const req = http.get({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, path: '/' });
    req.on('error', () => undefined);
    await new Promise((r) => setTimeout(r, 100));
    req.destroy();
    await new Promise((r) => setTimeout(r, 100));
    leave();
    await done;
    expect(w.stopped).to.equal(true);
  });
});
