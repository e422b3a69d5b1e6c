import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FakeClock, flushPromises } from '../../../lib/client/fake-clock';
import { FakeRuntime } from './fake-runtime';
import { RuntimeError, type ContainerConfig, type PodSandboxConfig } from './runtime';

function sandboxConfig(dir: string, annotations: Record<string, string> = {}): PodSandboxConfig {
  return {
    metadata: { name: 'p', namespace: 'default', uid: 'uid-1', attempt: 0 },
    hostname: 'p',
    logDirectory: path.join(dir, 'logs'),
    portMappings: [],
    labels: { 'io.kubernetes.pod.uid': 'uid-1' },
    annotations,
    linux: { hostNetwork: false },
  };
}

function containerConfig(name: string, command: string[], mounts: ContainerConfig['mounts'] = []): ContainerConfig {
  return { metadata: { name, attempt: 0 }, image: 'busybox:1.36', command, args: [], envs: [], mounts, labels: { 'io.kubernetes.container.name': name }, annotations: {}, logPath: `${name}/0.log`, stdin: false, stdinOnce: false, tty: false, linux: { resources: {}, security: {} } };
}

describe('FakeRuntime', () => {
  let dir: string;
  let clock: FakeClock;
  let rt: FakeRuntime;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-fake-rt-'));
    clock = new FakeClock();
    rt = new FakeRuntime({ rootDir: dir, clock });
  });

  afterEach(async () => {
    await rt.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function run(command: string[], annotations: Record<string, string> = {}, mounts: ContainerConfig['mounts'] = []) {
    const sc = sandboxConfig(dir, annotations);
    const sb = await rt.runPodSandbox(sc);
    const id = await rt.createContainer(sb, containerConfig('c', command, mounts), sc);
    await rt.startContainer(id);
    return { sb, id };
  }

  it('gives sandboxes addresses from the podCIDR (host network before one is set)', async () => {
    const before = await rt.runPodSandbox(sandboxConfig(dir));
    expect((await rt.podSandboxStatus(before)).network.ip).to.equal('');
    await rt.updateRuntimeConfig({ podCIDR: '10.42.200.0/24' });
    const a = await rt.runPodSandbox(sandboxConfig(dir));
    const b = await rt.runPodSandbox(sandboxConfig(dir));
    expect((await rt.podSandboxStatus(a)).network.ip).to.equal('10.42.200.2');
    expect((await rt.podSandboxStatus(b)).network.ip).to.equal('10.42.200.3');
    await rt.updateRuntimeConfig({ podCIDR: 'nonsense' }).then(
      () => expect.fail('accepted a bad CIDR'),
      (err: RuntimeError) => expect(err.message).to.include('podCIDR'),
    );
  });

  it('runs builtin commands as main processes: exit codes, CRI log lines', async () => {
    const { id } = await run(['echo', 'hello world']);
    await clock.advance(0);
    const st = await rt.containerStatus(id);
    expect(st).to.include({ state: 'exited', exitCode: 0, reason: 'Completed' });
    expect(fs.readFileSync(st.logPath, 'utf8')).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z stdout F hello world\n$/);
    const failing = await run(['sh', '-c', 'exit 7']);
    await clock.advance(0);
    expect(await rt.containerStatus(failing.id)).to.include({ state: 'exited', exitCode: 7, reason: 'Error' });
  });

  it('keeps `sleep N` and unknown programs running; scripted exits follow the simulated-kubelet annotations', async () => {
    const sleeper = await run(['sleep', '5']);
    const server = await run(['nginx']);
    const scripted = await run([], { 'bosun.dev/simulated-exit-code': '3', 'bosun.dev/simulated-run-ms': '1000' });
    await clock.advance(999);
    expect((await rt.containerStatus(scripted.id)).state).to.equal('running');
    await clock.advance(1);
    expect(await rt.containerStatus(scripted.id)).to.include({ state: 'exited', exitCode: 3 });
    await clock.advance(4_000);
    expect(await rt.containerStatus(sleeper.id)).to.include({ state: 'exited', exitCode: 0 });
    expect((await rt.containerStatus(server.id)).state).to.equal('running');
  });

  it('answers execSync from the builtin commands, cat through the mounts', async () => {
    const file = path.join(dir, 'data.txt');
    fs.writeFileSync(file, 'contents');
    const { id } = await run(['sleep', '100'], {}, [{ containerPath: '/etc/data', hostPath: dir, readonly: true }]);
    expect((await rt.execSync(id, ['true'], 1000)).exitCode).to.equal(0);
    expect((await rt.execSync(id, ['false'], 1000)).exitCode).to.equal(1);
    expect((await rt.execSync(id, ['sh', '-c', 'exit 4'], 1000)).exitCode).to.equal(4);
    expect((await rt.execSync(id, ['echo', 'a', 'b'], 1000)).stdout.toString()).to.equal('a b\n');
    expect((await rt.execSync(id, ['cat', '/etc/data/data.txt'], 1000)).stdout.toString()).to.equal('contents');
    expect((await rt.execSync(id, ['cat', '/nope'], 1000)).exitCode).to.equal(1);
    expect((await rt.execSync(id, ['curl', 'x'], 1000)).exitCode).to.equal(127);
  });

  it('stops with 143 (grace) or 137 (at once), emits events, and fails pulls of unpullable images and injected calls', async () => {
    const events: string[] = [];
    rt.onContainerEvent((e) => events.push(e.type));
    const a = await run(['sleep', '100']);
    const b = await run(['sleep', '100']);
    await rt.stopContainer(a.id, 30);
    await rt.stopContainer(b.id, 0);
    expect((await rt.containerStatus(a.id)).exitCode).to.equal(143);
    expect((await rt.containerStatus(b.id)).exitCode).to.equal(137);
    expect(events).to.include.members(['created', 'started', 'stopped']);
    await rt.pullImage('example.com/doesnotexist:1').then(
      () => expect.fail('pulled'),
      (err: RuntimeError) => expect(err.code).to.equal('ImagePull'),
    );
    rt.failNext('runPodSandbox', new RuntimeError('SandboxFailed', 'no network'));
    await rt.runPodSandbox(sandboxConfig(dir)).then(
      () => expect.fail('ran'),
      (err: RuntimeError) => expect(err.code).to.equal('SandboxFailed'),
    );
  });

  it('keeps its state for a new FakeRuntime on the same folder (running containers stay running)', async () => {
    await rt.updateRuntimeConfig({ podCIDR: '10.42.201.0/24' });
    const { sb, id } = await run(['sleep', '100']);
    const done = await run(['true']);
    await clock.advance(0);
    await flushPromises();
    await rt.close();
    rt = new FakeRuntime({ rootDir: dir, clock });
    expect((await rt.containerStatus(id)).state).to.equal('running');
    expect((await rt.containerStatus(done.id)).state).to.equal('exited');
    expect((await rt.podSandboxStatus(sb)).network.ip).to.match(/^10\.42\.201\./);
    await clock.advance(100_000);
    expect((await rt.containerStatus(id)).state).to.equal('exited');
  });
});
