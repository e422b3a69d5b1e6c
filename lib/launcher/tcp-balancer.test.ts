import { expect } from 'chai';
import * as net from 'node:net';
import { TcpBalancer } from './tcp-balancer';

/** A TCP server answering every connection with its name, then closing. */
async function namedServer(name: string): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer((s) => s.end(name));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) };
}

/** What a connection through the balancer reads. */
function fetchName(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let data = '';
    s.on('data', (d) => (data += d.toString()));
    s.on('close', () => resolve(data));
    s.on('error', reject);
  });
}

describe('TcpBalancer (bosun up in front of the apiservers)', () => {
  it('spreads connections over the backends and skips one that is down', async () => {
    const a = await namedServer('a');
    const b = await namedServer('b');
    const balancer = new TcpBalancer([{ host: '127.0.0.1', port: a.port }, { host: '127.0.0.1', port: b.port }]);
    const port = await balancer.listen(0);
    try {
      const spread = [await fetchName(port), await fetchName(port), await fetchName(port), await fetchName(port)];
      expect(spread.sort()).to.deep.equal(['a', 'a', 'b', 'b']);
      await a.close();
      const after = [await fetchName(port), await fetchName(port), await fetchName(port)];
      expect(after).to.deep.equal(['b', 'b', 'b']);
      await b.close();
      expect(await fetchName(port)).to.equal(''); // nothing left: the client is closed, not left hanging
    } finally {
      await balancer.close();
    }
  });
});
