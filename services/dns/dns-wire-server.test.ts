import { expect } from 'chai';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import * as dnsPacket from 'dns-packet';
import type { DecodedPacket, Packet } from 'dns-packet';
import pino from 'pino';
import { Registry } from '../../lib/metrics';
import { frame, UpstreamForwarder } from './dns-forwarder';
import { DnsIndex } from './dns-index';
import { DnsMetrics } from './dns-metrics';
import { DnsResponder } from './dns-responder';
import { DnsWireServer } from './dns-wire-server';
import { service, slice } from './test-objects';

const logger = pino({ level: 'silent' });
/** A decoded reply (dns-packet decodes the rcode; its types omit it). */
type Reply = DecodedPacket & { rcode: string };
const decode = (b: Buffer) => dnsPacket.decode(b) as Reply;
const REPLY_TIMEOUT_MS = 3000;

/** One UDP exchange: the raw reply, or undefined when none came within the timeout. */
function udpRaw(port: number, bytes: Buffer, timeoutMs = REPLY_TIMEOUT_MS): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    const finish = (b: Buffer | undefined) => {
      clearTimeout(timer);
      socket.close();
      resolve(b);
    };
    socket.on('message', (m) => finish(m));
    socket.send(bytes, port, '127.0.0.1');
  });
}

async function udp(port: number, packet: Packet): Promise<Reply> {
  const raw = await udpRaw(port, dnsPacket.encode(packet));
  if (!raw) throw new Error('no UDP reply');
  return decode(raw);
}

/** Writes `chunks` on one TCP connection (in separate writes) and collects `replies` framed answers. */
function tcp(port: number, chunks: Buffer[], replies: number): Promise<Reply[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let buffered = Buffer.alloc(0);
    const out: Reply[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`tcp: ${out.length} of ${replies} replies`));
    }, REPLY_TIMEOUT_MS);
    socket.on('error', reject);
    socket.on('connect', async () => {
      for (const c of chunks) {
        socket.write(c);
        await new Promise((r) => setImmediate(r));
      }
    });
    socket.on('data', (d) => {
      buffered = Buffer.concat([buffered, d]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        out.push(decode(buffered.subarray(2, 2 + buffered.readUInt16BE(0))));
        buffered = buffered.subarray(2 + buffered.readUInt16BE(0));
      }
      if (out.length >= replies) {
        clearTimeout(timer);
        socket.destroy();
        resolve(out);
      }
    });
  });
}

function question(name: string, type: dnsPacket.RecordType = 'A', id = 7, edns?: number): Packet {
  const q: Packet = { type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] };
  if (edns) q.additionals = [{ type: 'OPT', name: '.', udpPayloadSize: edns, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }];
  return q;
}

describe('dns wire server (real UDP and TCP sockets on 127.0.0.1)', function () {
  this.timeout(20_000);
  const index = new DnsIndex();
  const registry = new Registry();
  let server: DnsWireServer;
  let upstream: DnsWireServer;
  let forwarding: DnsWireServer;

  before(async () => {
    index.setService(service('default', 'api', { clusterIP: '10.43.1.7', clusterIPs: ['10.43.1.7'], ports: [{ name: 'http', port: 80 }] }));
    index.setService(service('default', 'many', { clusterIP: 'None', ports: [{ name: 'web', port: 80 }] }));
    index.setSlice(slice('default', 'many', 'many-1', Array.from({ length: 20 }, (_, i) => ({ addresses: [`10.42.0.${i + 1}`], conditions: { ready: true } }))));
    const config = { zone: 'cluster.local', ttlSeconds: 5, dnsIp: '10.43.0.10' };
    server = new DnsWireServer(new DnsResponder({ index, config, observer: new DnsMetrics(registry, 'dns://test') }), logger);
    await server.start('127.0.0.1:0');
    // An "upstream" authoritative for example.test, and a cluster DNS forwarding to it.
    const upstreamIndex = new DnsIndex();
    upstreamIndex.setService(service('x', 'y', { clusterIP: '10.43.9.9', clusterIPs: ['10.43.9.9'] }));
    upstream = new DnsWireServer(new DnsResponder({ index: upstreamIndex, config: { zone: 'example.test', ttlSeconds: 30, dnsIp: '10.43.0.10' } }), logger);
    await upstream.start('127.0.0.1:0');
    forwarding = new DnsWireServer(new DnsResponder({ index, config, upstream: new UpstreamForwarder([`127.0.0.1:${upstream.port}`]) }), logger);
    await forwarding.start('127.0.0.1:0');
  });
  after(async () => {
    await server?.stop();
    await upstream?.stop();
    await forwarding?.stop();
  });

  it('answers A over UDP, authoritative, with the question echoed and the id kept', async () => {
    const r = await udp(server.port, question('api.default.svc.cluster.local', 'A', 4242));
    expect(r.id).to.equal(4242);
    expect([r.rcode, r.flag_aa, r.flag_rd, r.flag_qr]).to.deep.equal(['NOERROR', true, true, true]);
    expect(r.questions![0]!.name).to.equal('api.default.svc.cluster.local');
    expect(r.answers!.map((a) => a.type === 'A' && [a.data, a.ttl])).to.deep.equal([['10.43.1.7', 5]]);
  });

  it('NXDOMAIN and NODATA carry the SOA; a name outside the zone is REFUSED without an upstream', async () => {
    const nx = await udp(server.port, question('nope.default.svc.cluster.local'));
    expect([nx.rcode, nx.answers!.length, nx.authorities!.map((a) => a.type)]).to.deep.equal(['NXDOMAIN', 0, ['SOA']]);
    const nodata = await udp(server.port, question('api.default.svc.cluster.local', 'AAAA'));
    expect([nodata.rcode, nodata.answers!.length, nodata.authorities!.map((a) => a.type)]).to.deep.equal(['NOERROR', 0, ['SOA']]);
    expect((await udp(server.port, question('example.com'))).rcode).to.equal('REFUSED');
  });

  it('forwards names outside the zone to the upstream and relays its answer', async () => {
    const r = await udp(forwarding.port, question('y.x.svc.example.test', 'A', 99));
    expect([r.id, r.rcode]).to.deep.equal([99, 'NOERROR']);
    expect(r.answers!.map((a) => a.type === 'A' && a.data)).to.deep.equal(['10.43.9.9']);
    const t = await tcp(forwarding.port, [frame(dnsPacket.encode(question('y.x.svc.example.test', 'A', 98)))], 1);
    expect(t[0]!.answers!.map((a) => a.type === 'A' && a.data)).to.deep.equal(['10.43.9.9']);
    // Names in its own zone it still answers itself.
    expect((await udp(forwarding.port, question('api.default.svc.cluster.local'))).answers!.length).to.equal(1);
  });

  it('TCP framing: two queries in one write and one query split across writes, answered in order', async () => {
    const a = frame(dnsPacket.encode(question('api.default.svc.cluster.local', 'A', 1)));
    const b = frame(dnsPacket.encode(question('nope.default.svc.cluster.local', 'A', 2)));
    const c = frame(dnsPacket.encode(question('_http._tcp.api.default.svc.cluster.local', 'SRV', 3)));
    const replies = await tcp(server.port, [Buffer.concat([a, b]), c.subarray(0, 1), c.subarray(1, 9), c.subarray(9)], 3);
    expect(replies.map((r) => [r.id, r.rcode])).to.deep.equal([
      [1, 'NOERROR'],
      [2, 'NXDOMAIN'],
      [3, 'NOERROR'],
    ]);
    expect(replies[2]!.answers!.map((x) => x.type === 'SRV' && x.data.port)).to.deep.equal([80]);
  });

  it('truncates UDP answers over 512 bytes without EDNS (TC), fits them with EDNS, sends all over TCP', async () => {
    const plain = await udp(server.port, question('many.default.svc.cluster.local'));
    expect([plain.flag_tc, plain.answers!.length]).to.deep.equal([true, 0]);
    const edns = await udp(server.port, question('many.default.svc.cluster.local', 'A', 8, 4096));
    expect([edns.flag_tc, edns.answers!.length]).to.deep.equal([false, 20]);
    expect(edns.additionals!.some((a) => a.type === 'OPT')).to.equal(true);
    const viaTcp = await tcp(server.port, [frame(dnsPacket.encode(question('many.default.svc.cluster.local')))], 1);
    expect([viaTcp[0]!.flag_tc, viaTcp[0]!.answers!.length]).to.deep.equal([false, 20]);
  });

  it('malformed input: short packets and responses are dropped, garbage after a header is FORMERR, other opcodes NOTIMP', async () => {
    expect(await udpRaw(server.port, Buffer.from([1, 2, 3]), 300)).to.equal(undefined);
    const response = dnsPacket.encode({ ...question('api.default.svc.cluster.local'), type: 'response' });
    expect(await udpRaw(server.port, response, 300)).to.equal(undefined);
    const garbage = Buffer.concat([Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0]), Buffer.from([0xc0, 0xff, 0xee])]);
    const formerr = decode((await udpRaw(server.port, garbage))!);
    expect([formerr.id, formerr.rcode]).to.deep.equal([0x1234, 'FORMERR']);
    const noQuestion = decode((await udpRaw(server.port, dnsPacket.encode({ type: 'query', id: 5, questions: [] })))!);
    expect(noQuestion.rcode).to.equal('FORMERR');
    const update = Buffer.from(dnsPacket.encode(question('api.default.svc.cluster.local')));
    update.writeUInt16BE(update.readUInt16BE(2) | (5 << 11), 2); // opcode UPDATE
    expect(decode((await udpRaw(server.port, update))!).rcode).to.equal('NOTIMP');
  });

  it('random bytes never crash it (UDP and TCP), and it keeps answering', async () => {
    let seed = 12345;
    const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    for (let i = 0; i < 200; i++) {
      const len = next() % 80;
      const bytes = Buffer.from(Array.from({ length: len }, () => next() & 0xff));
      if (len >= 3) bytes[2] = bytes[2]! & 0x7f; // mostly queries, so the decoder runs
      await udpRaw(server.port, bytes, 20);
    }
    const badBody = Buffer.concat([Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]), Buffer.from('not dns at all')]);
    const framedGarbage = Buffer.concat([frame(badBody), frame(dnsPacket.encode(question('api.default.svc.cluster.local', 'A', 77)))]);
    const replies = await tcp(server.port, [framedGarbage], 2);
    expect(replies.map((r) => r.rcode)).to.deep.equal(['FORMERR', 'NOERROR']);
    expect((await udp(server.port, question('api.default.svc.cluster.local'))).answers!.length).to.equal(1);
  });

  it('a change to the index shows in the next answer (the answer cache follows the index)', async () => {
    const name = 'moving.default.svc.cluster.local';
    expect((await udp(server.port, question(name, 'A', 11))).rcode).to.equal('NXDOMAIN');
    index.setService(service('default', 'moving', { clusterIP: '10.43.2.2', clusterIPs: ['10.43.2.2'] }));
    const first = await udp(server.port, question(name, 'A', 12));
    expect([first.id, first.answers!.map((a) => a.type === 'A' && a.data)]).to.deep.equal([12, ['10.43.2.2']]);
    const again = await udp(server.port, question(name, 'A', 13));
    expect([again.id, again.answers!.map((a) => a.type === 'A' && a.data)]).to.deep.equal([13, ['10.43.2.2']]);
    index.deleteService('default', 'moving');
    expect((await udp(server.port, question(name, 'A', 14))).rcode).to.equal('NXDOMAIN');
  });

  it('counts requests and responses under CoreDNS metric names', async () => {
    const text = await registry.metrics();
    expect(text).to.contain('coredns_dns_requests_total');
    expect(text).to.contain('coredns_dns_request_duration_seconds_bucket');
    expect(text).to.match(/^coredns_dns_responses_total\{[^}]*rcode="NXDOMAIN"[^}]*\} [1-9]/m);
  });
});
