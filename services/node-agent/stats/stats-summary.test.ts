import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FakeClock } from '../../../lib/client/fake-clock';
import { FakeRuntime } from '../runtime/fake-runtime';
import { writeFakeUsage } from '../runtime/fake-usage';
import { LABEL_CONTAINER_NAME, type ContainerConfig, type PodSandboxConfig } from '../runtime/runtime';
import { parseMeminfo, parseProcStat, readHostUsage } from './host-usage';
import { statsSummary } from './stats-summary';

const HOST = { cpuUsageCoreNanoSeconds: 7, memoryWorkingSetBytes: 9 };

describe('node stats summary (the Summary API subset)', () => {
  let dir: string;
  let clock: FakeClock;
  let rt: FakeRuntime;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-stats-'));
    clock = new FakeClock();
    rt = new FakeRuntime({ rootDir: dir, clock });
  });

  afterEach(async () => {
    await rt.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function runPod(name: string, containers: string[]): Promise<void> {
    const sandbox = { metadata: { name, namespace: 'ns', uid: `uid-${name}`, attempt: 0 }, hostname: name, logDirectory: path.join(dir, name), portMappings: [], labels: {}, annotations: {}, linux: { hostNetwork: false } } as PodSandboxConfig;
    const id = await rt.runPodSandbox(sandbox);
    for (const c of containers) {
      const config = { metadata: { name: c, attempt: 0 }, image: 'busybox:1.36', command: ['sleep', '1000'], args: [], envs: [], mounts: [], labels: { [LABEL_CONTAINER_NAME]: c }, annotations: {}, logPath: `${c}.log` } as unknown as ContainerConfig;
      await rt.startContainer(await rt.createContainer(id, config, sandbox));
    }
  }

  it("reports each running pod's containers with the usage the fake runtime was given, and the node's", async () => {
    writeFakeUsage(dir, { containers: { app: { cpuMillicores: 500, memoryBytes: 4096 } }, default: { cpuMillicores: 100, memoryBytes: 1024 } });
    await runPod('web', ['app', 'sidecar']);
    await statsSummary('n1', rt, HOST, clock.now()); // first sight: counters start at 0
    await clock.advance(2_000);
    const summary = await statsSummary('n1', rt, HOST, clock.now());
    expect(summary.node).to.deep.include({ nodeName: 'n1' });
    expect(summary.node.cpu.usageCoreNanoSeconds).to.equal(7);
    expect(summary.node.memory.workingSetBytes).to.equal(9);
    expect(summary.pods).to.have.length(1);
    const pod = summary.pods[0]!;
    expect(pod.podRef).to.deep.equal({ name: 'web', namespace: 'ns', uid: 'uid-web' });
    const byName = Object.fromEntries(pod.containers.map((c) => [c.name, c]));
    expect(byName.app!.cpu.usageCoreNanoSeconds).to.equal(1_000_000_000); // 0.5 core for 2 s
    expect(byName.sidecar!.cpu.usageCoreNanoSeconds).to.equal(200_000_000);
    expect(pod.memory.workingSetBytes).to.equal(4096 + 1024);
    expect(pod.cpu.usageCoreNanoSeconds).to.equal(1_200_000_000);
  });

  it('reads busy CPU time from /proc/stat and MemTotal − MemAvailable from /proc/meminfo', () => {
    expect(parseProcStat('cpu  100 5 50 1000 20 3 2 1 0 0\ncpu0 1 2 3\n')).to.equal((100 + 5 + 50 + 3 + 2 + 1) * 10_000_000);
    expect(parseProcStat('nothing')).to.equal(0);
    expect(parseMeminfo('MemTotal:       1000 kB\nMemFree:         100 kB\nMemAvailable:    400 kB\n')).to.equal(600 * 1024);
    expect(parseMeminfo('MemTotal: 1 kB\n')).to.equal(0);
    if (fs.existsSync('/proc/stat')) expect(readHostUsage().cpuUsageCoreNanoSeconds).to.be.greaterThan(0);
  });
});
