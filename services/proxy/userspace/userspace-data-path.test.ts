import { expect } from 'chai';
import * as net from 'node:net';
import pino from 'pino';
import { FakeClock } from '../../../lib/client/fake-clock';
import { freePort } from '../../../lib/launcher/store-cluster';
import { ServiceTable } from '../../../lib/network/service-table';
import { namedTcpServer, tcpRead, testService, testSlice, udpAsk, udpEcho } from '../testing/proxy-fixtures';
import { UserspaceDataPath } from './userspace-data-path';

/** The "ClusterIP" of the tests: a loopback address, so no root and no route are needed. */
const VIP = '127.0.0.2';
const EXTERNAL_IP = '127.0.0.3';
const NODE_ADDRESS = '127.0.0.4';
const logger = pino({ level: 'silent' });

describe('UserspaceDataPath (real sockets on 127.0.0.x)', () => {
  const closers: (() => Promise<void>)[] = [];
  let table: ServiceTable;
  let path: UserspaceDataPath;
  let clock: FakeClock;
  let vport: number;
  let nodePort: number;

  beforeEach(async () => {
    table = new ServiceTable();
    clock = new FakeClock(Date.now());
    path = new UserspaceDataPath({ localNodes: new Set(['n1']), serviceCidr: '10.43.0.0/16', clusterCidr: '10.42.0.0/16', nodePortAddresses: [NODE_ADDRESS], logger, clock, manageLocalRoute: false });
    await path.start();
    vport = await freePort();
    nodePort = await freePort();
  });

  afterEach(async () => {
    await path.cleanup();
    while (closers.length > 0) await closers.pop()!();
  });

  async function backend(name: string): Promise<number> {
    const s = await namedTcpServer(name);
    closers.push(s.close);
    return s.port;
  }

  /** Serves "web" on VIP:vport (and EXTERNAL_IP, and the NodePort) with one slice per backend port. */
  async function serveWeb(ports: readonly number[], spec: Record<string, unknown> = {}): Promise<void> {
    table.setService(testService('web', { type: 'NodePort', clusterIP: VIP, clusterIPs: [VIP], externalIPs: [EXTERNAL_IP], ports: [{ name: 'p', port: vport, nodePort, protocol: 'TCP' }], ...spec }));
    for (const [i, port] of ports.entries()) table.setSlice(testSlice(`web-${i}`, 'web', port, [{ ip: '127.0.0.1' }]));
    await path.sync(table, table.takeChanges());
  }

  it('balances connections round-robin over the endpoints, on the ClusterIP, external IP and NodePort', async () => {
    await serveWeb([await backend('a'), await backend('b')]);
    const replies = [];
    for (let i = 0; i < 4; i++) replies.push(await tcpRead(VIP, vport));
    expect(replies.sort()).to.deep.equal(['a', 'a', 'b', 'b']);
    expect(['a', 'b']).to.include(await tcpRead(EXTERNAL_IP, vport));
    expect(['a', 'b']).to.include(await tcpRead(NODE_ADDRESS, nodePort));
    expect([...path.openFrontends().keys()].sort()).to.deep.equal([`TCP ${VIP}:${vport}`, `TCP ${EXTERNAL_IP}:${vport}`, `TCP ${NODE_ADDRESS}:${nodePort}`]);
  });

  it('keeps a client on one endpoint with ClientIP affinity until it expires or the endpoint leaves', async () => {
    const a = await backend('a');
    const b = await backend('b');
    await serveWeb([a, b], { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 10 } } });
    const first = await tcpRead(VIP, vport);
    for (let i = 0; i < 3; i++) expect(await tcpRead(VIP, vport)).to.equal(first);
    // Another client IP is balanced on its own.
    const other = await tcpRead(VIP, vport, '127.0.0.9');
    expect(other).to.not.equal(first);
    // The chosen endpoint leaves: the client moves.
    table.deleteSlice(testSlice(first === 'a' ? 'web-0' : 'web-1', 'web', 0, []));
    await path.sync(table, table.takeChanges());
    expect(await tcpRead(VIP, vport)).to.not.equal(first);
  });

  it('refuses at once when a Service has no usable endpoint (no listener), and serves once one is ready', async () => {
    table.setService(testService('web', { clusterIP: VIP, clusterIPs: [VIP], ports: [{ name: 'p', port: vport, protocol: 'TCP' }] }));
    const port = await backend('a');
    table.setSlice(testSlice('web-0', 'web', port, [{ ip: '127.0.0.1', ready: false }]));
    await path.sync(table, table.takeChanges());
    const started = Date.now();
    const err = await tcpRead(VIP, vport).then(() => undefined, (e: NodeJS.ErrnoException) => e);
    expect(err?.code).to.equal('ECONNREFUSED');
    expect(Date.now() - started).to.be.below(500);
    table.setSlice(testSlice('web-0', 'web', port, [{ ip: '127.0.0.1', ready: true }]));
    await path.sync(table, table.takeChanges());
    expect(await tcpRead(VIP, vport)).to.equal('a');
  });

  it('tries the next endpoint when one refuses', async () => {
    const dead = await freePort();
    await serveWeb([dead, await backend('alive')]);
    for (let i = 0; i < 4; i++) expect(await tcpRead(VIP, vport)).to.equal('alive');
  });

  it('keeps the listener and its open connections when endpoints change (incremental)', async () => {
    const held: net.Socket[] = [];
    const server = net.createServer((s) => held.push(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => server.close(() => resolve())));
    closers.push(async () => held.forEach((s) => s.destroy()));
    await serveWeb([(server.address() as net.AddressInfo).port]);
    const client = net.connect(vport, VIP);
    await new Promise((resolve) => client.once('connect', resolve));
    while (held.length === 0) await new Promise((resolve) => setImmediate(resolve));
    const frontendsBefore = path.openFrontends();
    // A second endpoint joins: only the rotation changes.
    table.setSlice(testSlice('web-9', 'web', await backend('b'), [{ ip: '127.0.0.1' }]));
    await path.sync(table, table.takeChanges());
    expect(path.openFrontends()).to.deep.equal(frontendsBefore);
    expect(path.rotation('default/web:p/TCP', 'internal')).to.have.length(2);
    // The held connection still relays both ways.
    const echoed = new Promise<string>((resolve) => client.once('data', (b: Buffer) => resolve(b.toString())));
    held[0]!.once('data', (b: Buffer) => held[0]!.write(`echo ${b.toString()}`));
    client.write('hi');
    expect(await echoed).to.equal('echo hi');
    client.destroy();
  });

  it('relays a half-closed request and its reply', async () => {
    const server = net.createServer({ allowHalfOpen: true }, (s) => {
      const got: Buffer[] = [];
      s.on('data', (b: Buffer) => got.push(b));
      s.on('end', () => s.end(`got ${Buffer.concat(got).toString()}`));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => server.close(() => resolve())));
    await serveWeb([(server.address() as net.AddressInfo).port]);
    const reply = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const c = net.connect({ host: VIP, port: vport, allowHalfOpen: true }, () => c.end('request'));
      c.on('data', (b: Buffer) => chunks.push(b));
      c.on('end', () => resolve(Buffer.concat(chunks).toString()));
      c.on('error', reject);
    });
    expect(reply).to.equal('got request');
  });

  it('removes every frontend of a deleted Service', async () => {
    await serveWeb([await backend('a')]);
    table.deleteService('default', 'web');
    await path.sync(table, table.takeChanges());
    expect(path.openFrontends().size).to.equal(0);
    const err = await tcpRead(VIP, vport).then(() => undefined, (e: NodeJS.ErrnoException) => e);
    expect(err?.code).to.equal('ECONNREFUSED');
  });

  it('relays UDP datagrams per client session and closes idle sessions on the clock', async () => {
    const echo = await udpEcho('u');
    closers.push(echo.close);
    table.setService(testService('dns', { clusterIP: VIP, clusterIPs: [VIP], ports: [{ name: 'd', port: vport, protocol: 'UDP' }] }));
    table.setSlice(testSlice('dns-0', 'dns', echo.port, [{ ip: '127.0.0.1' }], 'd', 'UDP'));
    const result = await path.sync(table, 'all');
    expect(result).to.deep.equal({ servicePorts: 1, endpoints: 1, rules: 1 });
    expect(await udpAsk(VIP, vport, 'hello')).to.equal('u:hello');
    expect(await udpAsk(VIP, vport, 'again')).to.equal('u:again');
    expect(path.openFrontends().get(`UDP ${VIP}:${vport}`)).to.equal('default/dns:d/UDP');
    await clock.advance(60_000);
    // Sessions closed; a new one still works.
    expect(await udpAsk(VIP, vport, 'later')).to.equal('u:later');
  });

  it('serves each NodePort on 0.0.0.0 when no node-port addresses are given', async () => {
    await path.cleanup();
    path = new UserspaceDataPath({ localNodes: new Set(['n1']), serviceCidr: '10.43.0.0/16', clusterCidr: '10.42.0.0/16', nodePortAddresses: [], logger, clock, manageLocalRoute: false });
    await serveWeb([await backend('a')]);
    expect(path.openFrontends().has(`TCP 0.0.0.0:${nodePort}`)).to.equal(true);
    expect(await tcpRead('127.0.0.1', nodePort)).to.equal('a');
  });
});
