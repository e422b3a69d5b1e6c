import { expect } from 'chai';
import pino from 'pino';
import { RESOURCES } from '../../lib/api/resources';
import type { Service } from '../../lib/api/types/core';
import type { EndpointSlice } from '../../lib/api/types/discovery';
import { FakeClock, flushPromises } from '../../lib/client/fake-clock';
import { FakeApiClient } from '../../lib/client/testing/fake-api-client';
import { newMetricsRegistry, sampleValue } from '../../lib/metrics';
import type { ServiceTable } from '../../lib/network/service-table';
import type { DataPath, SyncResult } from './data-path';
import { DEFAULT_MIN_SYNC_PERIOD_MS, DEFAULT_SYNC_PERIOD_MS, ServiceProxy } from './proxy';
import { ProxyMetrics } from './proxy-metrics';
import { testService, testSlice } from './testing/proxy-fixtures';

/** A data path that records its syncs and can be told to fail. */
class RecordingDataPath implements DataPath {
  readonly mode = 'userspace' as const;
  readonly syncs: { atMs: number; changed: string[] | 'all' }[] = [];
  failuresLeft = 0;
  started = false;
  stopped = false;

  constructor(private readonly clock: FakeClock) {}

  async start(): Promise<void> {
    this.started = true;
  }

  async sync(table: ServiceTable, changed: ReadonlySet<string> | 'all'): Promise<SyncResult> {
    this.syncs.push({ atMs: this.clock.now(), changed: changed === 'all' ? 'all' : [...changed].sort() });
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new Error('injected sync failure');
    }
    return { servicePorts: table.entries().length, endpoints: table.entries().reduce((n, e) => n + e.endpoints.length, 0), rules: 0 };
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }

  async cleanup(): Promise<void> {}
}

describe('ServiceProxy control loop (fake API, fake clock)', () => {
  let clock: FakeClock;
  let api: FakeApiClient;
  let path: RecordingDataPath;
  let proxy: ServiceProxy;
  let t0: number;

  const services = () => api.resource<Service>(RESOURCES.services);
  const slices = () => api.resource<EndpointSlice>(RESOURCES.endpointslices);
  const web = (port: number) => testService('web', { clusterIP: '10.43.0.20', clusterIPs: ['10.43.0.20'], ports: [{ name: 'p', port, protocol: 'TCP' }] });

  async function startProxy(metrics?: ProxyMetrics): Promise<void> {
    proxy = new ServiceProxy({ client: api, dataPath: path, logger: pino({ level: 'silent' }), clock, metrics });
    await proxy.start();
    t0 = clock.now();
  }

  /** Lets informer deliveries run. */
  async function settle(): Promise<void> {
    for (let i = 0; i < 5; i++) await flushPromises();
  }

  beforeEach(() => {
    clock = new FakeClock();
    api = new FakeApiClient(undefined, () => new Date(clock.now()));
    path = new RecordingDataPath(clock);
  });

  afterEach(async () => {
    await proxy.stop();
  });

  it('starts the data path and runs a full sync once the caches are filled', async () => {
    api.seed(web(80));
    api.seed(testSlice('web-a', 'web', 8080, [{ ip: '10.42.0.5' }]));
    await startProxy();
    expect(path.started).to.equal(true);
    expect(path.syncs).to.deep.equal([{ atMs: t0, changed: 'all' }]);
    expect(proxy.table.entries()[0]?.endpoints.map((e) => e.ip)).to.deep.equal(['10.42.0.5']);
    expect(proxy.syncState().syncs).to.equal(1);
  });

  it('syncs at most once per min-sync-period under churn, gathering the changed keys', async () => {
    await startProxy();
    for (let i = 0; i < 10; i++) {
      await (i === 0 ? services().create('default', web(80)) : services().update('default', { ...(await services().get('default', 'web')), spec: web(80 + i).spec }));
      await settle();
      await clock.advance(50);
    }
    await clock.advance(DEFAULT_MIN_SYNC_PERIOD_MS);
    const after = path.syncs.slice(1);
    expect(after.length).to.be.within(1, 2);
    for (let i = 1; i < path.syncs.length; i++) expect(path.syncs[i]!.atMs - path.syncs[i - 1]!.atMs).to.be.at.least(DEFAULT_MIN_SYNC_PERIOD_MS);
    expect(after[0]!.changed).to.deep.equal(['default/web:p/TCP']);
    expect(proxy.table.entries()[0]?.port).to.equal(89);
    // Quiet: no more syncs until the resync period.
    const count = path.syncs.length;
    await clock.advance(DEFAULT_MIN_SYNC_PERIOD_MS * 5);
    expect(path.syncs.length).to.equal(count);
  });

  it('runs a full resync every sync-period', async () => {
    await startProxy();
    await clock.advance(DEFAULT_SYNC_PERIOD_MS * 3);
    expect(path.syncs.map((s) => [s.atMs - t0, s.changed])).to.deep.equal([
      [0, 'all'],
      [DEFAULT_SYNC_PERIOD_MS, 'all'],
      [2 * DEFAULT_SYNC_PERIOD_MS, 'all'],
      [3 * DEFAULT_SYNC_PERIOD_MS, 'all'],
    ]);
  });

  it('retries a failed sync in full with exponential backoff, then goes back to incremental syncs', async () => {
    await startProxy();
    path.failuresLeft = 3;
    await services().create('default', web(80));
    await settle();
    await clock.advance(10_000);
    const retries = path.syncs.slice(1, 5).map((s) => [s.atMs - t0, s.changed]);
    // 1 s after the first sync (rate limit), then +1 s, +2 s, +4 s.
    expect(retries).to.deep.equal([
      [1_000, ['default/web:p/TCP']],
      [2_000, 'all'],
      [4_000, 'all'],
      [8_000, 'all'],
    ]);
    expect(proxy.syncState().failures).to.equal(3);
    expect(proxy.syncState().lastError).to.equal(undefined);
    await slices().create('default', testSlice('web-a', 'web', 8080, [{ ip: '10.42.0.5' }]));
    await settle();
    await clock.advance(DEFAULT_MIN_SYNC_PERIOD_MS);
    expect(path.syncs.at(-1)!.changed).to.deep.equal(['default/web:p/TCP']);
  });

  it('records kube-proxy metrics for each sync', async () => {
    const registry = newMetricsRegistry({ processMetrics: false });
    api.seed(web(80));
    api.seed(testSlice('web-a', 'web', 8080, [{ ip: '10.42.0.5' }, { ip: '10.42.0.6' }]));
    await startProxy(new ProxyMetrics(registry));
    const text = await registry.metrics();
    expect(sampleValue(text, 'kubeproxy_sync_proxy_rules_duration_seconds_count')).to.equal(1);
    expect(sampleValue(text, 'kubeproxy_sync_proxy_rules_last_timestamp_seconds')).to.equal(t0 / 1000);
    expect(sampleValue(text, 'bosun_proxy_service_ports')).to.equal(1);
    expect(sampleValue(text, 'bosun_proxy_endpoints')).to.equal(2);
  });

  it('stops the data path on stop and syncs no more', async () => {
    await startProxy();
    await proxy.stop();
    expect(path.stopped).to.equal(true);
    await services().create('default', web(80));
    await settle();
    await clock.advance(DEFAULT_SYNC_PERIOD_MS * 2);
    expect(path.syncs).to.have.length(1);
  });
});
