import { expect } from 'chai';
import * as http from 'node:http';
import { Counter } from 'prom-client';
import { sampleValue as sample } from './exposition';
import { MetricsServer, newMetricsRegistry, trackLeadership, workQueueMetrics } from './index';

/** GET (or another method) on the server; resolves with status, content type and body. */
function request(url: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}


describe('metrics server', () => {
  it('serves the registry at /metrics in the text exposition format, /healthz, and 404/405 elsewhere', async () => {
    const registry = newMetricsRegistry();
    const hits = new Counter({ name: 'test_hits_total', help: 'hits', labelNames: ['kind'], registers: [registry] });
    hits.inc({ kind: 'a' }, 3);
    let leading = false;
    trackLeadership(registry, 'kube-scheduler', () => leading);
    const queue = workQueueMetrics(registry, 'deployment');
    queue.added();
    queue.added();
    queue.depth(2);
    workQueueMetrics(registry, 'replicaset').added(); // a second queue shares the families
    const server = await MetricsServer.start(registry, '127.0.0.1:0');
    try {
      expect(server.port).to.be.greaterThan(0);
      let res = await request(server.url);
      expect(res.status).to.equal(200);
      expect(res.type).to.equal('text/plain; version=0.0.4; charset=utf-8');
      expect(sample(res.body, 'test_hits_total{kind="a"}')).to.equal(3);
      expect(sample(res.body, 'leader_election_master_status{name="kube-scheduler"}')).to.equal(0);
      expect(sample(res.body, 'workqueue_adds_total{name="deployment"}')).to.equal(2);
      expect(sample(res.body, 'workqueue_adds_total{name="replicaset"}')).to.equal(1);
      expect(sample(res.body, 'workqueue_depth{name="deployment"}')).to.equal(2);
      // Process metrics under Kubernetes' names, no prefix.
      expect(sample(res.body, 'process_cpu_seconds_total')).to.be.a('number').and.at.least(0);
      expect(res.body).to.match(/^process_resident_memory_bytes \d+/m);
      leading = true; // read at scrape time
      res = await request(server.url);
      expect(sample(res.body, 'leader_election_master_status{name="kube-scheduler"}')).to.equal(1);
      expect(await request(`http://${server.address}/healthz`)).to.include({ status: 200, body: 'ok' });
      expect((await request(`http://${server.address}/other`)).status).to.equal(404);
      expect((await request(server.url, 'POST')).status).to.equal(405);
    } finally {
      await server.close();
    }
  });

  it('fails clearly when the address is taken', async () => {
    const first = await MetricsServer.start(newMetricsRegistry({ processMetrics: false }), '127.0.0.1:0');
    try {
      const err = await MetricsServer.start(newMetricsRegistry({ processMetrics: false }), `127.0.0.1:${first.port}`).then(() => undefined, (e: Error) => e);
      expect(err?.message).to.match(new RegExp(`cannot serve metrics on 127\\.0\\.0\\.1:${first.port}: .*EADDRINUSE`));
    } finally {
      await first.close();
    }
  });
});
