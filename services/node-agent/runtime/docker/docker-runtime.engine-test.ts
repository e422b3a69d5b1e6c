/**
 * The docker runtime against the real engine (run in npm test's docker phase; skips with a
 * message when no engine answers). Every container, network and route a test makes is removed
 * by its node label / name at the end.
 */
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import type Dockerode from 'dockerode';
import { createLogger } from '../../../../lib/logger';
import { ContainerEvent, RuntimeError } from '../runtime';
import { runningShipperPid, stopDetachedLogShipper } from './detached-log-shipper';
import { importImageFile } from './docker-images';
import { DockerRuntime } from './docker-runtime';
import { ensureTestBusybox } from './testing/busybox-fixture';
import {
  containerConfig,
  engineOrNull,
  guardClusterRange,
  removeTestNode,
  sandboxConfig,
  tempDir,
  testNodeName,
  waitFor,
} from './testing/engine-harness';

/** Test-owned pod ranges inside the cluster range. */
const POD_CIDR_A = '10.42.200.0/24';
const POD_CIDR_B = '10.42.201.0/24';
const HTTPD_PORT = 8080;
const MIB = 1024 * 1024;

const logger = createLogger('docker-runtime-test', process.env.BOSUN_TEST_LOG_LEVEL === 'debug' ? 'debug' : 'silent');

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    let s = '';
    stream.on('data', (c: Buffer) => (s += c.toString()));
    stream.on('end', () => resolve(s));
  });
}

describe('docker runtime (real engine)', function () {
  this.timeout(120_000);
  let docker: Dockerode;
  let image: string;
  let logRoot: string;
  let unguard: () => Promise<void> = async () => undefined;
  const nodeA = testNodeName('a');
  const nodeB = testNodeName('b');
  const nodeC = testNodeName('c');
  let rtA: DockerRuntime;
  let rtB: DockerRuntime;

  before(async function () {
    const engine = await engineOrNull();
    if (!engine) {
      console.log('    docker engine not reachable at /var/run/docker.sock: skipping (start it with scripts/docker/ensure-docker.sh)');
      this.skip();
    }
    docker = engine!;
    image = await ensureTestBusybox(docker);
    logRoot = tempDir();
    unguard = await guardClusterRange();
    rtA = await DockerRuntime.open({ docker, nodeName: nodeA, rootDir: logRoot, logger, sandboxImage: image, logShipper: 'in-process' });
    rtB = await DockerRuntime.open({ docker, nodeName: nodeB, rootDir: logRoot, logger, sandboxImage: image, logShipper: 'in-process' });
    await rtA.updateRuntimeConfig({ podCIDR: POD_CIDR_A });
    await rtB.updateRuntimeConfig({ podCIDR: POD_CIDR_B });
  });

  after(async function () {
    if (!docker) return;
    await rtA?.close();
    await rtB?.close();
    await stopDetachedLogShipper(logRoot, nodeC);
    await removeTestNode(docker, nodeA);
    await removeTestNode(docker, nodeB);
    await removeTestNode(docker, nodeC);
    await unguard();
    if (logRoot) fs.rmSync(logRoot, { recursive: true, force: true });
  });

  async function runPod(rt: DockerRuntime, name: string, command: string[], extra: Parameters<typeof containerConfig>[3] = {}) {
    const sb = sandboxConfig(name, logRoot);
    const sandboxId = await rt.runPodSandbox(sb);
    const cfg = containerConfig('main', image, command, extra);
    const id = await rt.createContainer(sandboxId, cfg, sb);
    await rt.startContainer(id);
    return { sandboxId, id, sb, logFile: path.join(sb.logDirectory, cfg.logPath) };
  }

  it('reports version and a ready status with the pod network', async () => {
    expect((await rtA.version()).runtimeName).to.equal('docker');
    const st = await rtA.status();
    expect(st.conditions.every((c) => c.status)).to.equal(true);
    expect(st.info.podCIDR).to.equal(POD_CIDR_A);
  });

  it('runs a container to its exit code and copies stdout/stderr into the CRI log', async () => {
    const events: ContainerEvent[] = [];
    const off = rtA.onContainerEvent((e) => events.push(e));
    const { id, sandboxId, logFile } = await runPod(rtA, 'exit3', ['sh', '-c', 'echo hello; echo oops >&2; printf partial; exit 3']);
    const st = await waitFor('container exit', async () => {
      const s = await rtA.containerStatus(id);
      return s.state === 'exited' && s;
    });
    expect(st.exitCode).to.equal(3);
    expect(st.reason).to.equal('Error');
    expect(st.podSandboxId).to.equal(sandboxId);
    expect(st.startedAt).to.be.greaterThan(0);
    expect(st.finishedAt).to.be.at.least(st.startedAt);
    expect(st.logPath).to.equal(logFile);
    expect(st.annotations['io.kubernetes.container.restartCount']).to.equal('0');
    await rtA.logsFlushed(id);
    const lines = await waitFor('three log lines', async () => {
      const l = fs.readFileSync(logFile, 'utf8').split('\n').filter(Boolean);
      return l.length >= 3 && l;
    });
    for (const l of lines) expect(l).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (stdout|stderr) [FP] \S+$/);
    expect(lines.map((l) => l.split(' ').slice(1).join(' '))).to.have.members(['stdout F hello', 'stderr F oops', 'stdout P partial']);
    await waitFor('started and stopped events', async () => events.some((e) => e.containerId === id && e.type === 'stopped'));
    expect(events.find((e) => e.containerId === id && e.type === 'started')?.podSandboxId).to.equal(sandboxId);
    off();
  });

  it('stops with a grace period: SIGTERM first, SIGKILL (137) when it is ignored', async () => {
    const polite = await runPod(rtA, 'polite', ['sh', '-c', 'trap "echo bye; exit 0" TERM; echo up; while :; do sleep 1 & wait $!; done']);
    const stubborn = await runPod(rtA, 'stubborn', ['sh', '-c', 'trap "" TERM; echo up; while :; do sleep 1; done']);
    await waitFor('both up', async () => fs.readFileSync(polite.logFile, 'utf8').includes('up') && fs.readFileSync(stubborn.logFile, 'utf8').includes('up'));
    const t0 = Date.now();
    await rtA.stopContainer(polite.id, 30);
    expect(Date.now() - t0).to.be.lessThan(10_000);
    const p = await rtA.containerStatus(polite.id);
    expect([p.state, p.exitCode, p.reason]).to.deep.equal(['exited', 0, 'Completed']);
    const t1 = Date.now();
    await rtA.stopContainer(stubborn.id, 1);
    const s = await rtA.containerStatus(stubborn.id);
    expect([s.state, s.exitCode]).to.deep.equal(['exited', 137]);
    expect(Date.now() - t1).to.be.at.least(900);
    await rtA.logsFlushed(polite.id);
    expect(fs.readFileSync(polite.logFile, 'utf8')).to.match(/stdout F bye/);
    await rtA.stopContainer(stubborn.id, 1); // idempotent
  });

  it('reports OOMKilled when the memory limit is exceeded', async () => {
    const { id } = await runPod(rtA, 'oom', ['sh', '-c', 'tail /dev/zero'], {
      linux: { resources: { memoryLimitInBytes: 16 * MIB }, security: {} },
    });
    const st = await waitFor('OOM kill', async () => {
      const s = await rtA.containerStatus(id);
      return s.state === 'exited' && s;
    });
    expect([st.reason, st.exitCode]).to.deep.equal(['OOMKilled', 137]);
  });

  it('gives sandboxes addresses from the podCIDR that reach each other across two nodes', async () => {
    const server = await runPod(rtB, 'web', ['sh', '-c', `mkdir -p /www && echo hi-from-b > /www/index.html && exec httpd -f -p ${HTTPD_PORT} -h /www`]);
    const client = await runPod(rtA, 'client', ['sleep', '3600']);
    const ipB = (await rtB.podSandboxStatus(server.sandboxId)).network.ip;
    const ipA = (await rtA.podSandboxStatus(client.sandboxId)).network.ip;
    expect(ipB.startsWith('10.42.201.')).to.equal(true, ipB);
    expect(ipA.startsWith('10.42.200.')).to.equal(true, ipA);
    const got = await waitFor('http from pod A to pod B', async () => {
      const r = await rtA.execSync(client.id, ['wget', '-qO-', `http://${ipB}:${HTTPD_PORT}/`], 5_000);
      return r.exitCode === 0 && r.stdout.toString();
    });
    expect(got.trim()).to.equal('hi-from-b');
  });

  it('execs `ls /` (sync and streamed) and attaches to a container\'s stdio', async () => {
    const { id } = await runPod(rtA, 'shell', ['sh', '-c', 'while read l; do echo "got:$l"; done'], { stdin: true });
    const r = await rtA.execSync(id, ['ls', '/'], 5_000);
    expect(r.exitCode).to.equal(0);
    expect(r.stdout.toString().split('\n')).to.include.members(['bin', 'etc', 'proc']);
    const failing = await rtA.execSync(id, ['sh', '-c', 'echo err >&2; exit 7'], 5_000);
    expect([failing.exitCode, failing.stderr.toString()]).to.deep.equal([7, 'err\n']);
    const slow = await rtA.execSync(id, ['sleep', '30'], 300);
    expect(slow.timedOut).to.equal(true);

    const ex = await rtA.exec(id, ['cat'], { stdin: true, stdout: true, stderr: true, tty: false });
    const out = readAll(ex.stdout!);
    ex.stdin!.end('echoed\n');
    expect(await out).to.equal('echoed\n');
    expect((await ex.exit).exitCode).to.equal(0);

    const at = await rtA.attach(id, { stdin: true, stdout: true, stderr: true, tty: false });
    let seen = '';
    at.stdout!.on('data', (c: Buffer) => (seen += c.toString()));
    at.stdin!.write('ping\n');
    await waitFor('attach echo', async () => seen.includes('got:ping'));
    at.close();
    expect((await at.exit).exitCode).to.equal(-1);
    expect((await rtA.containerStatus(id)).state).to.equal('running');
  });

  it('port-forwards to busybox httpd inside the pod', async () => {
    const { sandboxId } = await runPod(rtA, 'pf', ['sh', '-c', `mkdir -p /www && echo forwarded > /www/index.html && exec httpd -f -p 127.0.0.1:${HTTPD_PORT} -h /www`]);
    const body = await waitFor('port-forward answer', async () => {
      const s: Duplex = await rtA.portForward(sandboxId, HTTPD_PORT);
      const text = readAll(s);
      s.end(`GET / HTTP/1.0\r\nHost: x\r\n\r\n`);
      const t = await text;
      return t.includes('forwarded') && t;
    });
    expect(body).to.match(/^HTTP\/1\.[01] 200/);
  });

  it('reports stats for a running container', async () => {
    const { id } = await runPod(rtA, 'stats', ['sleep', '3600']);
    const s = await waitFor('stats', async () => rtA.containerStats(id));
    expect(s!.memoryWorkingSetBytes).to.be.greaterThan(0);
    expect(s!.cpuUsageCoreNanoSeconds).to.be.greaterThan(0);
    expect((await rtA.listContainerStats()).map((x) => x.id)).to.include(id);
  });

  it('lists the same sandboxes and containers from a new runtime object, and removes them', async () => {
    const { sandboxId, id, logFile } = await runPod(rtA, 'survivor', ['sleep', '3600']);
    const again = await DockerRuntime.open({ docker, nodeName: nodeA, rootDir: logRoot, logger, sandboxImage: image, logShipper: 'external' });
    try {
      const sb = (await again.listPodSandboxes({ state: 'ready' })).find((s) => s.id === sandboxId);
      expect(sb?.metadata.name).to.equal('survivor');
      expect(sb?.annotations['test/annotation']).to.equal('value-of-survivor');
      expect(sb?.labels['io.kubernetes.pod.uid']).to.equal('uid-survivor');
      const cs = await again.listContainers({ podSandboxId: sandboxId });
      expect(cs.map((c) => [c.id, c.state, c.metadata.name])).to.deep.equal([[id, 'running', 'main']]);
      expect((await again.status()).info.podCIDR).to.equal(POD_CIDR_A);
      // Another node's runtime sees none of it.
      expect((await rtB.listPodSandboxes()).map((s) => s.id)).not.to.include(sandboxId);
      await again.stopPodSandbox(sandboxId);
      expect((await again.containerStatus(id)).state).to.equal('exited');
      expect((await again.podSandboxStatus(sandboxId)).state).to.equal('notready');
      await again.removePodSandbox(sandboxId);
      await again.removePodSandbox(sandboxId); // idempotent
      expect(fs.existsSync(logFile)).to.equal(false);
      const err = await again.containerStatus(id).catch((e) => e);
      expect(err).to.be.instanceOf(RuntimeError);
      expect((err as RuntimeError).code).to.equal('NotFound');
    } finally {
      await again.close();
    }
  });

  it('keeps copying output into the CRI log while no runtime object (agent) exists, through the detached shipper', async () => {
    const rtC = await DockerRuntime.open({ docker, nodeName: nodeC, rootDir: logRoot, logger, sandboxImage: image });
    const { logFile } = await runPod(rtC, 'unattended', ['sh', '-c', 'echo before; until [ -s /tmp/go ]; do sleep 0.1; done; echo "after $(cat /tmp/go)"; sleep 3600']).catch(async (e) => {
      await rtC.close();
      throw e;
    });
    const shipperPid = runningShipperPid(logRoot, nodeC);
    expect(shipperPid).to.be.a('number');
    await waitFor('the first line', async () => fs.readFileSync(logFile, 'utf8').includes('stdout F before'));
    const [c] = await rtC.listContainers({ labelSelector: { 'io.kubernetes.container.name': 'main' } });
    await rtC.close(); // the agent is gone from here on
    await docker.getContainer(c.id).exec({ Cmd: ['sh', '-c', 'echo unattended > /tmp/go'] }).then((e) => e.start({}));
    await waitFor('the line written with no agent', async () => fs.readFileSync(logFile, 'utf8').includes('stdout F after unattended'));
    expect(runningShipperPid(logRoot, nodeC)).to.equal(shipperPid);
    // A runtime opened again finds the running shipper instead of starting a second one.
    const again = await DockerRuntime.open({ docker, nodeName: nodeC, rootDir: logRoot, logger, sandboxImage: image });
    expect(runningShipperPid(logRoot, nodeC)).to.equal(shipperPid);
    await again.close();
  });

  it('gives app containers the sandbox\'s hostname and resolv.conf, on the pod network and on the host network', async () => {
    const dnsConfig = { servers: ['10.43.0.10'], searches: ['default.svc.cluster.local', 'cluster.local'], options: ['ndots:5'] };
    const script = ['sh', '-c', 'hostname; cat /etc/resolv.conf'];
    for (const hostNetwork of [false, true]) {
      const name = hostNetwork ? 'dns-host' : 'dns-pod';
      const sb = sandboxConfig(name, logRoot, { dnsConfig, linux: { hostNetwork } });
      const sandboxId = await rtA.runPodSandbox(sb);
      const ip = (await rtA.podSandboxStatus(sandboxId)).network.ip;
      if (hostNetwork) expect(ip).to.equal('');
      else expect(ip.startsWith('10.42.200.'), ip).to.equal(true);
      const id = await rtA.createContainer(sandboxId, containerConfig('main', image, script), sb);
      await rtA.startContainer(id);
      await waitFor('exit', async () => (await rtA.containerStatus(id)).state === 'exited');
      await rtA.logsFlushed(id);
      const log = fs.readFileSync((await rtA.containerStatus(id)).logPath, 'utf8');
      expect(log, `${name}: ${log}`).to.include('stdout F nameserver 10.43.0.10');
      expect(log).to.match(/stdout F search default\.svc\.cluster\.local cluster\.local/);
      expect(log).to.include('stdout F options ndots:5');
      if (!hostNetwork) expect(log).to.include(`stdout F ${name}`);
    }
  });

  it('imports a rootfs tarball and loads a `docker save` archive (the offline image loader)', async () => {
    const saved = path.join(logRoot, 'saved.tar');
    const rootfs = path.join(logRoot, 'rootfs.tar');
    const toFile = async (stream: NodeJS.ReadableStream, file: string) =>
      new Promise<void>((resolve, reject) => stream.pipe(fs.createWriteStream(file)).on('finish', resolve).on('error', reject));
    await toFile(await docker.getImage(image).get(), saved);
    const scratch = await docker.createContainer({ Image: image, name: `${nodeA}-export`, Labels: { 'bosun.docker.node': nodeA } });
    await toFile(await scratch.export(), rootfs);
    await scratch.remove();
    const refs = [`bosun-test/loaded-${process.pid}:1`, `bosun-test/imported-${process.pid}:1`];
    try {
      const loadedId = await importImageFile(docker, saved, refs[0]);
      expect(loadedId).to.equal((await rtA.imageStatus(image))!.id);
      const importedId = await importImageFile(docker, rootfs, refs[1], ['CMD ["sh"]']);
      expect((await rtA.imageStatus(refs[1]))!.id).to.equal(importedId);
      const bad = await importImageFile(docker, path.join(logRoot, 'missing.tar'), 'x:1').catch((e) => e);
      expect((bad as RuntimeError).code).to.equal('ImagePull');
      expect((bad as Error).message).to.include('missing.tar');
    } finally {
      for (const r of refs) await rtA.removeImage(r);
    }
    expect(await rtA.imageStatus(refs[1])).to.equal(null);
  });

  it('maps an unreachable registry to ImagePull with the engine\'s message', async () => {
    const err = await rtA.pullImage('127.0.0.1:9/bosun-no-such/image:1').catch((e) => e);
    expect(err).to.be.instanceOf(RuntimeError);
    expect((err as RuntimeError).code).to.equal('ImagePull');
    expect((err as Error).message).to.include('127.0.0.1:9/bosun-no-such/image:1');
    expect(await rtA.imageStatus(image)).to.not.equal(null);
    expect(await rtA.pullImage(image)).to.match(/^sha256:/);
  });

  it('refuses a bad container config with InvalidConfig naming the field', async () => {
    const sb = sandboxConfig('badcfg', logRoot);
    const sandboxId = await rtA.runPodSandbox(sb);
    const bad = containerConfig('main', image, ['true'], { mounts: [{ containerPath: 'relative', hostPath: '/tmp', readonly: true }] });
    const err = await rtA.createContainer(sandboxId, bad, sb).catch((e) => e);
    expect((err as RuntimeError).code).to.equal('InvalidConfig');
    expect((err as Error).message).to.include('mounts[0].containerPath');
  });
});
