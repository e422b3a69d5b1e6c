import { expect } from 'chai';
import { ApiError, InvalidError } from '../../../../lib/api/errors';
import { parseFieldSelector } from '../../../../lib/api/field-selector';
import { StoreClient } from '../../../../store/client';
import { GenericStore } from '../../registry/generic-store';
import { BACKENDS, type RunningBackend } from '../../registry/test-support';
import { namespaceStrategy, type Namespace } from './namespace';
import { podStrategy, type Pod } from './pod';
import { bindPod, podBindingStrategy } from './pod-binding';
import { POD_UPDATE_FORBIDDEN_MESSAGE } from './pod-spec';
import { ConflictError } from '../../../../lib/api/errors';

async function thrown(fn: () => Promise<unknown>): Promise<ApiError> {
  try {
    await fn();
  } catch (err) {
    return err as ApiError;
  }
  throw new Error('expected an error');
}

for (const backend of BACKENDS) {
  describe(`core/v1 Pod and Namespace through GenericStore on ${backend.name}`, function () {
    this.timeout(120_000);
    let running: RunningBackend;
    let client: StoreClient;
    let pods: GenericStore<Pod>;
    let namespaces: GenericStore<Namespace>;

    before(async () => {
      running = await backend.start();
      client = new StoreClient({ endpoints: running.endpoints });
      pods = new GenericStore({ client, strategy: podStrategy });
      namespaces = new GenericStore({ client, strategy: namespaceStrategy });
    });
    after(async () => {
      client?.close();
      await running?.stop();
    });

    it('creates a Namespace Active with its finalizer and label, cluster-scoped', async () => {
      const ns = await namespaces.create({ metadata: { name: 'team-a' } });
      expect(ns.apiVersion).to.equal('v1');
      expect(ns.kind).to.equal('Namespace');
      expect(ns.spec).to.deep.equal({ finalizers: ['kubernetes'] });
      expect(ns.status).to.deep.equal({ phase: 'Active' });
      expect(ns.metadata.labels).to.deep.equal({ 'kubernetes.io/metadata.name': 'team-a' });
      const raw = await client.get('/registry/namespaces/team-a');
      expect(raw.kvs).to.have.length(1);
      expect(await namespaces.get(undefined, 'team-a')).to.deep.equal(ns);
      const err = await thrown(() => namespaces.create({ metadata: { name: 'a.b' } }));
      expect(err).to.be.instanceOf(InvalidError);
      expect(err.message).to.match(/^Namespace "a.b" is invalid: metadata.name: Invalid value: "a.b": a lowercase RFC 1123 label/);
    });

    it('creates a Pod with defaults and Pending status, rejects bad ones with Kubernetes messages', async () => {
      const pod = await pods.create({ metadata: { name: 'web', namespace: 'team-a', labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.25' }] } });
      expect(pod.metadata.generation).to.equal(1);
      expect(pod.spec!.restartPolicy).to.equal('Always');
      expect(pod.spec!.containers![0]!.imagePullPolicy).to.equal('IfNotPresent');
      expect(pod.status).to.deep.equal({ phase: 'Pending', qosClass: 'BestEffort' });
      expect(await pods.get('team-a', 'web')).to.deep.equal(pod);

      const err = await thrown(() => pods.create({ metadata: { name: 'bad', namespace: 'team-a' }, spec: { restartPolicy: 'Sometimes', containers: [{ name: '' }] } }));
      expect(err).to.be.instanceOf(InvalidError);
      expect(err.message).to.equal(
        'Pod "bad" is invalid: [spec.containers[0].name: Required value, spec.containers[0].image: Required value, spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"]',
      );
    });

    it('an image update bumps generation and keeps status; other spec changes are refused', async () => {
      const cur = await pods.get('team-a', 'web');
      const next = JSON.parse(JSON.stringify(cur)) as Pod;
      next.spec!.containers![0]!.image = 'nginx:1.26';
      next.status = { phase: 'Running' };
      const updated = await pods.update(next);
      expect(updated.metadata.generation).to.equal(2);
      expect(updated.spec!.containers![0]!.image).to.equal('nginx:1.26');
      expect(updated.status).to.deep.equal({ phase: 'Pending', qosClass: 'BestEffort' });

      const bad = JSON.parse(JSON.stringify(updated)) as Pod;
      bad.spec!.nodeName = 'node-1';
      const err = await thrown(() => pods.update(bad));
      expect(err).to.be.instanceOf(InvalidError);
      expect(err.message).to.equal(`Pod "web" is invalid: spec: Forbidden: ${POD_UPDATE_FORBIDDEN_MESSAGE}`);
    });

    it('status updates move status.phase, which field selectors see with spec.nodeName', async () => {
      const cur = await pods.get('team-a', 'web');
      await pods.update({ ...cur, status: { ...cur.status, phase: 'Running' } }, { subresource: 'status' });
      await pods.create({ metadata: { name: 'other', namespace: 'team-a' }, spec: { nodeName: 'node-2', containers: [{ name: 'c', image: 'busybox' }] } });
      const sel = (s: string) => {
        const fs = parseFieldSelector(s);
        return (f: Record<string, string>) => fs.matches(f);
      };
      const running = await pods.list({ namespace: 'team-a', fieldSelector: sel('status.phase=Running') });
      expect(running.items.map((p) => p.metadata.name)).to.deep.equal(['web']);
      const onNode = await pods.list({ fieldSelector: sel('spec.nodeName=node-2') });
      expect(onNode.items.map((p) => p.metadata.name)).to.deep.equal(['other']);
      const unscheduled = await pods.list({ namespace: 'team-a', fieldSelector: sel('spec.nodeName=') });
      expect(unscheduled.items.map((p) => p.metadata.name)).to.deep.equal(['web']);
      expect((await pods.get('team-a', 'web')).metadata.generation).to.equal(2);
    });

    it('the binding subresource sets spec.nodeName once, with PodScheduled; a second bind conflicts', async () => {
      const bindings = new GenericStore({ client, strategy: podBindingStrategy });
      const now = new Date('2024-05-01T12:00:00.123Z');
      const binding = { metadata: { name: 'web', annotations: { 'scheduler/score': '7' } }, target: { kind: 'Node', name: 'node-1' } };
      const bound = await bindings.guaranteedUpdate('team-a', 'web', (p) => bindPod(p, binding, now));
      expect(bound.spec!.nodeName).to.equal('node-1');
      expect(bound.metadata.annotations).to.deep.equal({ 'scheduler/score': '7' });
      expect(bound.status!.phase).to.equal('Running');
      expect(bound.status!.conditions).to.deep.equal([{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: '2024-05-01T12:00:00Z' }]);
      const err = await thrown(() => bindings.guaranteedUpdate('team-a', 'web', (p) => bindPod(p, { ...binding, target: { name: 'node-2' } }, now)));
      expect(err).to.be.instanceOf(ConflictError);
      expect(err.message).to.equal('Operation cannot be fulfilled on pods/binding "web": pod web is already assigned to node "node-1"');
      const onNode = await pods.list({ namespace: 'team-a', fieldSelector: (f) => f['spec.nodeName'] === 'node-1' });
      expect(onNode.items.map((p) => p.metadata.name)).to.deep.equal(['web']);
    });
  });
}
