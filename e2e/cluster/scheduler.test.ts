import { expect } from 'chai';
import type { KubeObject } from '../../lib/api/object';
import { ApiError } from '../../lib/api/errors';
import { GrpcApiClient } from '../../lib/client/grpc-api-client';
import { sampleValue as sample } from '../../lib/metrics/exposition';
import { readTokenEntries } from '../../services/apiserver/http/bearer-auth';
import { PODS } from '../../services/scheduler/api-resources';
import { clientFor, NODE_MODULES, reflect, reflectionClient } from '../support/grpc-reflection';
import { nodeManifest, SchedulerCluster } from '../support/scheduler-cluster';
import * as path from 'node:path';

/** Pods a user applies with kubectl: placed by nodeSelector, toleration and size. */
const PODS_YAML = `
apiVersion: v1
kind: Pod
metadata: { name: web, labels: { app: web } }
spec:
  nodeSelector: { disk: ssd }
  containers: [{ name: web, image: nginx:1.25, resources: { requests: { cpu: 500m, memory: 256Mi } } }]
---
apiVersion: v1
kind: Pod
metadata: { name: trainer }
spec:
  nodeSelector: { accelerator: gpu }
  tolerations: [{ key: gpu, operator: Equal, value: "true", effect: NoSchedule }]
  containers: [{ name: train, image: busybox, resources: { requests: { cpu: "2" } } }]
---
apiVersion: v1
kind: Pod
metadata: { name: big }
spec:
  containers: [{ name: big, image: busybox, resources: { requests: { cpu: "3" } } }]
`;

const HUGE_YAML = `
apiVersion: v1
kind: Pod
metadata: { name: huge }
spec:
  containers: [{ name: huge, image: busybox, resources: { requests: { cpu: "64" } } }]
`;

/** A PriorityClass and a pod using it (spec.priority given too, equal to the class's value). */
function prioritized(name: string, priority: number, cpu: string): string {
  return `
apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  priorityClassName: tier-${priority}
  priority: ${priority}
  nodeSelector: { pool: preempt }
  containers: [{ name: c, image: busybox, resources: { requests: { cpu: "${cpu}" } } }]
`;
}
const priorityClass = (value: number) => `
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: { name: tier-${value} }
value: ${value}
`;

/**
 * The scheduler through real processes: a store, an apiserver and two `bosun scheduler`
 * replicas started by the launcher, Node objects created through the API, pods applied with the
 * real kubectl.
 */
describe('the scheduler through real processes and kubectl', function () {
  this.timeout(60_000);
  let cluster: SchedulerCluster;

  const nodeOf = async (pod: string) => {
    const out = await cluster.kubectl(['get', 'pod', pod, '-o', 'jsonpath={.spec.nodeName}']);
    return out.stdout.trim() || undefined;
  };
  const kubectlOk = (args: string[], input?: string) => cluster.kubectlOk(args, input);

  before(async () => {
    cluster = await SchedulerCluster.start('scheduler-e2e');
    await cluster.createNodes([
      nodeManifest('n-small', { cpu: '1', labels: { disk: 'hdd' } }),
      nodeManifest('n-ssd', { cpu: '4', labels: { disk: 'ssd' } }),
      nodeManifest('n-gpu', { cpu: '8', labels: { accelerator: 'gpu' }, taints: [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }] }),
    ]);
    await cluster.leader();
  });

  after(async () => {
    await cluster?.stop();
  });

  it('serves reflection, health and the status API on both replicas; one leads', async () => {
    const leader = await cluster.leader();
    for (const s of cluster.schedulers) {
      const client = reflectionClient('v1', s.grpcEndpoint, s.statusTls);
      try {
        const list = await reflect(client, { list_services: '' });
        const names: string[] = list.list_services_response.service.map((x: { name: string }) => x.name);
        expect(names).to.include.members(['bosun.scheduler.v1.SchedulerStatus', 'grpc.health.v1.Health']);
      } finally {
        client.close();
      }
      const health = clientFor('health/v1/health.proto', path.join(NODE_MODULES, 'grpc-health-check', 'proto'), 'grpc.health.v1.Health', s.grpcEndpoint, s.statusTls);
      try {
        const res = await new Promise<{ status: string }>((resolve, reject) => health.Check({ service: '' }, (err: Error | null, r: { status: string }) => (err ? reject(err) : resolve(r))));
        expect(res.status).to.equal('SERVING');
      } finally {
        health.close();
      }
      // A standby learns the holder at its next try (every retry period).
      const status = await cluster.waitFor(async () => {
        const st = await s.status();
        return st.leader ? st : undefined;
      }, 10_000, `${s.name} to see the leader`);
      expect(status).to.include({ leading: s === leader, leader: leader.name, schedulerName: 'default-scheduler' });
    }
  });

  it('binds applied pods to nodes that fit them', async () => {
    await kubectlOk(['apply', '-f', '-'], PODS_YAML);
    const placed = await cluster.waitFor(async () => {
      const nodes = await Promise.all(['web', 'trainer', 'big'].map(nodeOf));
      return nodes.every(Boolean) ? nodes : undefined;
    }, 20_000, 'the three pods to be bound');
    expect(placed).to.deep.equal(['n-ssd', 'n-gpu', 'n-ssd']);
    const wide = await kubectlOk(['get', 'pods', '-o', 'wide']);
    expect(wide).to.match(/^web\s+0\/1\s+Pending\s+0\s+\S+\s+<none>\s+n-ssd\s+/m);
    const events = await kubectlOk(['get', 'events', '--field-selector', 'involvedObject.name=trainer']);
    expect(events).to.match(/Normal\s+Scheduled\s+pod\/trainer\s+Successfully assigned default\/trainer to n-gpu/);
  });

  it("runs as system:kube-scheduler from its kubeconfig and serves kube-scheduler's metrics on /metrics", async () => {
    const leader = await cluster.leader();
    const scrape = async (url: string | undefined) => {
      const res = await fetch(url!);
      expect(res.headers.get('content-type')).to.equal('text/plain; version=0.0.4; charset=utf-8');
      return res.text();
    };
    const text = await scrape(leader.metricsUrl);
    // The pods of the test before were bound by the leader: its counters moved.
    expect(sample(text, 'scheduler_schedule_attempts_total{result="scheduled",profile="default-scheduler"}')).to.be.at.least(3);
    expect(sample(text, 'scheduler_scheduling_attempt_duration_seconds_count{result="scheduled",profile="default-scheduler"}')).to.be.at.least(3);
    expect(sample(text, 'scheduler_pending_pods{queue="active"}')).to.be.a('number');
    expect(sample(text, 'leader_election_master_status{name="kube-scheduler"}')).to.equal(1);
    expect(text).to.match(/^process_resident_memory_bytes \d+/m);
    const standby = cluster.schedulers.find((s) => s !== leader)!;
    expect(sample(await scrape(standby.metricsUrl), 'leader_election_master_status{name="kube-scheduler"}')).to.equal(0);
    // The scheduler's token (in its kubeconfig) is a known identity of the apiserver; an unknown token is refused.
    const token = readTokenEntries(cluster.tokenFile).find((e) => e.user.name === 'system:kube-scheduler')!.token;
    const asScheduler = new GrpcApiClient({ endpoints: [cluster.apiserver.grpcEndpoint], token, tls: cluster.apiserver.grpcTls });
    const impostor = new GrpcApiClient({ endpoints: [cluster.apiserver.grpcEndpoint], token: 'forged-token', tls: cluster.apiserver.grpcTls });
    try {
      expect((await asScheduler.resource(PODS).list('default')).items.length).to.be.at.least(3);
      const err = await impostor.resource(PODS).list('default').then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(ApiError);
      expect([(err as ApiError).code, (err as ApiError).reason]).to.deep.equal([401, 'Unauthorized']);
    } finally {
      asScheduler.close();
      impostor.close();
    }
  });

  it("explains an unschedulable pod in kubectl describe, in Kubernetes' words", async () => {
    await kubectlOk(['apply', '-f', '-'], HUGE_YAML);
    const message =
      '0/3 nodes are available: 1 node(s) had untolerated taint {gpu: true}, 2 Insufficient cpu. ' +
      'preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.';
    const describe = await cluster.waitFor(async () => {
      const out = await kubectlOk(['describe', 'pod', 'huge']);
      return out.includes('FailedScheduling') ? out : undefined;
    }, 20_000, 'the FailedScheduling event');
    expect(describe).to.match(/Conditions:\s+Type\s+Status\s+PodScheduled\s+False/);
    expect(describe).to.match(new RegExp(`Warning\\s+FailedScheduling\\s+\\S+\\s+default-scheduler\\s+${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const reason = await kubectlOk(['get', 'pod', 'huge', '-o', 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].reason}']);
    expect(reason).to.equal('Unschedulable');
  });

  it('preempts the lowest-priority pod to place a higher-priority one', async () => {
    await cluster.createNodes([nodeManifest('n-pre', { cpu: '2', labels: { pool: 'preempt' } })]);
    for (const v of [1, 10, 1000]) await kubectlOk(['apply', '-f', '-'], priorityClass(v));
    await kubectlOk(['apply', '-f', '-'], prioritized('keeper', 10, '1') + '---' + prioritized('expendable', 1, '1'));
    await cluster.waitFor(async () => ((await nodeOf('keeper')) && (await nodeOf('expendable')) ? true : undefined), 20_000, 'the low-priority pods to be bound');
    await kubectlOk(['apply', '-f', '-'], prioritized('vip', 1000, '1'));
    // The victim is deleted gracefully; with no node agent yet, this test finishes its deletion as one would.
    const pods = cluster.client.resource<KubeObject>(PODS);
    await cluster.waitFor(async () => ((await pods.get('default', 'expendable')).metadata.deletionTimestamp ? true : undefined), 20_000, 'the victim to be deleted');
    expect((await pods.get('default', 'keeper')).metadata.deletionTimestamp).to.equal(undefined);
    const nominated = await kubectlOk(['get', 'pod', 'vip', '-o', 'jsonpath={.status.nominatedNodeName}']);
    expect(nominated).to.equal('n-pre');
    await kubectlOk(['delete', 'pod', 'expendable', '--grace-period=0', '--force']);
    expect(await cluster.waitFor(() => nodeOf('vip'), 20_000, 'vip to be bound')).to.equal('n-pre');
    expect(await nodeOf('keeper')).to.equal('n-pre');
    const events = await kubectlOk(['get', 'events', '--field-selector', 'involvedObject.name=expendable']);
    expect(events).to.match(/Normal\s+Preempted\s+pod\/expendable\s+Preempted by pod \S+ on node n-pre/);
  });
});
