import { expect } from 'chai';
import type { Event } from '../../gen/etcd/kv';
import { IndeterminateError } from './client-errors';
import type { ClientLogger } from './logger';
import { StoreClient } from './store-client';
import { isHealthy, startEtcdCluster, waitUntil, type EtcdCluster } from './test-etcd';

/** A logger that records message texts (to see what the client did). */
function recordingLogger(): ClientLogger & { messages: string[] } {
  const messages: string[] = [];
  const log = (_: object, message: string): void => void messages.push(message);
  return { messages, debug: log, info: log, warn: log, error: log };
}

/**
 * Writes `value` at `key` exactly once even across indeterminate failures: createIfAbsent is
 * safe to repeat, and a failed compare with our value means an earlier attempt landed.
 */
async function writeOnce(client: StoreClient, key: string, value: string): Promise<void> {
  for (;;) {
    try {
      const res = await client.createIfAbsent(key, value);
      if (res.succeeded || res.current?.value.toString() === value) return;
      throw new Error(`${key} holds ${res.current?.value.toString()}, not ${value}`);
    } catch (err) {
      if (!(err instanceof IndeterminateError)) throw err;
    }
  }
}

describe('StoreClient against real etcd 3.4: failover', function () {
  this.timeout(90_000);
  let cluster: EtcdCluster;
  const clients: StoreClient[] = [];
  const newClient = (endpoints: string[], extra: { requestTimeoutMs?: number; logger?: ClientLogger } = {}): StoreClient => {
    const c = new StoreClient({ endpoints, ...extra });
    clients.push(c);
    return c;
  };

  before(async () => {
    cluster = await startEtcdCluster({ members: 3 });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const m of cluster.members) {
      if (m.pid === undefined) await m.restart();
    }
  });
  after(async () => {
    await cluster?.stop();
  });

  it('fails get and put over to the next endpoint when the first one is dead', async () => {
    const [m0, ...survivors] = cluster.members;
    await m0!.kill();
    // If m0 led, a write proposed before the others notice is rightly indeterminate (see the
    // frozen-member test); here we test endpoint failover, so wait for a leader among them.
    await waitUntil(async () => (await Promise.all(survivors.map((m) => isHealthy(m.clientUrl)))).every((h) => h), 20_000, 'a new leader');
    const client = newClient(cluster.endpoints);
    const put = await client.put('/fo/k', 'v');
    const got = await client.get('/fo/k');
    expect(got.kvs[0]!.value.toString()).to.equal('v');
    expect(got.kvs[0]!.modRevision).to.equal(put.revision);
    expect(client.currentEndpoint).to.not.equal(m0!.endpoint);
  });

  it('resumes a watch across kill -9 of its member: every event exactly once, in order', async () => {
    const [m0, m1, m2] = cluster.members;
    const logger = recordingLogger();
    const watcher = newClient([m0!.endpoint, m1!.endpoint, m2!.endpoint], { logger });
    const writer = newClient([m1!.endpoint, m2!.endpoint]);
    const total = 400;
    const key = (i: number): string => `/resume/${String(i).padStart(4, '0')}`;

    const start = (await writer.get('/resume/', { prefix: true })).revision + 1;
    const seen: Event[] = [];
    const handle = watcher.watch('/resume/', { prefix: true, startRevision: start }, (events) => seen.push(...events));
    let writing = true;
    const writes = (async () => {
      for (let i = 0; i < total; i++) await writeOnce(writer, key(i), `v${i}`);
      writing = false;
    })();

    await waitUntil(() => seen.length >= 50, 20_000, 'the first 50 events');
    expect(watcher.currentEndpoint).to.equal(m0!.endpoint);
    await m0!.kill('SIGKILL');
    const seenAtKill = seen.length;
    const stillWriting = writing;
    await writes;
    await waitUntil(() => seen.length >= total, 30_000, `all ${total} events (have ${seen.length})`);
    // A final write: once it is seen, any duplicate of an earlier event would have arrived too.
    await writer.put('/resume/~end', 'end');
    await waitUntil(() => seen.some((e) => e.kv!.key.toString() === '/resume/~end'), 10_000, 'the end marker');

    expect(stillWriting, 'the writer finished before the kill; the test proved nothing').to.equal(true);
    expect(seenAtKill).to.be.below(total);
    expect(seen.map((e) => e.kv!.key.toString())).to.deep.equal([...Array.from({ length: total }, (_, i) => key(i)), '/resume/~end']);
    expect(seen.map((e) => e.kv!.value.toString()).slice(0, total)).to.deep.equal(Array.from({ length: total }, (_, i) => `v${i}`));
    const revisions = seen.map((e) => e.kv!.modRevision);
    expect(revisions.every((r, i) => i === 0 || r > revisions[i - 1]!)).to.equal(true);
    expect(watcher.currentEndpoint).to.not.equal(m0!.endpoint);
    expect(logger.messages).to.include('stream broken, reconnecting');
    handle.cancel();
  });

  it('keeps a lease alive across kill -9 of the member its keep-alive stream runs on', async () => {
    const [m0] = cluster.members;
    const client = newClient(cluster.endpoints);
    const lease = await client.grant(2);
    await client.put('/ka/k', 'v', { lease: lease.id });
    const handle = client.keepAlive(lease.id);
    let ended = false;
    void handle.closed.then(() => (ended = true));
    await waitUntil(() => handle.ttl > 0, 5000, 'the first renewal');
    await m0!.kill();
    const killedAt = Date.now();
    await waitUntil(async () => {
      expect((await client.get('/ka/k')).count, 'key vanished while its lease was kept alive').to.equal(1);
      return Date.now() - killedAt > 3500;
    }, 15_000, 'two TTLs after the kill', 200);
    expect(ended).to.equal(false);
    expect((await client.timeToLive(lease.id)).ttl).to.be.greaterThan(0);
    expect(client.currentEndpoint).to.not.equal(m0!.endpoint);
    handle.stop();
    await client.revoke(lease.id);
  });

  it('reports a write sent to a frozen member as IndeterminateError, not a silent retry', async () => {
    const [m0] = cluster.members;
    const client = newClient(cluster.endpoints, { requestTimeoutMs: 700 });
    await client.get('/frozen/warmup'); // connect to m0
    expect(client.currentEndpoint).to.equal(m0!.endpoint);
    process.kill(m0!.pid!, 'SIGSTOP');
    try {
      const err = await client.put('/frozen/k', 'v').then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(IndeterminateError);
      expect((err as IndeterminateError).endpoint).to.equal(m0!.endpoint);
    } finally {
      process.kill(m0!.pid!, 'SIGCONT');
    }
  });
});
