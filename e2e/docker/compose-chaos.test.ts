import { expect } from 'chai';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { KubeObject } from '../../lib/api/object';
import { GrpcApiClient } from '../../lib/client/grpc-api-client';
import { freePort, memberStatus } from '../../lib/launcher/store-cluster';
import { sampleValue } from '../../lib/metrics';
import { configMapStrategy, serviceStrategy } from '../../services/apiserver/kinds/core';
import { ClusterControl, KILL_LEADER_THEN_FOLLOWER, runChaosWorkload } from '../support/chaos-workload';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..', '..');
const SERVICES = ['store-1', 'store-2', 'store-3'];

/** docker-compose with this run's own project name and ports, so runs never collide. */
class ComposeProject {
  readonly name = `bosun-chaos-${process.pid}`;
  constructor(readonly ports: number[]) {}

  async compose(...args: string[]): Promise<string> {
    const env = {
      ...process.env,
      BOSUN_STORE_PORT_1: String(this.ports[0]),
      BOSUN_STORE_PORT_2: String(this.ports[1]),
      BOSUN_STORE_PORT_3: String(this.ports[2]),
      BOSUN_APISERVER_PORT_1: String(this.ports[3]),
      BOSUN_APISERVER_PORT_2: String(this.ports[4]),
      BOSUN_CONTROLLER_MANAGER_METRICS_PORT_1: String(this.ports[5]),
      BOSUN_CONTROLLER_MANAGER_METRICS_PORT_2: String(this.ports[6]),
    };
    const { stdout } = await run('docker-compose', ['-p', this.name, '--project-directory', ROOT, '-f', path.join(ROOT, 'compose.yaml'), ...args], {
      env,
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  }

  get endpoints(): string[] {
    return this.ports.slice(0, 3).map((p) => `127.0.0.1:${p}`);
  }

  get apiserverEndpoints(): string[] {
    return this.ports.slice(3, 5).map((p) => `127.0.0.1:${p}`);
  }

  /** The controller-managers' /metrics URLs. */
  get controllerManagerMetrics(): string[] {
    return this.ports.slice(5, 7).map((p) => `http://127.0.0.1:${p}/metrics`);
  }

  /** Resolves when every member answers Status and agrees on a leader. */
  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      try {
        const s = await Promise.all(this.endpoints.map((e) => memberStatus(e, 1000)));
        const leaders = new Set(s.map((x) => x.leader));
        if (leaders.size === 1 && !leaders.has(0)) return;
        last = `leaders: ${[...leaders].join(',')}`;
      } catch (err) {
        last = String(err);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`compose cluster not ready: ${last}\n${await this.compose('logs', '--no-color', '--tail', '20').catch(() => '')}`);
  }
}

describe('store chaos under Docker Compose: docker kill / docker start of store containers', function () {
  this.timeout(600_000);
  let project: ComposeProject;
  let up = false;

  before(async () => {
    await run('bash', [path.join(ROOT, 'scripts', 'docker', 'build-image.sh'), '--no-build'], { timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
    const ports: number[] = [];
    for (let i = 0; i < 7; i++) ports.push(await freePort());
    project = new ComposeProject(ports);
    up = true;
    await project.compose('up', '-d', '--no-build');
    await project.waitReady(60_000);
  });

  after(async () => {
    if (up) await project.compose('down', '-v', '--timeout', '10').catch((err) => console.error(String(err)));
  });

  it('serves the API from both apiserver containers: a write through one is read through the other', async () => {
    const [a, b] = project.apiserverEndpoints.map((e) => new GrpcApiClient({ endpoints: [e] }));
    try {
      const deadline = Date.now() + 60_000;
      for (;;) {
        try {
          await Promise.all([a!.discover(), b!.discover()]);
          break;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      await a!.resource(configMapStrategy.info).create('default', { metadata: { name: 'from-compose' }, data: { via: 'apiserver-1' } } as KubeObject);
      const read = (await b!.resource(configMapStrategy.info).get('default', 'from-compose')) as KubeObject & { data: Record<string, string> };
      expect(read.data.via).to.equal('apiserver-1');
      const svc = await b!.resource(serviceStrategy.info).get('default', 'kubernetes');
      expect((svc.spec as { clusterIP: string }).clusterIP).to.equal('10.43.0.1');
    } finally {
      a?.close();
      b?.close();
    }
  });

  it('runs two controller-manager containers as their own identity, exactly one of them leading', async () => {
    const leaders = async () => {
      let n = 0;
      for (const url of project.controllerManagerMetrics) n += sampleValue(await (await fetch(url)).text(), 'leader_election_master_status{name="kube-controller-manager"}') ?? 0;
      return n;
    };
    const deadline = Date.now() + 60_000;
    while ((await leaders().catch(() => 0)) !== 1) {
      if (Date.now() > deadline) throw new Error(`no single controller-manager leader:\n${await project.compose('logs', '--no-color', '--tail', '20', 'controller-manager-1', 'controller-manager-2').catch(() => '')}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  });

  it('loses no acknowledged write and stays linearizable while containers are killed and started', async () => {
    const control: ClusterControl = {
      endpoints: project.endpoints,
      kill: async (i) => void (await project.compose('kill', SERVICES[i])),
      start: async (i) => void (await project.compose('start', SERVICES[i])),
      leaderIndex: async () => {
        for (const [i, e] of project.endpoints.entries()) {
          try {
            const s = await memberStatus(e, 1000);
            if (s.leader !== 0 && s.leader === s.header?.memberId) return i;
          } catch {
            // member down
          }
        }
        return undefined;
      },
    };
    const report = await runChaosWorkload(control, {
      clients: 4,
      keys: 4,
      maxOpsPerClient: 1500,
      maxDurationMs: 40_000,
      requestTimeoutMs: 4000,
      faults: KILL_LEADER_THEN_FOLLOWER,
      prefix: 'compose-chaos/',
    });
    const summary = `faults: ${report.faultsRun.join('; ')}; ops ok=${report.counts.ok} failed=${report.counts.failed} unknown=${report.counts.unknown}; unique writes acknowledged=${report.acknowledged.length}`;
    console.log(`      ${summary}`);
    expect(report.faultsRun.filter((f) => /^kill-\w+ #\d$/.test(f)).length, summary).to.be.greaterThanOrEqual(3);
    expect(report.counts.ok).to.be.greaterThan(100);
    expect(report.lost, `acknowledged writes lost (${summary})`).to.deep.equal([]);
    if (report.linearizability.ok !== true) {
      const detail = report.linearizability.ok === false ? `${report.linearizability.reason}\n${report.linearizability.window}` : report.linearizability.reason;
      expect.fail(`history is not linearizable: ${detail}`);
    }
    await project.waitReady(60_000);
  });
});
