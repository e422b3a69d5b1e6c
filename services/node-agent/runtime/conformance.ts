/**
 * The runtime conformance suite: what the node agent relies on from any Runtime, run against
 * the process, docker and fake runtimes alike (each from its own test file, with a harness).
 *
 * The commands are busybox shell one-liners. The fake runtime runs no processes: it interprets
 * the small set used here (`sh -c` scripts of `;`-separated `echo TEXT` (with `$VAR` from the
 * environment), `echo TEXT >&2`, `sleep N`, `exit N`, `x=…` assignments; `echo ARGS` and
 * `sleep N` as commands; anything else, such as `exec httpd …`, runs until stopped), and the cases that need real processes (OOM kills, pod networking, port-forward) run
 * only where the harness says it has them.
 */
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import {
  LABEL_CONTAINER_NAME,
  LABEL_POD_NAME,
  LABEL_POD_NAMESPACE,
  LABEL_POD_UID,
  RuntimeError,
  type ContainerConfig,
  type ContainerEvent,
  type ContainerStatus,
  type PodSandboxConfig,
  type Runtime,
} from './runtime';
import { minimalContainerConfig } from './test-configs';

export interface ConformanceHarness {
  /** Shown in the suite's title: `process`, `docker`, `fake`. */
  readonly name: string;
  /** Why the whole suite cannot run here (no root, no Docker engine), or undefined. */
  skipReason(): Promise<string | undefined>;
  /**
   * Opens a runtime on the harness's state. Called again in the same run, it must open the same
   * state afresh (a new object, as a restarted agent would), to test adoption.
   */
  open(): Promise<Runtime>;
  /** An image with busybox's applets (sh, echo, sleep, cat, httpd, wget) that pullImage can make present. */
  readonly image: string;
  /** An image reference that no pull can make present. */
  readonly absentImage: string;
  /** The podCIDR given to updateRuntimeConfig (a test-owned range), when the runtime gives pods their own network. */
  readonly podCIDR?: string;
  /** A directory the suite may write pod logs under (removed by cleanup). */
  readonly logRoot: string;
  /** What this runtime really does, beyond the interpreted commands. */
  readonly capabilities: {
    /** Real processes: OOM kills by a memory limit, CPU/memory stats, streaming exec of `cat`. */
    readonly processes: boolean;
    /** Pods get their own network namespace and an IP from podCIDR, reachable from each other. */
    readonly podNetwork: boolean;
  };
  /** Removes everything the run made (sandboxes, networks, files); called once at the end. */
  cleanup(): Promise<void>;
}

/** How long a container may take to reach a state in these tests. */
const STATE_TIMEOUT_MS = 20_000;
const POLL_MS = 50;
const MIB = 1024 * 1024;

let sequence = 0;

/** Defines the suite for one runtime. Call at a test file's top level. */
export function describeRuntimeConformance(harness: ConformanceHarness): void {
  describe(`runtime conformance: ${harness.name}`, function () {
    this.timeout(90_000);
    let runtime: Runtime;
    const sandboxes: string[] = [];

    before(async function () {
      const reason = await harness.skipReason();
      if (reason) {
        console.log(`      (skipped: ${reason})`);
        this.skip();
      }
      runtime = await harness.open();
      if (harness.podCIDR) await runtime.updateRuntimeConfig({ podCIDR: harness.podCIDR });
      await runtime.pullImage(harness.image);
    });

    after(async function () {
      if (!runtime) return;
      for (const id of sandboxes) await runtime.removePodSandbox(id).catch(() => undefined);
      await runtime.close();
      await harness.cleanup();
    });

    function sandboxConfig(name: string): PodSandboxConfig {
      const uid = `conf-${process.pid}-${++sequence}`;
      return {
        metadata: { name, namespace: 'conformance', uid, attempt: 0 },
        hostname: name,
        logDirectory: path.join(harness.logRoot, `conformance_${name}_${uid}`),
        portMappings: [],
        labels: { [LABEL_POD_NAME]: name, [LABEL_POD_NAMESPACE]: 'conformance', [LABEL_POD_UID]: uid, 'conformance/role': name },
        annotations: { 'conformance/annotation': 'kept' },
        linux: { hostNetwork: !harness.capabilities.podNetwork },
      };
    }

    function containerConfig(name: string, command: string[], extra: Partial<ContainerConfig> = {}): ContainerConfig {
      return minimalContainerConfig(name, harness.image, command, { annotations: { 'conformance/container': name }, ...extra });
    }

    async function newSandbox(name: string): Promise<{ id: string; config: PodSandboxConfig }> {
      const config = sandboxConfig(name);
      fs.mkdirSync(config.logDirectory, { recursive: true });
      const id = await runtime.runPodSandbox(config);
      sandboxes.push(id);
      return { id, config };
    }

    /** A sandbox with one started container running `command`. */
    async function runContainer(name: string, command: string[], extra: Partial<ContainerConfig> = {}) {
      const sandbox = await newSandbox(name);
      const config = containerConfig(name, command, extra);
      const containerId = await runtime.createContainer(sandbox.id, config, sandbox.config);
      await runtime.startContainer(containerId);
      return { sandbox, containerId, config };
    }

    async function waitFor(containerId: string, state: ContainerStatus['state']): Promise<ContainerStatus> {
      const deadline = Date.now() + STATE_TIMEOUT_MS;
      for (;;) {
        const status = await runtime.containerStatus(containerId);
        if (status.state === state) return status;
        if (Date.now() > deadline) throw new Error(`container ${containerId} still ${status.state} (wanted ${state}) after ${STATE_TIMEOUT_MS} ms`);
        await delay(POLL_MS);
      }
    }

    /** The CRI log lines of a container, as [stream, tag, text] triples. */
    function logRecords(status: ContainerStatus): Array<[string, string, string]> {
      const text = fs.existsSync(status.logPath) ? fs.readFileSync(status.logPath, 'utf8') : '';
      return text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => {
          const match = /^(\S+) (stdout|stderr) ([FP]) (.*)$/.exec(line);
          if (!match) throw new Error(`not a CRI log line: ${JSON.stringify(line)}`);
          expect(Number.isNaN(Date.parse(match[1]!)), `timestamp of ${line}`).to.equal(false);
          return [match[2]!, match[3]!, match[4]!];
        });
    }

    async function waitForLog(containerId: string, predicate: (records: Array<[string, string, string]>) => boolean) {
      const deadline = Date.now() + STATE_TIMEOUT_MS;
      for (;;) {
        const records = logRecords(await runtime.containerStatus(containerId));
        if (predicate(records)) return records;
        if (Date.now() > deadline) throw new Error(`log of ${containerId} never matched; it has ${JSON.stringify(records)}`);
        await delay(POLL_MS);
      }
    }

    describe('runtime and images', () => {
      it('names itself and reports RuntimeReady', async () => {
        const version = await runtime.version();
        expect(version.runtimeName).to.be.a('string').and.not.equal('');
        const status = await runtime.status();
        const ready = status.conditions.find((c) => c.type === 'RuntimeReady');
        expect(ready?.status, JSON.stringify(status)).to.equal(true);
      });

      it('has the pulled image, and refuses an absent one with ImagePull naming it', async () => {
        const image = await runtime.imageStatus(harness.image);
        expect(image, 'imageStatus of the pulled image').to.not.equal(null);
        expect(image!.id).to.be.a('string').and.not.equal('');
        expect((await runtime.listImages()).some((i) => i.id === image!.id)).to.equal(true);
        expect(await runtime.imageStatus(harness.absentImage)).to.equal(null);
        const err = await runtime.pullImage(harness.absentImage).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).to.be.instanceOf(RuntimeError);
        expect((err as RuntimeError).code).to.equal('ImagePull');
        expect((err as RuntimeError).message).to.contain(harness.absentImage);
      });
    });

    describe('sandboxes', () => {
      it('runs, lists by label, stops and removes a sandbox', async () => {
        const { id, config } = await newSandbox('lifecycle');
        const status = await runtime.podSandboxStatus(id);
        expect(status.state).to.equal('ready');
        expect(status.metadata).to.deep.equal(config.metadata);
        expect(status.labels['conformance/role']).to.equal('lifecycle');
        expect(status.annotations['conformance/annotation']).to.equal('kept');
        if (harness.capabilities.podNetwork) expect(status.network.ip, 'pod IP').to.match(/^\d+\.\d+\.\d+\.\d+$/);
        const listed = await runtime.listPodSandboxes({ labelSelector: { 'conformance/role': 'lifecycle' } });
        expect(listed.map((s) => s.id)).to.deep.equal([id]);

        await runtime.stopPodSandbox(id);
        expect((await runtime.podSandboxStatus(id)).state).to.equal('notready');
        await runtime.stopPodSandbox(id); // idempotent
        await runtime.removePodSandbox(id);
        await runtime.removePodSandbox(id); // idempotent
        const gone = await runtime.podSandboxStatus(id).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect((gone as RuntimeError).code).to.equal('NotFound');
      });

      it('gives each sandbox its own IP from the podCIDR, and they reach each other', async function () {
        if (!harness.capabilities.podNetwork) this.skip();
        const server = await runContainer('net-server', ['sh', '-c', 'echo conformance > /tmp/index.html; exec httpd -f -p 8080 -h /tmp']);
        const client = await runContainer('net-client', ['sleep', '3600']);
        await waitFor(server.containerId, 'running');
        await waitFor(client.containerId, 'running');
        const serverIp = (await runtime.podSandboxStatus(server.sandbox.id)).network.ip;
        const clientIp = (await runtime.podSandboxStatus(client.sandbox.id)).network.ip;
        expect(serverIp).to.not.equal(clientIp);
        expect(inCidr(serverIp, harness.podCIDR!), `${serverIp} in ${harness.podCIDR}`).to.equal(true);
        const deadline = Date.now() + STATE_TIMEOUT_MS;
        let last = '';
        for (;;) {
          const result = await runtime.execSync(client.containerId, ['wget', '-q', '-O', '-', `http://${serverIp}:8080/index.html`], 5_000);
          last = result.stdout.toString() + result.stderr.toString();
          if (result.exitCode === 0 && last.includes('conformance')) break;
          if (Date.now() > deadline) throw new Error(`the client pod never reached ${serverIp}:8080: ${last}`);
          await delay(200);
        }
      });
    });

    describe('containers', () => {
      it('runs a command to its exit code, with stdout and stderr in the CRI log', async () => {
        const { containerId } = await runContainer('exit3', ['sh', '-c', 'echo hello; echo oops >&2; exit 3']);
        const status = await waitFor(containerId, 'exited');
        expect(status.exitCode).to.equal(3);
        expect(status.reason).to.equal('Error');
        expect(status.startedAt).to.be.greaterThan(0);
        expect(status.finishedAt).to.be.at.least(status.startedAt);
        expect(status.metadata).to.deep.equal({ name: 'exit3', attempt: 0 });
        const records = await waitForLog(containerId, (r) => r.length >= 2);
        expect(records).to.deep.include(['stdout', 'F', 'hello']);
        expect(records).to.deep.include(['stderr', 'F', 'oops']);
      });

      it('reports a clean exit as Completed', async () => {
        const { containerId } = await runContainer('exit0', ['sh', '-c', 'echo done; exit 0']);
        const status = await waitFor(containerId, 'exited');
        expect(status.exitCode).to.equal(0);
        expect(status.reason).to.equal('Completed');
      });

      it('passes arguments and the environment', async () => {
        const { containerId } = await runContainer('env', ['sh', '-c'], { args: ['echo "$GREETING" world'], envs: [{ key: 'GREETING', value: 'hello' }] });
        await waitFor(containerId, 'exited');
        const records = await waitForLog(containerId, (r) => r.length >= 1);
        expect(records[0]).to.deep.equal(['stdout', 'F', 'hello world']);
      });

      it('keeps labels and annotations, lists by sandbox, state and label', async () => {
        const { sandbox, containerId } = await runContainer('labels', ['sleep', '3600']);
        await waitFor(containerId, 'running');
        const status = await runtime.containerStatus(containerId);
        expect(status.podSandboxId).to.equal(sandbox.id);
        expect(status.labels[LABEL_CONTAINER_NAME]).to.equal('labels');
        expect(status.annotations['conformance/container']).to.equal('labels');
        expect(status.image).to.equal(harness.image);
        expect(status.imageRef).to.be.a('string').and.not.equal('');
        const bySandbox = await runtime.listContainers({ podSandboxId: sandbox.id });
        expect(bySandbox.map((c) => c.id)).to.deep.equal([containerId]);
        const running = await runtime.listContainers({ state: 'running', labelSelector: { [LABEL_CONTAINER_NAME]: 'labels' } });
        expect(running.map((c) => c.id)).to.deep.equal([containerId]);
        expect(await runtime.listContainers({ state: 'exited', labelSelector: { [LABEL_CONTAINER_NAME]: 'labels' } })).to.deep.equal([]);
      });

      it('stops a container that ignores SIGTERM by SIGKILL after the grace period', async () => {
        const { containerId } = await runContainer('stop', ['sleep', '3600']);
        await waitFor(containerId, 'running');
        const started = Date.now();
        await runtime.stopContainer(containerId, 1);
        const status = await runtime.containerStatus(containerId);
        expect(status.state).to.equal('exited');
        // sleep as the namespace's first process ignores SIGTERM (137), or dies of it where it is not (143).
        expect([137, 143]).to.include(status.exitCode);
        expect(Date.now() - started).to.be.lessThan(15_000);
        await runtime.stopContainer(containerId, 1); // idempotent
      });

      it('removes a container and its log', async () => {
        const { containerId } = await runContainer('remove', ['sh', '-c', 'echo bye']);
        const status = await waitFor(containerId, 'exited');
        await runtime.removeContainer(containerId);
        await runtime.removeContainer(containerId); // idempotent
        const err = await runtime.containerStatus(containerId).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect((err as RuntimeError).code).to.equal('NotFound');
        expect(fs.existsSync(status.logPath), status.logPath).to.equal(false);
      });

      it('removing the sandbox removes its containers', async () => {
        const { sandbox, containerId } = await runContainer('cascade', ['sleep', '3600']);
        await waitFor(containerId, 'running');
        await runtime.removePodSandbox(sandbox.id);
        expect(await runtime.listContainers({ podSandboxId: sandbox.id })).to.deep.equal([]);
      });

      it('tells listeners about started and stopped containers', async () => {
        const events: ContainerEvent[] = [];
        const unsubscribe = runtime.onContainerEvent((e) => events.push(e));
        try {
          const { containerId } = await runContainer('events', ['sh', '-c', 'exit 0']);
          await waitFor(containerId, 'exited');
          const deadline = Date.now() + STATE_TIMEOUT_MS;
          while (!events.some((e) => e.containerId === containerId && e.type === 'stopped')) {
            if (Date.now() > deadline) throw new Error(`events seen: ${JSON.stringify(events)}`);
            await delay(POLL_MS);
          }
          expect(events.some((e) => e.containerId === containerId && e.type === 'started')).to.equal(true);
        } finally {
          unsubscribe();
        }
      });

      it('OOM-kills a container over its memory limit and says OOMKilled', async function () {
        if (!harness.capabilities.processes) this.skip();
        const { containerId } = await runContainer('oom', ['sh', '-c', 'x=aaaaaaaaaaaaaaaa; while true; do x=$x$x; done'], {
          linux: { resources: { memoryLimitInBytes: 32 * MIB }, security: {} },
        });
        const status = await waitFor(containerId, 'exited');
        expect(status.reason).to.equal('OOMKilled');
        expect(status.exitCode).to.equal(137);
      });
    });

    describe('exec, port-forward and stats', () => {
      let containerId: string;
      let sandboxId: string;
      before(async () => {
        const run = await runContainer('exec', ['sh', '-c', 'echo conformance > /tmp/index.html; exec httpd -f -p 8080 -h /tmp']);
        containerId = run.containerId;
        sandboxId = run.sandbox.id;
        await waitFor(containerId, 'running');
      });

      it('execSync returns output and exit code', async () => {
        const ok = await runtime.execSync(containerId, ['echo', 'hi'], 10_000);
        expect(ok.exitCode).to.equal(0);
        expect(ok.timedOut).to.equal(false);
        expect(ok.stdout.toString()).to.equal('hi\n');
        const failed = await runtime.execSync(containerId, ['sh', '-c', 'echo no >&2; exit 7'], 10_000);
        expect(failed.exitCode).to.equal(7);
        expect(failed.stderr.toString()).to.equal('no\n');
      });

      it('execSync gives up after its timeout', async () => {
        const result = await runtime.execSync(containerId, ['sleep', '30'], 500);
        expect(result.timedOut).to.equal(true);
      });

      it('exec streams stdin to the command and its output back', async function () {
        if (!harness.capabilities.processes) this.skip();
        const session = await runtime.exec(containerId, ['cat'], { stdin: true, stdout: true, stderr: true, tty: false });
        const chunks: Buffer[] = [];
        session.stdout!.on('data', (c: Buffer) => chunks.push(c));
        session.stdin!.end('through exec\n');
        const { exitCode } = await session.exit;
        expect(exitCode).to.equal(0);
        await delay(100);
        expect(Buffer.concat(chunks).toString()).to.equal('through exec\n');
      });

      it('port-forwards to a port inside the pod', async function () {
        if (!harness.capabilities.processes) this.skip();
        const deadline = Date.now() + STATE_TIMEOUT_MS;
        let answer = '';
        for (;;) {
          answer = await httpOverStream(await runtime.portForward(sandboxId, 8080), '/index.html').catch((e: Error) => e.message);
          if (answer.includes('conformance')) break;
          if (Date.now() > deadline) throw new Error(`port-forward never answered: ${answer}`);
          await delay(200);
        }
        expect(answer).to.match(/^HTTP\/1\.[01] 200/);
      });

      it('reports stats of a running container', async () => {
        const stats = await runtime.containerStats(containerId);
        expect(stats, 'stats').to.not.equal(null);
        expect(stats!.id).to.equal(containerId);
        if (harness.capabilities.processes) expect(stats!.memoryWorkingSetBytes).to.be.greaterThan(0);
      });
    });

    describe('state outlives the runtime object', () => {
      it('a runtime opened again sees the running container with its labels, still running', async () => {
        const { containerId, sandbox } = await runContainer('adopt', ['sleep', '3600']);
        const before = await waitFor(containerId, 'running');
        const reopened = await harness.open();
        try {
          const seen = await reopened.containerStatus(containerId);
          expect(seen.state).to.equal('running');
          expect(seen.startedAt).to.equal(before.startedAt);
          expect(seen.labels[LABEL_CONTAINER_NAME]).to.equal('adopt');
          const sandboxes = await reopened.listPodSandboxes({ labelSelector: { [LABEL_POD_UID]: sandbox.config.metadata.uid } });
          expect(sandboxes.map((s) => s.id)).to.deep.equal([sandbox.id]);
        } finally {
          await reopened.close();
        }
      });
    });
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const toInt = (a: string) => a.split('.').reduce((n, part) => (n << 8) + Number(part), 0) >>> 0;
  const mask = bits === '0' ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  return ((toInt(ip) & mask) >>> 0) === ((toInt(base!) & mask) >>> 0);
}

/** Sends one HTTP/1.0 GET over a byte stream and returns the whole answer. */
function httpOverStream(stream: Duplex, urlPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error('no answer within 5 s'));
    }, 5_000);
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    stream.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString());
    });
    stream.write(`GET ${urlPath} HTTP/1.0\r\nHost: pod\r\n\r\n`);
  });
}
