import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BOSUN_BIN } from '../../lib/launcher/local-process';
import { LOCAL_PATH_VOLUMES_DIR } from '../../lib/volume/local-path';
import { busyboxTarball } from '../../services/node-agent/runtime/process/testing';
import { ControlPlaneCluster } from '../support/control-plane-cluster';

/** A pod range of this test's own, apart from the other process-runtime tests' ranges. */
const CLUSTER_CIDR = '10.42.144.0/20';
const NODE = 'pv-a';
const NS = 'pv-e2e';
const SETTLE_MS = 60_000;

const STATEFUL_SET = `
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: db, namespace: ${NS} }
spec:
  replicas: 1
  serviceName: db
  selector: { matchLabels: { app: db } }
  template:
    metadata: { labels: { app: db } }
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: db
        image: busybox
        command: [sh, -c, 'echo started >> /data/starts; exec sleep 3600']
        volumeMounts: [{ name: data, mountPath: /data }]
  volumeClaimTemplates:
  - metadata: { name: data }
    spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 64Mi } } }
`;

/**
 * Dynamic provisioning through the real processes and kubectl, on a process-runtime node: the
 * default StorageClass local-path, a StatefulSet's claim bound (WaitForFirstConsumer: the
 * scheduler's node choice, the node agent's provisioner, the PV controller's bind) to a hostPath
 * volume under the node's data directory; a file written in the pod survives the pod's deletion;
 * deleting the claim deletes the volume and its folder (reclaim policy Delete).
 */
describe('persistent volumes: local-path provisioning through real processes and kubectl', function () {
  this.timeout(180_000);
  let cluster: ControlPlaneCluster;

  before(async function () {
    if (process.getuid?.() !== 0) {
      console.log('      (skipped: the process runtime needs root for pod namespaces and mounts)');
      this.skip();
    }
    process.env.BOSUN_IMAGE_STORE = path.join(os.tmpdir(), `bosun-e2e-pv-images-${process.pid}`);
    execFileSync(process.execPath, [BOSUN_BIN, 'image', 'import', 'busybox:latest', busyboxTarball()], { stdio: 'ignore' });
    cluster = await ControlPlaneCluster.start('persistent-volumes', {
      nodes: [],
      controllerManagerArgs: ['--cluster-cidr', CLUSTER_CIDR],
      nodeAgents: [{ nodeName: NODE, runtime: 'process' }],
    });
  });

  after(async () => {
    if (cluster) {
      await cluster.kubectl(['delete', 'pods', '--all', '-n', NS, '--grace-period=0', '--force', '--wait=false']);
      await cluster.stop();
    }
    // The image store goes even when the cluster never started.
    if (process.env.BOSUN_IMAGE_STORE) fs.rmSync(process.env.BOSUN_IMAGE_STORE, { recursive: true, force: true });
    delete process.env.BOSUN_IMAGE_STORE;
  });

  const kubectl = (args: string[], input?: string) => cluster.kubectlOk(args, input);
  const get = (what: string, p: string) => kubectl(['get', what, '-n', NS, '-o', `jsonpath={${p}}`]);
  const volumesDir = () => path.join(cluster.dir, 'node-agents', NODE, LOCAL_PATH_VOLUMES_DIR);
  /** Waits for pod db-0 Running with a uid other than `not`; answers its uid. */
  const runningPod = (not = '') => cluster.waitFor(async () => {
    const [uid, phase] = (await get('pod/db-0', '.metadata.uid} {.status.phase')).split(' ');
    return uid && uid !== not && phase === 'Running' ? uid : undefined;
  }, SETTLE_MS, 'db-0 Running');

  it('the cluster starts with the default StorageClass local-path', async () => {
    const table = (await kubectl(['get', 'storageclass'])).trim().split('\n').map((l) => l.split(/\s+/));
    expect(table[0]).to.deep.equal(['NAME', 'PROVISIONER', 'RECLAIMPOLICY', 'VOLUMEBINDINGMODE', 'ALLOWVOLUMEEXPANSION', 'AGE']);
    expect(table[1]!.slice(0, 6)).to.deep.equal(['local-path', '(default)', 'bosun.io/local-path', 'Delete', 'WaitForFirstConsumer', 'false']);
  });

  it("a StatefulSet's claim gets a Bound local-path volume on the pod's node", async () => {
    await kubectl(['create', 'namespace', NS]);
    await kubectl(['apply', '-f', '-'], STATEFUL_SET);
    await runningPod();
    expect(await get('pvc/data-db-0', '.spec.storageClassName} {.status.phase} {.metadata.annotations.volume\\.kubernetes\\.io/selected-node')).to.equal(`local-path Bound ${NODE}`);
    const pvName = await get('pvc/data-db-0', '.spec.volumeName');
    expect(pvName).to.equal(`pvc-${await get('pvc/data-db-0', '.metadata.uid')}`);
    const table = (await kubectl(['get', 'pv,pvc', '-n', NS])).trim().split('\n').map((l) => l.split(/\s+/));
    const pvRow = table.find((r) => r[0] === `persistentvolume/${pvName}`)!;
    expect(pvRow.slice(1, 7)).to.deep.equal(['64Mi', 'RWO', 'Delete', 'Bound', `${NS}/data-db-0`, 'local-path']);
    const pvcRow = table.find((r) => r[0] === 'persistentvolumeclaim/data-db-0')!;
    expect(pvcRow.slice(1, 6)).to.deep.equal(['Bound', pvName, '64Mi', 'RWO', 'local-path']);
    expect(await kubectl(['get', 'pv', pvName, '-o', 'jsonpath={.spec.hostPath.path}'])).to.match(new RegExp(`^${volumesDir()}/${pvName}_${NS}_data-db-0$`));
  });

  it('a file written in the pod survives deleting the pod', async () => {
    const first = await runningPod();
    await kubectl(['exec', 'db-0', '-n', NS, '--', 'sh', '-c', 'echo kept > /data/note']);
    await kubectl(['delete', 'pod', 'db-0', '-n', NS, '--wait=false']);
    await runningPod(first);
    expect(await kubectl(['exec', 'db-0', '-n', NS, '--', 'cat', '/data/note'])).to.equal('kept\n');
    expect(await kubectl(['exec', 'db-0', '-n', NS, '--', 'cat', '/data/starts'])).to.equal('started\nstarted\n');
  });

  it('deleting the claim deletes the volume and its folder (reclaim policy Delete)', async () => {
    const pvName = await get('pvc/data-db-0', '.spec.volumeName');
    const dir = await kubectl(['get', 'pv', pvName, '-o', 'jsonpath={.spec.hostPath.path}']);
    expect(fs.existsSync(dir)).to.equal(true);
    await kubectl(['delete', 'statefulset', 'db', '-n', NS]);
    await kubectl(['delete', 'pod', 'db-0', '-n', NS, '--grace-period=0', '--force', '--ignore-not-found']);
    await kubectl(['delete', 'pvc', 'data-db-0', '-n', NS, '--wait=false']);
    await cluster.waitFor(async () => ((await cluster.kubectl(['get', 'pv', pvName])).code !== 0 ? true : undefined), SETTLE_MS, `${pvName} deleted`);
    expect(fs.existsSync(dir)).to.equal(false);
  });
});
