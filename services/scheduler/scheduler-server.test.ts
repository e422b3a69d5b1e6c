/**
 * The scheduler against a real apiserver (both doors, a real store): Node objects and pods
 * written through the API get bound, an unschedulable pod's condition and events show in
 * `kubectl describe pod`, the status API answers over gRPC with reflection.
 */
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import pino from 'pino';
import { SchedulerStatusClient, type SchedulerStatusResponse } from '../../gen/bosun/scheduler';
import type { KubeObject } from '../../lib/api/object';
import { TwoDoorApiServer } from '../apiserver/test-api-server';
import type { Pod } from './algorithm/api-types';
import { makeNode, makePod } from './algorithm/test-fixtures';
import { NODES, PODS } from './api-resources';
import { SchedulerServer } from './scheduler-server';

/** Polls `fn` until it returns a value (not undefined) or `ms` pass. */
export async function eventually<T>(fn: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('scheduler against a real apiserver', function () {
  this.timeout(60_000);
  let api: TwoDoorApiServer;
  let server: SchedulerServer;

  const nodes = () => api.grpc.resource<KubeObject>(NODES);
  const pods = () => api.grpc.resource<Pod>(PODS);
  /** Pod as the API serves it, once it is bound. */
  const boundPod = (name: string) =>
    eventually(async () => {
      const p = await pods().get('default', name);
      return p.spec?.nodeName ? p : undefined;
    }, 20_000, `pod ${name} to be bound`);
  /** Clean pod manifest: what a user would write (no status, no uid). */
  const podManifest = (name: string, o: Parameters<typeof makePod>[1] = {}): Pod => {
    const p = makePod(name, o);
    return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels: p.metadata.labels }, spec: { ...p.spec, containers: p.spec!.containers!.map((c) => ({ ...c, image: 'busybox' })) } };
  };
  const nodeManifest = (name: string, o: Parameters<typeof makeNode>[1] = {}): KubeObject => {
    const n = makeNode(name, o);
    return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: n.metadata.labels }, spec: n.spec, status: n.status };
  };

  before(async () => {
    api = await TwoDoorApiServer.start('bosun-scheduler-');
    await nodes().create(undefined, nodeManifest('small', { cpu: '1', memory: '2Gi', labels: { disk: 'ssd' } }));
    await nodes().create(undefined, nodeManifest('large', { cpu: '4', memory: '8Gi', labels: { disk: 'hdd' } }));
    server = await SchedulerServer.start(
      { apiservers: [api.server.grpcAddress], token: api.token, identity: 'test-scheduler', leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500, grpcListen: '127.0.0.1:0' },
      pino({ level: 'silent' }),
    );
  });

  after(async () => {
    await server?.stop();
    await api?.stop();
  });

  it('binds a pod to a node that fits it and records the Scheduled event', async () => {
    await pods().create('default', podManifest('web', { cpu: '2' }));
    const p = await boundPod('web');
    expect(p.spec?.nodeName).to.equal('large');
    expect(p.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status).to.equal('True');
    const describe = await eventually(async () => {
      const out = await api.kubectl(['describe', 'pod', 'web']);
      return /Successfully assigned default\/web to large/.test(out.stdout) ? out.stdout : undefined;
    }, 10_000, 'the Scheduled event in kubectl describe');
    expect(describe).to.match(/Normal\s+Scheduled\s+.*default-scheduler\s+Successfully assigned default\/web to large/);
  });

  it('explains an unschedulable pod in kubectl describe, in Kubernetes\' words', async () => {
    await pods().create('default', podManifest('picky', { cpu: '2', nodeSelector: { disk: 'ssd' } }));
    const message = "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.";
    const cond = await eventually(async () => (await pods().get('default', 'picky')).status?.conditions?.find((c) => c.type === 'PodScheduled'), 20_000, 'the PodScheduled condition');
    expect(cond).to.include({ status: 'False', reason: 'Unschedulable', message });
    const out = await eventually(async () => {
      const r = await api.kubectl(['describe', 'pod', 'picky']);
      return r.stdout.includes('FailedScheduling') ? r.stdout : undefined;
    }, 10_000, 'FailedScheduling in kubectl describe');
    expect(out).to.match(/PodScheduled\s+False/);
    expect(out.replace(/\s+/g, ' ')).to.include(`Warning FailedScheduling`);
    expect(out.replace(/\s+/g, ' ')).to.include(message);
  });

  it('places the pending pod when a node that fits it joins', async () => {
    await nodes().create(undefined, nodeManifest('big-ssd', { cpu: '8', memory: '8Gi', labels: { disk: 'ssd' } }));
    const p = await boundPod('picky');
    expect(p.spec?.nodeName).to.equal('big-ssd');
  });

  it('answers the status API over gRPC', async () => {
    const client = new SchedulerStatusClient(`127.0.0.1:${server.grpcPort}`, grpc.credentials.createInsecure());
    try {
      const status = await new Promise<SchedulerStatusResponse>((resolve, reject) => client.status({}, (err, res) => (err ? reject(err) : resolve(res))));
      expect(status).to.include({ leading: true, leader: 'test-scheduler', schedulerName: 'default-scheduler', nodes: 3 });
      expect(status.recentDecisions.map((d) => `${d.pod} ${d.outcome}`)).to.include.members(['default/web Scheduled', 'default/picky Unschedulable', 'default/picky Scheduled']);
      const failed = status.recentDecisions.find((d) => d.pod === 'default/picky' && d.outcome === 'Unschedulable')!;
      expect(failed.reasons.map((r) => `${r.nodes} ${r.plugin}: ${r.reason}`)).to.have.members(['1 NodeResourcesFit: Insufficient cpu', "1 NodeAffinity: node(s) didn't match Pod's node affinity/selector"]);
    } finally {
      client.close();
    }
  });
});
