/**
 * Process runtime startup figures (as root): sandbox creation (netns + veth + IP), container
 * create+start (monitor, namespaces, overlay, pivot_root), the monitor's memory per container,
 * execSync latency and teardown. Not a test: prints figures.
 *   node dist/bench/process-runtime/startup.js [PODS]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { ProcessRuntime } from '../../services/node-agent/runtime/process/process-runtime';
import { busyboxTarball, containerConfig, sandboxConfig, testPodCidr } from '../../services/node-agent/runtime/process/testing';

const DEFAULT_PODS = 20;
const EXEC_SAMPLES = 10;

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

function kib(file: string, key: string): number {
  return Number(new RegExp(`${key}:\\s+(\\d+)`).exec(fs.readFileSync(file, 'utf8'))![1]);
}

async function main(): Promise<void> {
  const pods = Number(process.argv[2] ?? DEFAULT_PODS);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-proc-bench-'));
  const runtime = await ProcessRuntime.open({ rootDir: root, nodeName: `bench-${process.pid}`, logger: pino({ level: 'silent' }), bridgeName: `bsn-b${process.pid % 100000}` });
  try {
    await runtime.importImage('busybox:latest', busyboxTarball());
    await runtime.updateRuntimeConfig({ podCIDR: testPodCidr(40) });
    const sandboxMs: number[] = [];
    const startMs: number[] = [];
    const ids: string[] = [];
    for (let i = 0; i < pods; i++) {
      const sc = sandboxConfig(`bench-${i}`, path.join(root, 'logs', `bench-${i}`));
      let t0 = performance.now();
      const sandboxId = await runtime.runPodSandbox(sc);
      sandboxMs.push(performance.now() - t0);
      t0 = performance.now();
      const id = await runtime.createContainer(sandboxId, containerConfig('c', ['sleep', '3600']), sc);
      await runtime.startContainer(id);
      startMs.push(performance.now() - t0);
      ids.push(id);
    }
    let rss = 0;
    let pss = 0;
    for (const id of ids) {
      const monitorPid = fs.readFileSync(path.join(root, 'containers', id, 'pid'), 'utf8').trim().split(' ')[1];
      rss += kib(`/proc/${monitorPid}/status`, 'VmRSS');
      pss += kib(`/proc/${monitorPid}/smaps_rollup`, 'Pss');
    }
    const execMs: number[] = [];
    for (let i = 0; i < EXEC_SAMPLES; i++) {
      const t0 = performance.now();
      await runtime.execSync(ids[0], ['true'], 5000);
      execMs.push(performance.now() - t0);
    }
    const t0 = performance.now();
    await runtime.destroyNode();
    const teardownMs = performance.now() - t0;
    const f = (n: number) => n.toFixed(0);
    console.log(`pods: ${pods}`);
    console.log(`runPodSandbox        p50 ${f(percentile(sandboxMs, 0.5))} ms  p99 ${f(percentile(sandboxMs, 0.99))} ms`);
    console.log(`create+startContainer p50 ${f(percentile(startMs, 0.5))} ms  p99 ${f(percentile(startMs, 0.99))} ms`);
    console.log(`monitor memory       RSS ${f(rss / pods)} KiB  PSS ${f(pss / pods)} KiB per container`);
    console.log(`execSync true        p50 ${f(percentile(execMs, 0.5))} ms`);
    console.log(`teardown             ${f(teardownMs / pods)} ms per pod`);
  } finally {
    await runtime.destroyNode();
    await runtime.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
