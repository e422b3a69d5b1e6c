import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BOSUN_BIN } from '../../lib/launcher/local-process';
import { busyboxTarball } from '../../services/node-agent/runtime/process/testing';
import { ControlPlaneCluster } from '../support/control-plane-cluster';
import { httpGetBody, kubectlPortForward } from '../support/port-forward';

/** A pod range of this test's own (node IPAM hands out /24s from it), apart from npm start's 10.42.0.0/16 start and the runtime tests' 10.42.200+. */
const CLUSTER_CIDR = '10.42.176.0/20';
const NODES = ['proc-a', 'proc-b'];
const SETTLE_MS = 60_000;

const MANIFESTS = `
apiVersion: v1
kind: ConfigMap
metadata: { name: site }
data: { index.html: "hello from a configmap", greeting: "hi there" }
---
apiVersion: v1
kind: Secret
metadata: { name: creds }
stringData: { token: s3cret }
---
apiVersion: v1
kind: Pod
metadata: { name: web, labels: { app: web } }
spec:
  nodeSelector: { kubernetes.io/hostname: proc-a }
  terminationGracePeriodSeconds: 3
  containers:
  - name: web
    image: busybox
    command: [sh, -c, 'echo started; echo "$GREETING"; date > /scratch/stamp; exec httpd -f -p 8080 -h /www']
    env: [{ name: GREETING, valueFrom: { configMapKeyRef: { name: site, key: greeting } } }]
    volumeMounts:
    - { name: site, mountPath: /www }
    - { name: creds, mountPath: /secret, readOnly: true }
    - { name: scratch, mountPath: /scratch }
  volumes:
  - { name: site, configMap: { name: site, items: [{ key: index.html, path: index.html }] } }
  - { name: creds, secret: { secretName: creds } }
  - { name: scratch, emptyDir: {} }
---
apiVersion: v1
kind: Pod
metadata: { name: client }
spec:
  nodeSelector: { kubernetes.io/hostname: proc-b }
  terminationGracePeriodSeconds: 0
  containers: [{ name: client, image: busybox, command: [sleep, "3600"] }]
---
apiVersion: v1
kind: Pod
metadata: { name: ticker }
spec:
  restartPolicy: Never
  containers: [{ name: ticker, image: busybox, command: [sh, -c, 'for i in 1 2 3; do echo tick $i; sleep 1; done'] }]
---
apiVersion: v1
kind: Pod
metadata: { name: hog }
spec:
  restartPolicy: Never
  containers:
  - name: hog
    image: busybox
    command: [sh, -c, 'x=aaaaaaaaaaaaaaaa; while true; do x=$x$x; done']
    resources: { limits: { memory: 32Mi } }
`;

/**
 * Two `bosun node-agent` processes on the process runtime (as root: network namespaces, bridges,
 * pivot_root, cgroups) under a real control plane, driven by the real kubectl: a busybox pod
 * with configMap, secret and emptyDir volumes runs; `kubectl logs` (and -f), `exec` and
 * `port-forward` reach it through the apiserver; a pod on the other node reaches it by pod IP; a
 * memory limit OOM-kills; `kubectl delete pod` completes within the grace period.
 */
describe('process-runtime nodes through real processes and kubectl', function () {
  this.timeout(240_000);
  let cluster: ControlPlaneCluster;

  before(async function () {
    if (process.getuid?.() !== 0) {
      console.log('      (skipped: the process runtime needs root for pod networks, namespaces and cgroups)');
      this.skip();
    }
    // The offline busybox image, in an image store of this run's own that both agents read.
    process.env.BOSUN_IMAGE_STORE = path.join(os.tmpdir(), `bosun-e2e-images-${process.pid}`);
    execFileSync(process.execPath, [BOSUN_BIN, 'image', 'import', 'busybox:latest', busyboxTarball()], { stdio: 'ignore' });
    cluster = await ControlPlaneCluster.start('process-nodes', {
      nodes: [],
      controllerManagerArgs: ['--cluster-cidr', CLUSTER_CIDR],
      nodeAgents: NODES.map((nodeName) => ({ nodeName, runtime: 'process' })),
    });
  });

  after(async () => {
    if (!cluster) return;
    await cluster.kubectl(['delete', 'pods', '--all', '--grace-period=0', '--force', '--wait=false']);
    await cluster.stop();
    fs.rmSync(process.env.BOSUN_IMAGE_STORE!, { recursive: true, force: true });
    delete process.env.BOSUN_IMAGE_STORE;
  });

  const kubectl = (args: string[], input?: string) => cluster.kubectlOk(args, input);
  const jsonpath = (pod: string, p: string) => kubectl(['get', 'pod', pod, '-o', `jsonpath={${p}}`]);
  const phase = (pod: string, want: string) => cluster.waitFor(async () => ((await jsonpath(pod, '.status.phase')) === want ? true : undefined), SETTLE_MS, `${pod} ${want}`);

  it('runs a busybox pod with configMap, secret and emptyDir volumes; kubectl logs shows its output', async () => {
    await cluster.waitFor(async () => {
      const out = await kubectl(['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}/{.spec.podCIDR} {end}']);
      return NODES.every((n) => new RegExp(`${n}=True/10\\.42\\.`).test(out)) ? true : undefined;
    }, SETTLE_MS, 'both nodes Ready with a podCIDR');
    await kubectl(['apply', '-f', '-'], MANIFESTS);
    await phase('web', 'Running');
    expect(await jsonpath('web', '.status.podIP')).to.match(/^10\.42\.1(7[6-9]|8\d|9[01])\.\d+$/);
    await cluster.waitFor(async () => ((await kubectl(['logs', 'web'])).includes('hi there') ? true : undefined), SETTLE_MS, 'web logs');
    expect(await kubectl(['logs', 'web'])).to.equal('started\nhi there\n');
  });

  it('kubectl exec runs commands inside: the volumes are there, exit codes come back', async () => {
    expect(await kubectl(['exec', 'web', '--', 'ls', '/www'])).to.equal('index.html\n');
    expect(await kubectl(['exec', 'web', '--', 'cat', '/secret/token'])).to.equal('s3cret');
    expect(await kubectl(['exec', 'web', '--', 'cat', '/scratch/stamp'])).to.match(/\d\d:\d\d/);
    const failed = await cluster.kubectl(['exec', 'web', '--', 'sh', '-c', 'exit 3']);
    expect(failed.code).to.equal(3);
  });

  it('kubectl port-forward reaches the pod\'s httpd', async () => {
    const forward = await kubectlPortForward(cluster.kubeconfig, 'pod/web', 8080);
    try {
      expect(await httpGetBody(forward.port, '/index.html')).to.equal('hello from a configmap');
    } finally {
      forward.stop();
    }
  });

  it('a pod on the other node reaches it by pod IP', async () => {
    await phase('client', 'Running');
    expect(await jsonpath('client', '.spec.nodeName')).to.equal('proc-b');
    const ip = await jsonpath('web', '.status.podIP');
    const body = await cluster.waitFor(async () => {
      const r = await cluster.kubectl(['exec', 'client', '--', 'wget', '-q', '-O', '-', `http://${ip}:8080/index.html`]);
      return r.code === 0 ? r.stdout : undefined;
    }, SETTLE_MS, `client → ${ip}:8080`);
    expect(body).to.equal('hello from a configmap');
  });

  it('kubectl logs -f follows a pod until its container exits', async () => {
    const out = await kubectl(['logs', '-f', 'ticker']);
    expect(out).to.include('tick 3');
    await phase('ticker', 'Succeeded');
  });

  it('a memory limit OOM-kills the container, reported as OOMKilled', async () => {
    await phase('hog', 'Failed');
    expect(await jsonpath('hog', '.status.containerStatuses[0].state.terminated.reason')).to.equal('OOMKilled');
    expect(await jsonpath('hog', '.status.containerStatuses[0].state.terminated.exitCode')).to.equal('137');
  });

  it('kubectl delete pod completes within the grace period', async () => {
    const started = Date.now();
    await kubectl(['delete', 'pod', 'web', '--timeout=60s']);
    expect(Date.now() - started).to.be.lessThan(20_000);
    expect((await cluster.kubectl(['get', 'pod', 'web'])).code).to.not.equal(0);
  });
});
