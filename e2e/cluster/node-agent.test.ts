import { expect } from 'chai';
import { reflect, reflectionClient } from '../support/grpc-reflection';
import { ControlPlaneCluster } from '../support/control-plane-cluster';

/** A long-running pod, and one whose liveness probe always fails (exec `false` on the fake runtime). */
const PODS_YAML = `
apiVersion: v1
kind: Pod
metadata: { name: web }
spec:
  nodeSelector: { kubernetes.io/hostname: agent-1 }
  terminationGracePeriodSeconds: 5
  containers: [{ name: web, image: busybox:1.36, command: [sleep, "100000"] }]
---
apiVersion: v1
kind: Pod
metadata: { name: sick }
spec:
  nodeSelector: { kubernetes.io/hostname: agent-1 }
  containers:
  - name: app
    image: busybox:1.36
    command: [sleep, "100000"]
    livenessProbe: { exec: { command: ["false"] }, periodSeconds: 1, failureThreshold: 1 }
`;

const NODE = 'agent-1';

describe('bosun node-agent (fake runtime) through real processes and kubectl', function () {
  this.timeout(180_000);
  let cluster: ControlPlaneCluster;

  before(async () => {
    cluster = await ControlPlaneCluster.start('node-agent', { nodes: [], controllerManagers: 0, nodeAgents: [{ nodeName: NODE }, { nodeName: 'sim', nodes: 2 }] });
  });

  after(async () => {
    await cluster?.stop();
  });

  const jsonpath = (pod: string, path: string) => cluster.kubectlOk(['get', 'pod', pod, '-o', `jsonpath={${path}}`]);

  it('registers a Ready node and runs a pod created with kubectl', async () => {
    await cluster.waitFor(async () => ((await cluster.kubectlOk(['get', 'node', NODE, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])) === 'True' ? true : undefined), 30_000, 'the node Ready');
    await cluster.kubectlOk(['apply', '-f', '-'], PODS_YAML);
    await cluster.waitFor(async () => ((await jsonpath('web', '.status.phase')) === 'Running' ? true : undefined), 60_000, 'web Running');
    expect(await jsonpath('web', '.spec.nodeName')).to.equal(NODE);
    expect(await jsonpath('web', '.status.containerStatuses[0].containerID')).to.match(/^fake:\/\//);
    const ready = await cluster.waitFor(async () => ((await jsonpath('web', '.status.conditions[?(@.type=="Ready")].status')) === 'True' ? true : undefined), 30_000, 'web Ready');
    expect(ready).to.equal(true);
  });

  it('restarts a container whose liveness probe fails (restartCount rises, Unhealthy events)', async () => {
    await cluster.waitFor(async () => (Number(await jsonpath('sick', '.status.containerStatuses[0].restartCount')) >= 1 ? true : undefined), 60_000, 'sick restarted');
    const events = await cluster.kubectlOk(['get', 'events', '--field-selector', 'involvedObject.name=sick', '-o', 'jsonpath={.items[*].reason}']);
    expect(events.split(' ')).to.include.members(['Unhealthy', 'Killing']);
  });

  it('serves its status API with reflection and health', async () => {
    const agent = cluster.nodeAgents[0]!;
    const services = await reflect(reflectionClient('v1', agent.grpcEndpoint, agent.statusTls), { list_services: '' });
    expect(JSON.stringify(services)).to.include('bosun.nodeagent.v1.NodeAgentStatus');
    const status = await agent.status();
    expect(status.nodes[0]).to.include({ node: NODE, runtime: 'fake', registered: true, ready: true });
    expect(status.nodes[0]!.pods.map((p) => p.pod)).to.include.members(['default/web', 'default/sick']);
    const metrics = await (await fetch(agent.metricsUrl!)).text();
    expect(metrics).to.match(/^kubelet_running_pods 2$/m);
    expect(metrics).to.match(/^kubelet_pod_start_duration_seconds_count [1-9]/m);
  });

  it('restarts no container after kill -9 of the agent (same container id, same restartCount)', async () => {
    const agent = cluster.nodeAgents[0]!;
    const id = await jsonpath('web', '.status.containerStatuses[0].containerID');
    const count = await jsonpath('web', '.status.containerStatuses[0].restartCount');
    await agent.kill('SIGKILL');
    agent.start();
    await agent.waitReady();
    // The new agent has adopted the pod once its status API lists web's container running under the same id.
    await cluster.waitFor(async () => {
      const st = await agent.status();
      const web = st.nodes[0]?.pods.find((p) => p.pod === 'default/web');
      return web?.containers.some((c) => `fake://${c.id}` === id && c.state === 'running') ? true : undefined;
    }, 30_000, 'the restarted agent to adopt web');
    await cluster.waitFor(async () => ((await jsonpath('web', '.status.conditions[?(@.type=="Ready")].status')) === 'True' ? true : undefined), 30_000, 'web Ready after the restart');
    expect(await jsonpath('web', '.status.containerStatuses[0].containerID')).to.equal(id);
    expect(await jsonpath('web', '.status.containerStatuses[0].restartCount')).to.equal(count);
  });

  it('simulates several nodes in one process (--nodes 2) and runs pods on them', async () => {
    for (const node of ['sim-1', 'sim-2']) {
      await cluster.waitFor(async () => ((await cluster.kubectlOk(['get', 'node', node, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])) === 'True' ? true : undefined), 30_000, `${node} Ready`);
    }
    await cluster.kubectlOk(['apply', '-f', '-'], 'apiVersion: v1\nkind: Pod\nmetadata: { name: pinned }\nspec:\n  nodeSelector: { kubernetes.io/hostname: sim-2 }\n  containers: [{ name: c, image: busybox:1.36, command: [sleep, "100000"] }]\n');
    await cluster.waitFor(async () => ((await jsonpath('pinned', '.status.phase')) === 'Running' ? true : undefined), 60_000, 'pinned Running on sim-2');
    expect(await jsonpath('pinned', '.spec.nodeName')).to.equal('sim-2');
    const st = await cluster.nodeAgents[1]!.status('sim-2');
    expect(st.nodes.map((n) => n.node)).to.deep.equal(['sim-2']);
    expect(st.nodes[0]!.pods.map((p) => p.pod)).to.deep.equal(['default/pinned']);
  });

  it('completes kubectl delete pod (the agent stops the containers and removes the pod)', async () => {
    const r = await cluster.kubectl(['delete', 'pod', 'web', '--timeout=60s']);
    expect(r.code, r.stderr).to.equal(0);
    const gone = await cluster.kubectl(['get', 'pod', 'web']);
    expect(gone.stderr).to.include('NotFound');
    const st = await cluster.nodeAgents[0]!.status();
    expect(st.nodes[0]!.pods.some((p) => p.pod === 'default/web')).to.equal(false);
  });
});
