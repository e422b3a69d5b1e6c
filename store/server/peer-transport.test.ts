import { expect } from 'chai';
import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { RaftPeerClient, RaftPeerService } from '../../gen/bosun/raft';
import { Message, MessageType, newMessage } from '../raft/types';
import { PEER_CHANNEL_OPTIONS, PeerDialer, PeerTransport, TransportHandlers } from './peer-transport';

const CLUSTER_ID = 0x5eed;
/** Bound on every wait in these tests. */
const WAIT_LIMIT_MS = 10_000;
const POLL_MS = 20;

/** What one transport reported to its member loop. */
interface Recorded {
  messages: Message[];
  unreachable: number[];
  snapshotStatus: boolean[];
}

/** A transport with its own peer server on 127.0.0.1, recording what it reports. */
class TestMember {
  readonly recorded: Recorded = { messages: [], unreachable: [], snapshotStatus: [] };
  readonly transport: PeerTransport;
  private readonly server = new grpc.Server();
  port = 0;

  constructor(
    readonly id: number,
    dial?: PeerDialer,
  ) {
    const handlers: TransportHandlers = {
      onMessage: (m) => this.recorded.messages.push(m),
      isRemoved: () => false,
      onSelfRemoved: () => undefined,
      onUnreachable: (peer) => this.recorded.unreachable.push(peer),
      onSnapshotStatus: (_peer, ok) => this.recorded.snapshotStatus.push(ok),
    };
    this.transport = new PeerTransport(id, CLUSTER_ID, handlers, pino({ level: 'silent' }), dial);
    this.server.addService(RaftPeerService, this.transport.service());
  }

  async listen(): Promise<void> {
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
    );
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  stop(): void {
    this.transport.close();
    this.server.forceShutdown();
  }
}

async function waitFor(what: string, cond: () => boolean, tick: () => void = () => undefined): Promise<void> {
  const deadline = Date.now() + WAIT_LIMIT_MS;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    tick();
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

function heartbeat(from: number, to: number): Message {
  return newMessage({ type: MessageType.Heartbeat, from, to, term: 3 });
}

describe('peer transport', function () {
  this.timeout(30_000);
  const started: TestMember[] = [];

  async function member(id: number, dial?: PeerDialer): Promise<TestMember> {
    const m = new TestMember(id, dial);
    await m.listen();
    started.push(m);
    return m;
  }

  afterEach(() => {
    for (const m of started.splice(0)) m.stop();
  });

  it('delivers messages to the peer they are addressed to', async () => {
    const [a, b] = [await member(1), await member(2)];
    a.transport.setPeer(2, [`http://${b.address}`]);
    await waitFor('a heartbeat at member 2', () => b.recorded.messages.length > 0, () => a.transport.send([heartbeat(1, 2)]));
    expect(b.recorded.messages[0]).to.include({ type: MessageType.Heartbeat, from: 1, to: 2 });
  });

  it("follows a peer whose name resolves to a new address when its old address now reaches another member (a restarted container's IP handed to another)", async () => {
    // A fake name service: "store-2" first still resolves to the address member 3 holds now
    // (the stale answer a reconnect reuses), then to member 2's real address.
    const names = new Map<string, string>();
    const dials: string[] = [];
    const dial: PeerDialer = (target) => {
      const resolved = names.get(target) ?? target;
      dials.push(resolved);
      return new RaftPeerClient(resolved, grpc.credentials.createInsecure(), PEER_CHANNEL_OPTIONS);
    };
    const two = await member(2);
    const three = await member(3);
    names.set('store-2:2380', three.address);
    const one = await member(1, dial);
    one.transport.setPeer(2, ['http://store-2:2380']);
    // Member 3 refuses the stream meant for member 2; member 1 reports 2 unreachable.
    await waitFor('member 1 to see 2 as unreachable', () => one.recorded.unreachable.includes(2), () => one.transport.send([heartbeat(1, 2)]));
    expect(three.recorded.messages, 'member 3 never handles messages meant for 2').to.deep.equal([]);
    // The name now resolves to member 2: the redialled channel reaches it.
    names.set('store-2:2380', two.address);
    await waitFor('a heartbeat at member 2', () => two.recorded.messages.length > 0, () => one.transport.send([heartbeat(1, 2)]));
    expect(dials.filter((d) => d === two.address).length).to.equal(1);
    expect(three.recorded.messages).to.deep.equal([]);
  });

  it('reports a snapshot lost with its connection as failed, exactly once', async () => {
    // A peer that accepts the connection but never speaks HTTP/2: the snapshot cannot leave
    // (flow control) until the connection drops.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => {
      sockets.push(s);
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      const a = await member(1);
      a.transport.setPeer(2, [`http://127.0.0.1:${port}`]);
      const big = new Uint8Array(1024 * 1024);
      const snap = newMessage({
        type: MessageType.Snap,
        from: 1,
        to: 2,
        term: 3,
        snapshot: { metadata: { index: 10, term: 3, confState: { voters: [1, 2], learners: [] } }, data: big },
      });
      a.transport.send([snap]);
      await waitFor('the connection', () => sockets.length > 0);
      expect(a.recorded.snapshotStatus).to.deep.equal([]);
      for (const s of sockets) s.destroy();
      await waitFor('the snapshot report', () => a.recorded.snapshotStatus.length > 0);
      // Give a late write callback the chance to report twice (it must not).
      await new Promise((r) => setTimeout(r, 200));
      expect(a.recorded.snapshotStatus).to.deep.equal([false]);
    } finally {
      silent.close();
    }
  });
});
