import { expect } from 'chai';
import * as http2 from 'node:http2';
import { huffmanDecode, HuffmanError } from './hpack-huffman';
import { rewriteAuthority } from './authority-rewriter';
import { ClientListener } from './client-listener';
import { makeCertificate } from '../../lib/pki/x509';
import { tlsServerOptions } from './member-tls';

describe('HPACK Huffman decoding', () => {
  it('decodes RFC 7541 Appendix C.4 examples and what etcdctl 3.4 sends as :authority', () => {
    expect(huffmanDecode(Buffer.from('f1e3c2e5f23a6ba0ab90f4ff', 'hex')).toString()).to.equal('www.example.com');
    expect(huffmanDecode(Buffer.from('a8eb10649cbf', 'hex')).toString()).to.equal('no-cache');
    expect(huffmanDecode(Buffer.from('25a849e95bb8e8b4bf', 'hex')).toString()).to.equal('custom-value');
    // Captured from `etcdctl --endpoints http://127.0.0.1:23799 endpoint status`.
    expect(huffmanDecode(Buffer.from('9d29aee30c044eae05c0b86e09975f7f', 'hex')).toString()).to.equal('http://127.0.0.1:23799');
  });

  it('refuses padding that is longer than 7 bits or not all ones', () => {
    expect(() => huffmanDecode(Buffer.from('f1e3c2e5f23a6ba0ab90f4ffff', 'hex'))).to.throw(HuffmanError);
    expect(() => huffmanDecode(Buffer.from('a8eb10649cbe', 'hex'))).to.throw(HuffmanError);
  });
});

describe('rewriteAuthority', () => {
  // etcdctl's HEADERS block: :method POST, :scheme http, :path (Huffman), :authority "http://127.0.0.1:23799" (Huffman, indexed).
  const etcdctlBlock = Buffer.from('838645' + '97' + '60a924882d9dcb6571afa066a925a87510ac6e48d36a3f' + '41' + '90' + '9d29aee30c044eae05c0b86e09975f7f', 'hex');

  it('keeps only host:port of a URL :authority, as a plain literal of the same kind, the rest byte for byte', () => {
    const out = rewriteAuthority(etcdctlBlock);
    const prefix = etcdctlBlock.subarray(0, 3 + 1 + 23);
    expect(out?.subarray(0, prefix.length)).to.deep.equal(prefix);
    expect(out?.subarray(prefix.length)).to.deep.equal(Buffer.concat([Buffer.from([0x41, 15]), Buffer.from('127.0.0.1:23799')]));
  });

  it('leaves a host:port :authority, indexed fields and malformed blocks alone', () => {
    expect(rewriteAuthority(Buffer.concat([Buffer.from([0x83, 0x41, 14]), Buffer.from('127.0.0.1:2379')]))).to.equal(undefined);
    expect(rewriteAuthority(Buffer.from([0x83, 0x86, 0xbe]))).to.equal(undefined);
    expect(rewriteAuthority(etcdctlBlock.subarray(0, etcdctlBlock.length - 3))).to.equal(undefined);
  });
});

describe('ClientListener: real HTTP/2 connections into a Node HTTP/2 server', function () {
  this.timeout(20_000);
  let server: http2.Http2Server;
  let listener: ClientListener;
  const seen: string[] = [];
  /** Short, so the test of a connection that idles before its first request stays quick. */
  const LOOK_MS = 100;

  before(async () => {
    server = http2.createServer();
    server.on('stream', (stream, headers) => {
      seen.push(String(headers[':authority']));
      stream.respond({ ':status': 200 });
      stream.end('ok');
    });
    listener = await ClientListener.listen('127.0.0.1', 0, { injectConnection: (c) => server.emit('connection', c) }, LOOK_MS);
  });
  after(async () => {
    await listener.close(500);
  });

  /** Sends `count` requests on one connection with the given :authority; resolves with the bodies. */
  async function requests(authority: string, count: number, idleMs = 0): Promise<string[]> {
    const session = http2.connect(`http://127.0.0.1:${listener.port}`);
    try {
      if (idleMs > 0) await new Promise((r) => setTimeout(r, idleMs));
      const bodies: string[] = [];
      for (let i = 0; i < count; i++) {
        bodies.push(
          await new Promise<string>((resolve, reject) => {
            const req = session.request({ ':method': 'POST', ':path': '/x', ':authority': authority });
            let body = '';
            req.on('data', (d: Buffer) => (body += d.toString()));
            req.on('end', () => resolve(body));
            req.on('error', reject);
            req.end();
          }),
        );
      }
      return bodies;
    } finally {
      session.close();
    }
  }

  it('serves a URL :authority (first literal, then indexed) with the URL reduced to host:port', async () => {
    seen.length = 0;
    expect(await requests('http://127.0.0.1:2379', 3)).to.deep.equal(['ok', 'ok', 'ok']);
    expect(seen).to.deep.equal(['127.0.0.1:2379', '127.0.0.1:2379', '127.0.0.1:2379']);
  });

  it('hands over a connection that sends no request within the look time', async () => {
    seen.length = 0;
    expect(await requests('localhost:2379', 2, 3 * LOOK_MS)).to.deep.equal(['ok', 'ok']);
    expect(seen).to.deep.equal(['localhost:2379', 'localhost:2379']);
  });

  it('hands a plain connection over untouched', async () => {
    seen.length = 0;
    expect(await requests('localhost:2379', 3)).to.deep.equal(['ok', 'ok', 'ok']);
    expect(seen).to.deep.equal(['localhost:2379', 'localhost:2379', 'localhost:2379']);
  });
});

describe('ClientListener over mutual TLS: the handshake decides who reaches the HTTP/2 server', function () {
  this.timeout(20_000);
  const ca = makeCertificate({ subject: { commonName: 'test-ca' }, usage: 'ca', validityDays: 1 });
  const serving = makeCertificate({ subject: { commonName: 'member' }, usage: 'peer', hosts: ['127.0.0.1', 'localhost'], validityDays: 1, issuer: ca });
  const client = makeCertificate({ subject: { commonName: 'client' }, usage: 'client', validityDays: 1, issuer: ca });
  const otherCa = makeCertificate({ subject: { commonName: 'other-ca' }, usage: 'ca', validityDays: 1 });
  const foreign = makeCertificate({ subject: { commonName: 'client' }, usage: 'client', validityDays: 1, issuer: otherCa });
  let server: http2.Http2Server;
  let listener: ClientListener;
  const refusals: string[] = [];

  before(async () => {
    server = http2.createServer();
    server.on('stream', (stream) => {
      stream.respond({ ':status': 200 });
      stream.end('ok');
    });
    const material = { cert: Buffer.from(serving.cert), key: Buffer.from(serving.key), ca: Buffer.from(ca.cert), clientCertAuth: true };
    listener = await ClientListener.listen('127.0.0.1', 0, { injectConnection: (c) => server.emit('connection', c) }, 100, tlsServerOptions(material), (err) => refusals.push(err.message));
  });
  after(async () => {
    await listener.close(500);
  });

  /** One request over TLS presenting `pair` (or no certificate); resolves with the body or the error's message. */
  function request(pair?: { cert: string; key: string }): Promise<string> {
    return new Promise((resolve) => {
      const session = http2.connect(`https://localhost:${listener.port}`, { ca: ca.cert, ...(pair ?? {}) });
      const done = (outcome: string) => {
        session.destroy();
        resolve(outcome);
      };
      session.on('error', (err) => done(`error: ${err.message}`));
      session.on('close', () => done('closed'));
      const req = session.request({ ':method': 'POST', ':path': '/x' });
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => done(body));
      req.on('error', (err) => done(`error: ${err.message}`));
      req.end();
    });
  }

  it('serves a client with a certificate the CA signed', async () => {
    expect(await request(client)).to.equal('ok');
  });

  it('refuses a client without a certificate, or with one another CA signed, and reports it', async () => {
    expect(await request()).to.not.equal('ok');
    expect(await request(foreign)).to.not.equal('ok');
    expect(refusals.length).to.be.at.least(2);
    expect(refusals.join('\n')).to.match(/certificate/i);
  });
});
