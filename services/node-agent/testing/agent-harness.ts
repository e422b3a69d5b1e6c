/**
 * A node agent on fakes for unit tests: the in-memory FakeApiClient, a FakeClock (nothing
 * sleeps; `advance(ms)` runs relists, probes, back-off and lease timers), a FakeRuntime in a
 * temporary folder, BasicPodSetup, and recorders that keep Events in memory. `restartAgent()`
 * builds a new agent and a new FakeRuntime on the same folder, as after a kill -9.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RESOURCES } from '../../../lib/api/resources';
import type { Node, Pod } from '../../../lib/api/types';
import { listerWatcherFor } from '../../../lib/client/api-adapters';
import { SharedInformer } from '../../../lib/client/informer';
import { fakeControllerContext, type FakeControllerContext } from '../../../lib/controller/testing';
import { NodeAgent } from '../node-agent';
import type { NodeConfig } from '../node/node-config';
import { FakeRuntime } from '../runtime/fake-runtime';
import { BasicPodSetup } from './basic-pod-setup';

export const TEST_NODE = 'node-a';

export class AgentHarness {
  readonly ctx: FakeControllerContext = fakeControllerContext();
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-agent-test-'));
  runtime!: FakeRuntime;
  agent!: NodeAgent;
  private informers: SharedInformer<Pod | Node>[] = [];

  readonly config: NodeConfig = {
    nodeName: TEST_NODE,
    labels: { zone: 'z1' },
    capacity: { cpu: '4', memory: '8Gi', 'ephemeral-storage': '100Gi', pods: '110' },
    reserved: { cpu: '500m', memory: '1Gi' },
    address: '127.0.0.1',
    kubeletPort: 10250,
    clusterDns: ['10.43.0.10'],
    clusterDomain: 'cluster.local',
  };

  get clock() {
    return this.ctx.clock;
  }

  get client() {
    return this.ctx.client;
  }

  /** Starts (or restarts) the agent with a FakeRuntime on the harness folder. */
  async startAgent(): Promise<void> {
    this.runtime = new FakeRuntime({ rootDir: path.join(this.dir, 'runtime'), clock: this.clock });
    const pods = new SharedInformer<Pod>(listerWatcherFor(this.client.resource<Pod>(RESOURCES.pods), { fieldSelector: `spec.nodeName=${TEST_NODE}` }), { clock: this.clock });
    const nodes = new SharedInformer<Node>(listerWatcherFor(this.client.resource<Node>(RESOURCES.nodes), { fieldSelector: `metadata.name=${TEST_NODE}` }), { clock: this.clock });
    this.informers = [pods, nodes];
    this.agent = new NodeAgent({
      config: this.config,
      client: this.client,
      runtime: this.runtime,
      setup: new BasicPodSetup(path.join(this.dir, 'logs')),
      pods,
      nodes,
      events: this.ctx.recorder('kubelet'),
      clock: this.clock,
      logger: this.ctx.logger,
    });
    pods.run();
    nodes.run();
    await this.agent.start();
    await this.clock.advance(0);
  }

  /** Stops the agent without touching the runtime's containers, then starts a new one (a restarted process). */
  async restartAgent(): Promise<void> {
    await this.agent.stop();
    for (const i of this.informers) i.stop();
    await this.runtime.close();
    await this.startAgent();
  }

  async stop(): Promise<void> {
    await this.agent.stop();
    for (const i of this.informers) i.stop();
    await this.runtime.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** Creates a pod bound to the node. */
  createPod(name: string, spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): Pod {
    return this.client.seed<Pod>({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', ...metadata },
      spec: { nodeName: TEST_NODE, ...spec },
      status: { phase: 'Pending', qosClass: 'BestEffort' },
    } as Pod);
  }

  pod(name: string): Pod | undefined {
    return this.client.peek<Pod>('Pod', 'default', name);
  }

  /** The pod's status.containerStatuses[] entry of `container`. */
  containerStatus(pod: string, container: string): Record<string, any> | undefined {
    const statuses = (this.pod(pod)?.status?.containerStatuses as Record<string, any>[] | undefined) ?? [];
    return statuses.find((s) => s.name === container);
  }

  /** Reasons of the Events recorded so far (optionally only those whose message includes `text`). */
  eventReasons(text?: string): string[] {
    return this.ctx.events.filter((e) => !text || e.message.includes(text)).map((e) => e.reason);
  }

  /** Advances the clock in steps of `stepMs` until `check` holds, or fails after `maxMs`. */
  async advanceUntil(check: () => boolean, maxMs: number, stepMs = 100): Promise<void> {
    for (let t = 0; t <= maxMs; t += stepMs) {
      if (check()) return;
      await this.clock.advance(stepMs);
    }
    if (!check()) throw new Error(`condition not met within ${maxMs} ms of fake time`);
  }
}
