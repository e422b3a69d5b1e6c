import { expect } from 'chai';
import { isPodReady } from '../../lib/api/pod-status';
import { RESOURCES } from '../../lib/api/resources';
import type { Pod } from '../../lib/api/types/core';
import { ControlPlaneCluster, SHARED_SIMULATED_OPTIONS } from '../support/control-plane-cluster';

/** How long a StatefulSet may take to converge through the real processes, ms. */
const CONVERGE_MS = 60_000;
/** Delay between a pod's binding and its Running/Ready status on the simulated nodes, ms. */
const POD_START_DELAY_MS = 200;
const NS = 'sts-e2e';

const stsYaml = (image: string) => `
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: web, namespace: ${NS} }
spec:
  replicas: 3
  serviceName: web
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
      - name: c
        image: ${image}
        resources: { requests: { cpu: 10m } }
        volumeMounts: [{ name: data, mountPath: /data }]
  volumeClaimTemplates:
  - metadata: { name: data }
    spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } }
`;

/** One pod event as the test's watch saw it. */
interface Seen {
  readonly type: string;
  readonly name: string;
  readonly uid: string;
  readonly healthy: boolean;
}

/**
 * The StatefulSet controller through real processes (store, apiserver, scheduler,
 * controller-manager) and simulated nodes, driven by the real kubectl: ordered start-up with
 * PVCs, a deleted pod coming back with its name and claim, a rolling update from the highest
 * ordinal down, `rollout status`, `rollout history` and `rollout undo`.
 */
describe('StatefulSets through real processes and kubectl', function () {
  this.timeout(240_000);
  let cluster: ControlPlaneCluster;
  const seen: Seen[] = [];
  let stopWatch: (() => void) | undefined;

  before(async () => {
    cluster = await ControlPlaneCluster.shared({ ...SHARED_SIMULATED_OPTIONS, podStartDelayMs: POD_START_DELAY_MS });
    await kubectl(['create', 'namespace', NS]);
    const watch = cluster.client.resource<Pod>(RESOURCES.pods).watch(NS);
    stopWatch = () => watch.stop();
    void (async () => {
      for await (const ev of watch) {
        const pod = ev.object as Pod | undefined;
        if (!pod?.metadata?.name) continue;
        seen.push({ type: ev.type, name: pod.metadata.name, uid: pod.metadata.uid ?? '', healthy: pod.status?.phase === 'Running' && isPodReady(pod) && !pod.metadata.deletionTimestamp });
      }
    })().catch(() => undefined);
  });
  after(async () => {
    stopWatch?.();
    await cluster?.release();
  });

  const kubectl = (args: string[], input?: string) => cluster.kubectlOk(args, input);
  const jsonpath = async (what: string, path: string) => (await kubectl(['get', what, '-n', NS, '-o', `jsonpath=${path}`])).trim();
  /** `name=phase image` of the pods not being deleted, sorted. */
  const podLines = async () => (await jsonpath('pods', `{range .items[*]}{.metadata.name}={.status.phase} {.spec.containers[0].image} {.metadata.deletionTimestamp}{"\\n"}{end}`))
    .split('\n').map((l) => l.trim()).filter((l) => l && l.split(/\s+/).length === 2).sort();
  const waitForPods = (want: string[]) => cluster.waitFor(async () => ((await podLines()).join() === want.join() ? true : undefined), CONVERGE_MS, `pods ${want.join()}`);
  const rolloutStatus = () => kubectl(['rollout', 'status', 'statefulset/web', '-n', NS, `--timeout=${CONVERGE_MS / 1000}s`]);
  const uidOf = (kind: string, name: string) => jsonpath(`${kind}/${name}`, '{.metadata.uid}');
  /** The pods as first seen ADDED (a new uid) after `from` in the watch, in order. */
  const createdSince = (from: number) => seen.slice(from).filter((s) => s.type === 'ADDED').map((s) => s.name);

  it('comes up in ordinal order, each pod after the one below is Ready, with its PVC', async () => {
    await kubectl(['apply', '-f', '-'], stsYaml('busybox:1'));
    expect(await rolloutStatus()).to.contain('partitioned roll out complete: 3 new pods have been updated');
    await waitForPods(['web-0=Running busybox:1', 'web-1=Running busybox:1', 'web-2=Running busybox:1']);
    expect(createdSince(0)).to.deep.equal(['web-0', 'web-1', 'web-2']);
    // When web-i appeared, web-0..i-1 had last been seen Running and Ready.
    const latest = new Map<string, boolean>();
    for (const s of seen) {
      if (s.type === 'ADDED') {
        const ordinal = Number(s.name.slice('web-'.length));
        for (let i = 0; i < ordinal; i++) expect(latest.get(`web-${i}`), `web-${i} Ready before ${s.name} is created`).to.equal(true);
      }
      latest.set(s.name, s.healthy);
    }
    const pvcs = await jsonpath('pvc', '{range .items[*]}{.metadata.name}{"\\n"}{end}');
    expect(pvcs.split('\n').sort()).to.deep.equal(['data-web-0', 'data-web-1', 'data-web-2']);
    expect(await jsonpath('pod/web-1', '{.spec.hostname}.{.spec.subdomain} {.spec.volumes[0].persistentVolumeClaim.claimName}')).to.equal('web-1.web data-web-1');
    const table = (await kubectl(['get', 'controllerrevisions', '-n', NS])).trim().split('\n');
    expect(table[0]!.split(/\s+/)).to.deep.equal(['NAME', 'CONTROLLER', 'REVISION', 'AGE']);
    expect(table[1]!.split(/\s+/).slice(1, 3)).to.deep.equal(['statefulset.apps/web', '1']);
  });

  it('a deleted pod comes back with the same name and the same PVC', async () => {
    const oldPod = await uidOf('pod', 'web-1');
    const claim = await uidOf('pvc', 'data-web-1');
    await kubectl(['delete', 'pod', 'web-1', '-n', NS, '--wait=false']);
    await cluster.waitFor(async () => {
      const uid = await uidOf('pod', 'web-1');
      return uid && uid !== oldPod && (await jsonpath('pod/web-1', '{.status.phase}')) === 'Running' ? true : undefined;
    }, CONVERGE_MS, 'web-1 back');
    expect(await uidOf('pvc', 'data-web-1')).to.equal(claim);
    expect(await jsonpath('pod/web-1', '{.spec.volumes[0].persistentVolumeClaim.claimName}')).to.equal('data-web-1');
  });

  it('an image change rolls from ordinal 2 down; rollout history lists 2 revisions; rollout undo goes back', async () => {
    await rolloutStatus();
    const from = seen.length;
    await kubectl(['set', 'image', 'statefulset/web', '-n', NS, 'c=busybox:2']);
    expect(await rolloutStatus()).to.contain('partitioned roll out complete: 3 new pods have been updated');
    await waitForPods(['web-0=Running busybox:2', 'web-1=Running busybox:2', 'web-2=Running busybox:2']);
    expect(createdSince(from)).to.deep.equal(['web-2', 'web-1', 'web-0']);

    const history = (await kubectl(['rollout', 'history', 'statefulset/web', '-n', NS])).trim().split('\n').map((l) => l.trim().split(/\s+/));
    expect(history.slice(-2).map((cols) => cols[0])).to.deep.equal(['1', '2']);
    expect(await kubectl(['rollout', 'history', 'statefulset/web', '-n', NS, '--revision=1'])).to.contain('busybox:1');

    expect(await kubectl(['rollout', 'undo', 'statefulset/web', '-n', NS])).to.contain('rolled back');
    await rolloutStatus();
    await waitForPods(['web-0=Running busybox:1', 'web-1=Running busybox:1', 'web-2=Running busybox:1']);
    const after = (await kubectl(['rollout', 'history', 'statefulset/web', '-n', NS])).trim().split('\n').map((l) => l.trim().split(/\s+/)[0]);
    expect(after.slice(-2), 'the first revision re-used as revision 3').to.deep.equal(['2', '3']);
    expect(await jsonpath('statefulset/web', '{.status.currentRevision}')).to.equal(await jsonpath('statefulset/web', '{.status.updateRevision}'));
  });
});
