import { expect } from 'chai';
import * as zlib from 'node:zlib';
import { PassThrough } from 'node:stream';
import { FLAG_FIN, FrameSplitter, SpdyCodec, SpdyProtocolError, decodeHeaderBlock, encodeHeaderBlock, type SpdyFrame } from './spdy-frames';
import { SPDY3_DICTIONARY } from './spdy-dictionary';
import { SpdySession, type SpdyStream } from './spdy-session';

/** Encodes frames with one codec and decodes them with another, as two peers do. */
async function roundTrip(frames: SpdyFrame[]): Promise<SpdyFrame[]> {
  const sender = new SpdyCodec();
  const receiver = new SpdyCodec();
  const bytes = Buffer.concat(await Promise.all(frames.map((f) => sender.encode(f))));
  // Fed one byte at a time, so frames cut anywhere are put back together.
  const splitter = new FrameSplitter();
  const raws = [];
  for (const b of bytes) raws.push(...splitter.push(Buffer.from([b])));
  const out = [];
  for (const raw of raws) out.push(await receiver.decode(raw));
  sender.close();
  receiver.close();
  return out;
}

describe('SPDY/3.1 framing', () => {
  it('the dictionary is the 1423 bytes of the SPDY/3 draft (zlib names it by its Adler-32)', () => {
    expect(SPDY3_DICTIONARY.length).to.equal(1423);
    expect(SPDY3_DICTIONARY.subarray(0, 11).toString('latin1')).to.equal('\0\0\0\x07options');
    expect(SPDY3_DICTIONARY.subarray(-6).toString('latin1')).to.equal('enq=0.');
  });

  it('round-trips every frame type, header blocks compressed in one zlib stream per direction', async () => {
    const frames: SpdyFrame[] = [
      { type: 'syn_stream', streamId: 1, associatedStreamId: 0, priority: 0, flags: 0, headers: { streamtype: ['error'], port: ['80'], requestid: ['0'] } },
      { type: 'syn_stream', streamId: 3, associatedStreamId: 0, priority: 2, flags: FLAG_FIN, headers: { streamtype: ['data'], port: ['80'], requestid: ['0'] } },
      { type: 'syn_reply', streamId: 3, flags: 0, headers: {} },
      { type: 'headers', streamId: 3, flags: 0, headers: { multi: ['a', 'b'] } },
      { type: 'data', streamId: 3, flags: 0, data: Buffer.from('hello') },
      { type: 'data', streamId: 3, flags: FLAG_FIN, data: Buffer.alloc(0) },
      { type: 'rst_stream', streamId: 5, status: 5 },
      { type: 'settings', flags: 0, entries: [{ id: 7, flags: 0, value: 65536 }] },
      { type: 'ping', id: 42 },
      { type: 'window_update', streamId: 3, delta: 1000 },
      { type: 'goaway', lastGoodStreamId: 3, status: 0 },
    ];
    expect(await roundTrip(frames)).to.deep.equal(frames);
  });

  it('header blocks are compressed with the SPDY/3 dictionary (a plain inflate of them fails without it)', async () => {
    const codec = new SpdyCodec();
    const frame = await codec.encode({ type: 'syn_reply', streamId: 1, flags: 0, headers: { a: ['b'] } });
    const block = frame.subarray(12);
    expect(() => zlib.inflateSync(block, { finishFlush: zlib.constants.Z_SYNC_FLUSH })).to.throw(/dictionary/i);
    const inflated = zlib.inflateSync(block, { dictionary: SPDY3_DICTIONARY, finishFlush: zlib.constants.Z_SYNC_FLUSH });
    expect(decodeHeaderBlock(inflated)).to.deep.equal({ a: ['b'] });
    codec.close();
  });

  it('header blocks: several values travel NUL-joined; malformed blocks are protocol errors', () => {
    expect(decodeHeaderBlock(encodeHeaderBlock({ 'X-Multi': ['1', '2'] }))).to.deep.equal({ 'x-multi': ['1', '2'] });
    expect(() => decodeHeaderBlock(Buffer.from([0, 0, 0, 2, 0, 0, 0, 9, 1]))).to.throw(SpdyProtocolError);
  });

  it('a frame longer than the limit is refused before it is buffered', () => {
    const splitter = new FrameSplitter(16);
    expect(() => splitter.push(Buffer.from([0, 0, 0, 1, 0, 0, 1, 0]))).to.throw(SpdyProtocolError, /over the limit/);
  });

  it('a session answers PING, replies to SYN_STREAM and carries data both ways until FIN', async () => {
    const [a, b] = duplexPair();
    const client = new SpdySession(a, 'client');
    const server = new SpdySession(b, 'server');
    const accepted = new Promise<SpdyStream>((resolve) => server.on('stream', resolve));
    const stream = client.openStream({ streamtype: ['data'] });
    const remote = await accepted;
    expect(remote.header('streamtype')).to.equal('data');
    remote.on('data', (d: Buffer) => remote.write(Buffer.from(d.toString().toUpperCase())));
    remote.on('end', () => remote.end());
    let echoed = '';
    stream.on('data', (d) => (echoed += d));
    const ended = new Promise((resolve) => stream.on('end', resolve));
    stream.end('hi there');
    await ended;
    expect(echoed).to.equal('HI THERE');
    client.close();
    server.close();
  });
});

/** Two connected in-memory byte streams. */
function duplexPair(): [PassThrough, PassThrough] {
  const aToB = new PassThrough();
  const bToA = new PassThrough();
  const a = new PassThrough();
  const b = new PassThrough();
  // a writes go to b's readable, and the other way round.
  a._write = (chunk, enc, cb) => aToB.write(chunk, enc, cb);
  b._write = (chunk, enc, cb) => bToA.write(chunk, enc, cb);
  aToB.on('data', (d) => b.push(d));
  bToA.on('data', (d) => a.push(d));
  return [a, b];
}
