import { expect } from 'chai';
import { GoneError, ServiceUnavailableError } from '../api/errors';
import { parseLabelSelector } from '../api/label-selector';
import { KubeObject } from '../api/object';
import { FakeClock, flushPromises } from './fake-clock';
import {
  indexByNodeName,
  ListerWatcher,
  NAMESPACE_INDEX,
  NODE_NAME_INDEX,
  objectKey,
  SharedInformer,
  splitObjectKey,
  WATCH_RETRY_BASE_MS,
  WatchEvent,
} from './informer';

function pod(ns: string, name: string, rv: number, extra: { node?: string; labels?: Record<string, string> } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace: ns, name, resourceVersion: String(rv), labels: extra.labels },
    spec: extra.node ? { nodeName: extra.node } : {},
  };
}

interface FakeWatch {
  rv: string;
  onEvent: (e: WatchEvent<KubeObject>) => void;
  onError: (err: unknown) => void;
  stopped: boolean;
}

/** A scripted ListerWatcher: tests set the list answer and drive the open watch. */
class FakeListerWatcher implements ListerWatcher<KubeObject> {
  items: KubeObject[] = [];
  resourceVersion = '10';
  listCalls = 0;
  listError?: unknown;
  watches: FakeWatch[] = [];

  async list(): Promise<{ items: KubeObject[]; resourceVersion: string }> {
    this.listCalls++;
    if (this.listError) throw this.listError;
    return { items: [...this.items], resourceVersion: this.resourceVersion };
  }

  watch(rv: string, onEvent: (e: WatchEvent<KubeObject>) => void, onError: (err: unknown) => void): { stop(): void } {
    const w: FakeWatch = { rv, onEvent, onError, stopped: false };
    this.watches.push(w);
    return { stop: () => (w.stopped = true) };
  }

  /** The watch the informer currently holds open. */
  get current(): FakeWatch {
    const open = this.watches.filter((w) => !w.stopped);
    expect(open).to.have.length(1);
    return open[0];
  }

  send(type: WatchEvent<KubeObject>['type'], object: KubeObject): void {
    this.current.onEvent({ type, object });
  }
}

/** Records handler calls as compact strings. */
function recorder(informer: SharedInformer<KubeObject>, tag = ''): string[] {
  const log: string[] = [];
  const rv = (o: KubeObject): string => o.metadata.resourceVersion ?? '';
  informer.addEventHandler({
    onAdd: (o) => log.push(`${tag}add ${objectKey(o)}@${rv(o)}`),
    onUpdate: (a, b) => log.push(`${tag}update ${objectKey(b)}@${rv(a)}->${rv(b)}`),
    onDelete: (o) => log.push(`${tag}delete ${objectKey(o)}@${rv(o)}`),
  });
  return log;
}

describe('SharedInformer', () => {
  let clock: FakeClock;
  let lw: FakeListerWatcher;
  let informer: SharedInformer<KubeObject>;

  beforeEach(() => {
    clock = new FakeClock();
    lw = new FakeListerWatcher();
    informer = new SharedInformer(lw, { clock, indexers: { [NODE_NAME_INDEX]: indexByNodeName } });
  });

  afterEach(() => informer.stop());

  it('lists, syncs, then watches from the list resourceVersion', async () => {
    lw.items = [pod('default', 'a', 5), pod('kube-system', 'b', 7)];
    const log = recorder(informer);
    expect(informer.hasSynced()).to.equal(false);
    informer.run();
    await informer.waitForSync();
    expect(informer.hasSynced()).to.equal(true);
    expect(log).to.deep.equal(['add default/a@5', 'add kube-system/b@7']);
    expect(lw.current.rv).to.equal('10');
    expect(informer.lister.get('default', 'a')?.metadata.resourceVersion).to.equal('5');
    expect(informer.lister.get('default', 'b')).to.equal(undefined);
  });

  it('applies watch events in order and tracks the last resourceVersion', async () => {
    const log = recorder(informer);
    informer.run();
    await informer.waitForSync();
    lw.send('ADDED', pod('default', 'a', 11));
    lw.send('MODIFIED', pod('default', 'a', 12));
    lw.send('BOOKMARK', { metadata: { resourceVersion: '13' } });
    lw.send('DELETED', pod('default', 'a', 14));
    expect(log).to.deep.equal(['add default/a@11', 'update default/a@11->12', 'delete default/a@12']);
    expect(informer.lastSyncResourceVersion()).to.equal('14');
    expect(informer.lister.list()).to.deep.equal([]);
  });

  it('delivers each event to every handler before the next event, in registration order', async () => {
    const order: string[] = [];
    informer.addEventHandler({ onAdd: (o) => order.push(`h1 ${o.metadata.name}`) });
    informer.addEventHandler({
      onAdd: (o) => {
        order.push(`h2 ${o.metadata.name}`);
        throw new Error('a broken handler does not stop the others');
      },
    });
    informer.addEventHandler({ onAdd: (o) => order.push(`h3 ${o.metadata.name}`) });
    informer.run();
    await informer.waitForSync();
    lw.send('ADDED', pod('default', 'a', 11));
    lw.send('ADDED', pod('default', 'b', 12));
    expect(order).to.deep.equal(['h1 a', 'h2 a', 'h3 a', 'h1 b', 'h2 b', 'h3 b']);
  });

  it('replays the cache as adds to a handler registered after sync', async () => {
    lw.items = [pod('default', 'a', 5)];
    informer.run();
    await informer.waitForSync();
    const late = recorder(informer);
    expect(late).to.deep.equal(['add default/a@5']);
  });

  it('resyncs every period by re-delivering cached objects as updates; 0 = off', async () => {
    informer.stop();
    informer = new SharedInformer(lw, { clock, resyncPeriodMs: 30_000 });
    lw.items = [pod('default', 'a', 5)];
    const log = recorder(informer);
    informer.run();
    await informer.waitForSync();
    await clock.advance(29_999);
    expect(log).to.deep.equal(['add default/a@5']);
    await clock.advance(1);
    expect(log).to.deep.equal(['add default/a@5', 'update default/a@5->5']);
    await clock.advance(30_000);
    expect(log).to.have.length(3);

    const quiet = new SharedInformer(new FakeListerWatcher(), { clock });
    quiet.run();
    await quiet.waitForSync();
    expect(clock.pendingTimers()).to.equal(1); // only the other informer's resync
    quiet.stop();
  });

  it('on 410 Gone re-lists and emits adds, updates and deletes of objects that vanished', async () => {
    lw.items = [pod('default', 'keep', 5), pod('default', 'change', 6), pod('default', 'vanish', 7)];
    const log = recorder(informer);
    informer.run();
    await informer.waitForSync();
    log.length = 0;
    const old = lw.current;
    lw.items = [pod('default', 'keep', 5), pod('default', 'change', 20), pod('default', 'new', 21)];
    lw.resourceVersion = '25';
    old.onError(new GoneError('too old resource version: 10 (20)'));
    await flushPromises();
    expect(old.stopped).to.equal(true);
    expect(lw.listCalls).to.equal(2);
    expect(log).to.deep.equal([
      'update default/keep@5->5',
      'update default/change@6->20',
      'add default/new@21',
      'delete default/vanish@7',
    ]);
    expect(lw.current.rv).to.equal('25');
    expect(informer.lister.list().map(objectKey).sort()).to.deep.equal(['default/change', 'default/keep', 'default/new']);
    old.onEvent({ type: 'ADDED', object: pod('default', 'ghost', 9) }); // late event of the dead watch
    expect(informer.lister.get('default', 'ghost')).to.equal(undefined);
  });

  it('on other watch errors resumes from the last seen resourceVersion with backoff', async () => {
    informer.run();
    await informer.waitForSync();
    lw.send('ADDED', pod('default', 'a', 11));
    lw.current.onError(new ServiceUnavailableError('store unreachable'));
    expect(lw.watches.filter((w) => !w.stopped)).to.have.length(0);
    await clock.advance(WATCH_RETRY_BASE_MS - 1);
    expect(lw.watches).to.have.length(1);
    await clock.advance(1);
    expect(lw.current.rv).to.equal('11');
    lw.current.onError(new Error('again'));
    await clock.advance(WATCH_RETRY_BASE_MS);
    expect(lw.watches.filter((w) => !w.stopped)).to.have.length(0); // second retry waits twice as long
    await clock.advance(WATCH_RETRY_BASE_MS);
    expect(lw.current.rv).to.equal('11');
    expect(lw.listCalls).to.equal(1);
  });

  it('retries a failed first list with backoff before it syncs', async () => {
    lw.listError = new ServiceUnavailableError('no store');
    informer.run();
    await flushPromises();
    expect(informer.hasSynced()).to.equal(false);
    lw.listError = undefined;
    lw.items = [pod('default', 'a', 5)];
    await clock.advance(WATCH_RETRY_BASE_MS);
    expect(informer.hasSynced()).to.equal(true);
    expect(lw.listCalls).to.equal(2);
  });

  it('indexes by namespace and by node, keeping indexes current on updates and deletes', async () => {
    lw.items = [
      pod('default', 'a', 1, { node: 'n1', labels: { app: 'web' } }),
      pod('default', 'b', 2, { node: 'n2', labels: { app: 'db' } }),
      pod('prod', 'c', 3, { node: 'n1', labels: { app: 'web' } }),
      pod('prod', 'pending', 4),
    ];
    informer.run();
    await informer.waitForSync();
    const names = (objs: KubeObject[]): string[] => objs.map(objectKey).sort();
    expect(names(informer.byIndex(NAMESPACE_INDEX, 'prod'))).to.deep.equal(['prod/c', 'prod/pending']);
    expect(names(informer.lister.byIndex(NODE_NAME_INDEX, 'n1'))).to.deep.equal(['default/a', 'prod/c']);
    expect(names(informer.lister.list(parseLabelSelector('app=web')))).to.deep.equal(['default/a', 'prod/c']);
    expect(names(informer.lister.listInNamespace('default', parseLabelSelector('app=web')))).to.deep.equal(['default/a']);
    lw.send('MODIFIED', pod('prod', 'pending', 12, { node: 'n2' }));
    lw.send('MODIFIED', pod('default', 'a', 13, { node: 'n2' }));
    lw.send('DELETED', pod('default', 'b', 14, { node: 'n2' }));
    expect(names(informer.byIndex(NODE_NAME_INDEX, 'n1'))).to.deep.equal(['prod/c']);
    expect(names(informer.byIndex(NODE_NAME_INDEX, 'n2'))).to.deep.equal(['default/a', 'prod/pending']);
    expect(() => informer.byIndex('nope', 'x')).to.throw(/no index named "nope"/);
  });

  it('keys objects by namespace/name, cluster-scoped by name', () => {
    expect(objectKey(pod('default', 'a', 1))).to.equal('default/a');
    expect(objectKey({ metadata: { name: 'node-1' } })).to.equal('node-1');
    expect(splitObjectKey('default/a')).to.deep.equal({ namespace: 'default', name: 'a' });
    expect(splitObjectKey('node-1')).to.deep.equal({ namespace: '', name: 'node-1' });
  });

  it('stop() closes the watch and cancels timers', async () => {
    informer.run();
    await informer.waitForSync();
    const w = lw.current;
    informer.stop();
    expect(w.stopped).to.equal(true);
    expect(clock.pendingTimers()).to.equal(0);
  });
});
