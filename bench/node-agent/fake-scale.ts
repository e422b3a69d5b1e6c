/**
 * How light the fake runtime's simulated nodes are: one NodeAgentServer running N nodes
 * (default 1000) against the in-memory FakeApiClient, then P pods (default 3 per node) bound
 * round-robin. Prints the time to register every node, the time until every pod is Running, the
 * process's CPU time and heap, and the API calls made per second while idle (leases, status).
 * Usage: node dist/bench/node-agent/fake-scale.js [nodes] [podsPerNode] [idleSeconds]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { RESOURCES } from '../../lib/api/resources';
import type { Pod } from '../../lib/api/types';
import { FakeApiClient } from '../../lib/client/testing/fake-api-client';
import { newMetricsRegistry } from '../../lib/metrics';
import { NodeAgentServer } from '../../services/node-agent/node-agent-server';
import { createRuntime } from '../../services/node-agent/runtime/index';
import type { NodeConfig } from '../../services/node-agent/node/node-config';

const POLL_MS = 200;

async function until(check: () => boolean, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return Date.now() - t0;
}

async function main(): Promise<void> {
  const nodeCount = Number(process.argv[2] ?? 1000);
  const podsPerNode = Number(process.argv[3] ?? 3);
  const idleSeconds = Number(process.argv[4] ?? 20);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-bench-node-agent-'));
  const client = new FakeApiClient();
  const logger = pino({ level: 'silent' });
  const base: Omit<NodeConfig, 'nodeName'> = { labels: {}, capacity: { cpu: '8', memory: '32Gi', 'ephemeral-storage': '100Gi', pods: '110' }, reserved: {}, address: '127.0.0.1', kubeletPort: 10250, clusterDns: ['10.43.0.10'], clusterDomain: 'cluster.local' };
  const nodes = Array.from({ length: nodeCount }, (_, i) => ({ ...base, nodeName: `sim-${i + 1}` }));
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  const server = await NodeAgentServer.start(
    { apiservers: [], client, nodes, rootDir: dir, runtime: (node, root, log) => createRuntime('fake', { rootDir: root, nodeName: node.nodeName, logger: log }), metrics: newMetricsRegistry({ processMetrics: false }) },
    logger,
  );
  const nodesInfo = client.infoOf('Node');
  const registerMs = await until(() => client.store.list(nodesInfo, undefined, undefined).length === nodeCount, 120_000);
  const startMs = Date.now() - t0;
  const pods = client.resource<Pod>(RESOURCES.pods);
  for (let i = 0; i < nodeCount * podsPerNode; i++) {
    await pods.create('default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: `p-${i}`, namespace: 'default' }, spec: { nodeName: `sim-${(i % nodeCount) + 1}`, containers: [{ name: 'c', image: 'busybox:1.36', command: ['sleep', '100000'] }] } } as Pod);
  }
  const podInfo = client.infoOf('Pod');
  const running = () => client.store.list(podInfo, 'default', undefined).filter((p) => (p.status as { phase?: string } | undefined)?.phase === 'Running').length;
  const runMs = await until(() => running() === nodeCount * podsPerNode, 300_000);
  const cpuBusy = process.cpuUsage(cpu0);
  const callsBefore = client.calls.length;
  const cpu1 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, idleSeconds * 1000));
  const cpuIdle = process.cpuUsage(cpu1);
  const idleCalls = client.calls.length - callsBefore;
  const heapMb = process.memoryUsage().heapUsed / 2 ** 20;
  console.log(
    JSON.stringify(
      {
        nodes: nodeCount,
        pods: nodeCount * podsPerNode,
        startAndAdoptMs: startMs,
        allNodesRegisteredMs: registerMs,
        allPodsRunningMs: runMs,
        cpuSecondsToRunning: (cpuBusy.user + cpuBusy.system) / 1e6,
        idleCpuPercent: ((cpuIdle.user + cpuIdle.system) / 1e6 / idleSeconds) * 100,
        idleApiCallsPerSecond: idleCalls / idleSeconds,
        heapMb: Math.round(heapMb),
        rssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
      },
      null,
      2,
    ),
  );
  await server.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(err);
    process.exit(1);
  },
);
