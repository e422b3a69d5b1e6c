import * as path from 'node:path';
import { expect } from 'chai';
import { writeFakeUsage } from '../../services/node-agent/runtime/fake-usage';
import { ControlPlaneCluster } from '../support/control-plane-cluster';

const NODE = 'agent-1';
const MILLICORES_HIGH = 400;
const MILLICORES_LOW = 10;

/** A Deployment requesting 100m per pod; its fake containers use what fake-usage.json says. */
const WEB_YAML = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: web
        image: busybox:1.36
        command: [sleep, "100000"]
        resources: { requests: { cpu: 100m, memory: 10Mi } }
`;

describe('resource metrics and the HorizontalPodAutoscaler through real processes and kubectl', function () {
  this.timeout(180_000);
  let cluster: ControlPlaneCluster;
  let usageDir: string;
  const saved = process.env.BOSUN_APISERVER_METRIC_RESOLUTION;

  before(async () => {
    // Scrape every 2 s instead of 15 s, so a changed usage shows within seconds.
    process.env.BOSUN_APISERVER_METRIC_RESOLUTION = '2s';
    cluster = await ControlPlaneCluster.start('metrics', {
      nodes: [],
      controllerManagerArgs: ['--horizontal-pod-autoscaler-sync-period', '1'],
      nodeAgents: [{ nodeName: NODE }],
    });
    usageDir = path.join(cluster.dir, 'node-agents', NODE, 'runtime');
    writeFakeUsage(usageDir, { containers: { web: { cpuMillicores: MILLICORES_HIGH, memoryBytes: 20 * 1024 * 1024 } } });
  });

  after(async () => {
    if (saved === undefined) delete process.env.BOSUN_APISERVER_METRIC_RESOLUTION;
    else process.env.BOSUN_APISERVER_METRIC_RESOLUTION = saved;
    await cluster?.stop();
  });

  const replicas = async () => Number((await cluster.kubectlOk(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}'])) || '0');

  it('lists metrics.k8s.io and prints figures with kubectl top nodes and kubectl top pods -A', async () => {
    await cluster.kubectlOk(['apply', '-f', '-'], WEB_YAML);
    await cluster.waitFor(async () => ((await cluster.kubectlOk(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].status.phase}'])) === 'Running' ? true : undefined), 60_000, 'web Running');
    expect(await cluster.kubectlOk(['api-versions'])).to.include('metrics.k8s.io/v1beta1');
    const nodes = await cluster.waitFor(async () => {
      const run = await cluster.kubectl(['top', 'nodes']);
      return run.code === 0 ? run.stdout : undefined;
    }, 30_000, 'kubectl top nodes');
    expect(nodes).to.match(new RegExp(`^${NODE}\\s+\\d+m\\s+\\d+%\\s+\\d+Mi\\s+\\d+%`, 'm'));
    const pods = await cluster.waitFor(async () => {
      const run = await cluster.kubectl(['top', 'pods', '-A']);
      return run.code === 0 && /web-/.test(run.stdout) ? run.stdout : undefined;
    }, 30_000, 'kubectl top pods -A');
    expect(pods).to.match(/^default\s+web-\S+\s+(39\d|40\d)m\s+20Mi/m);
  });

  it('scales a Deployment up and down from the usage the node reports (kubectl autoscale, kubectl get hpa)', async () => {
    await cluster.kubectlOk(['autoscale', 'deployment', 'web', '--cpu-percent=50', '--min=1', '--max=3']);
    // No scale-down stabilization, so the test needs not wait Kubernetes' 300 s.
    await cluster.kubectlOk(['patch', 'hpa', 'web', '--type=merge', '-p', '{"spec":{"behavior":{"scaleDown":{"stabilizationWindowSeconds":0}}}}']);
    await cluster.waitFor(async () => ((await replicas()) === 3 ? true : undefined), 60_000, 'web scaled up to 3');
    const hpa = await cluster.waitFor(async () => {
      const out = await cluster.kubectlOk(['get', 'hpa', 'web']);
      return /cpu: 4\d\d%\/50%/.test(out) ? out : undefined;
    }, 30_000, 'kubectl get hpa TARGETS');
    expect(hpa).to.match(/web\s+Deployment\/web\s+cpu: 4\d\d%\/50%\s+1\s+3\s+3/);
    const limited = await cluster.kubectlOk(['get', 'hpa', 'web', '-o', 'jsonpath={.status.conditions[?(@.type=="ScalingLimited")].reason}']);
    expect(limited).to.equal('TooManyReplicas');

    writeFakeUsage(usageDir, { containers: { web: { cpuMillicores: MILLICORES_LOW, memoryBytes: 20 * 1024 * 1024 } } });
    await cluster.waitFor(async () => ((await replicas()) === 1 ? true : undefined), 60_000, 'web scaled down to 1');
    const events = await cluster.kubectlOk(['get', 'events', '--field-selector', 'involvedObject.name=web,involvedObject.kind=HorizontalPodAutoscaler', '-o', 'jsonpath={.items[*].reason}']);
    expect(events).to.include('SuccessfulRescale');
  });
});
