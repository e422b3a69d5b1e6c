import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { RuntimeError } from '../runtime';
import { ProcessRuntime } from './process-runtime';
import { busyboxTarball, containerConfig, sandboxConfig, testPodCidr, waitFor } from './testing';

const isRoot = process.getuid?.() === 0;
const logger = pino({ level: 'silent' });

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

function ipOut(args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8' });
}

(isRoot ? describe : describe.skip)('ProcessRuntime (as root, real processes, namespaces, cgroups)', function () {
  this.timeout(60_000);
  let root: string;
  let runtime: ProcessRuntime;
  const bridge = `bsn-t${process.pid % 100000}`;
  const podCIDR = testPodCidr();
  let logs: string;

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-proc-'));
    logs = path.join(root, 'logs');
    runtime = await ProcessRuntime.open({ rootDir: root, nodeName: `test-${process.pid}`, logger, bridgeName: bridge });
    await runtime.importImage('busybox:latest', busyboxTarball(), { cmd: ['sh'] });
    await runtime.updateRuntimeConfig({ podCIDR });
  });

  after(async () => {
    await runtime.destroyNode();
    await runtime.close();
    expect(ipOut(['link', 'show'])).not.to.include(bridge);
    expect(fs.existsSync(`/sys/fs/cgroup/memory/bosun/test-${process.pid}`)).to.equal(false);
    fs.rmSync(root, { recursive: true, force: true });
  });

  async function runContainer(podName: string, command: string[], extra: Parameters<typeof containerConfig>[2] = {}) {
    const sc = sandboxConfig(podName, path.join(logs, podName));
    const sandboxId = await runtime.runPodSandbox(sc);
    const id = await runtime.createContainer(sandboxId, containerConfig('main', command, extra), sc);
    await runtime.startContainer(id);
    return { sandboxId, id, sc };
  }

  const exited = (id: string) => waitFor(`container ${id} to exit`, async () => {
    const s = await runtime.containerStatus(id);
    return s.state === 'exited' ? s : undefined;
  });

  it('reports NetworkReady with the bridge once the podCIDR is set', async () => {
    const status = await runtime.status();
    expect(status.conditions.find((c) => c.type === 'NetworkReady')?.status).to.equal(true);
    expect(status.info).to.include({ podNetwork: 'bridge', bridge, podCIDR });
    expect(ipOut(['route', 'show', 'exact', '10.42.0.0/16'])).to.match(/unreachable/);
  });

  it('runs busybox sh: exit 3 and its output in the CRI log', async () => {
    const { id, sandboxId } = await runContainer('exit3', ['sh', '-c', 'echo hi; echo oops >&2; exit 3']);
    const status = await exited(id);
    expect(status).to.include({ exitCode: 3, reason: 'Error', podSandboxId: sandboxId });
    expect(status.startedAt).to.be.greaterThan(0);
    expect(status.finishedAt).to.be.at.least(status.startedAt);
    const lines = fs.readFileSync(status.logPath, 'utf8').trim().split('\n');
    expect(lines.map((l) => l.replace(/^\S+ /, ''))).to.have.members(['stdout F hi', 'stderr F oops']);
    expect(lines[0]).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z stdout F hi$/);
  });

  it('gives the container its own root, hostname, pid namespace, env and working directory', async () => {
    const { id } = await runContainer('iso', ['sh', '-c', 'echo "$$ $(hostname) $FOO $(pwd)"; ls /'], { envs: [{ key: 'FOO', value: 'bar' }], workingDir: '/tmp' });
    const status = await exited(id);
    expect(status.exitCode).to.equal(0);
    expect(status.reason).to.equal('Completed');
    const text = fs.readFileSync(status.logPath, 'utf8');
    expect(text).to.include('stdout F 1 iso bar /tmp');
    expect(text).to.include('stdout F bin');
    expect(text).not.to.include('stdout F home'); // the host's /
  });

  it('bind-mounts volumes, honouring read-only, single files too', async () => {
    const vol = path.join(root, 'vol');
    fs.mkdirSync(vol);
    fs.writeFileSync(path.join(vol, 'data'), 'from-host\n');
    const file = path.join(root, 'config.txt');
    fs.writeFileSync(file, 'config\n');
    const { id } = await runContainer('mounts', ['sh', '-c', 'cat /data/data /etc/cfg.txt; echo w > /data/new; echo x > /ro/x || echo ro-refused'], {
      mounts: [
        { hostPath: vol, containerPath: '/data', readonly: false },
        { hostPath: vol, containerPath: '/ro', readonly: true },
        { hostPath: file, containerPath: '/etc/cfg.txt', readonly: true, isFile: true },
      ],
    });
    const status = await exited(id);
    const text = fs.readFileSync(status.logPath, 'utf8');
    expect(text).to.include('stdout F from-host');
    expect(text).to.include('stdout F config');
    expect(text).to.include('stdout F ro-refused');
    expect(fs.readFileSync(path.join(vol, 'new'), 'utf8')).to.equal('w\n');
  });

  it('stops a container that handles SIGTERM within its grace, and SIGKILLs one that ignores it', async () => {
    const polite = await runContainer('polite', ['sh', '-c', 'trap "echo bye; exit 0" TERM; echo trapped; while :; do sleep 1; done']);
    const stubborn = await runContainer('stubborn', ['sleep', '1000']);
    const politeLog = (await runtime.containerStatus(polite.id)).logPath;
    await waitFor('the trap installed', () => fs.existsSync(politeLog) && fs.readFileSync(politeLog, 'utf8').includes('trapped'));
    await waitFor('sleep running', async () => (await runtime.containerStatus(stubborn.id)).state === 'running');
    const t0 = Date.now();
    await runtime.stopContainer(polite.id, 10);
    const s1 = await runtime.containerStatus(polite.id);
    expect(s1).to.include({ state: 'exited', exitCode: 0 });
    expect(Date.now() - t0).to.be.lessThan(5000);
    const t1 = Date.now();
    await runtime.stopContainer(stubborn.id, 1); // sleep as PID 1 ignores SIGTERM
    const s2 = await runtime.containerStatus(stubborn.id);
    expect(s2).to.include({ state: 'exited', exitCode: 137, reason: 'Error' });
    expect(Date.now() - t1).to.be.at.least(900);
    await runtime.stopContainer(stubborn.id, 1); // idempotent
  });

  it('reports OOMKilled when the memory limit kills the container', async () => {
    const { id } = await runContainer('oom', ['sh', '-c', 'x=aaaaaaaaaaaaaaaa; while :; do x="$x$x"; done'], {
      linux: { resources: { memoryLimitInBytes: 16 * 1024 * 1024 }, security: {} },
    });
    const status = await exited(id);
    expect(status).to.include({ exitCode: 137, reason: 'OOMKilled' });
  });

  it('gives each sandbox an address: two sandboxes ping each other; exec ls /', async () => {
    const a = await runContainer('ping-a', ['sleep', '1000']);
    const b = await runContainer('ping-b', ['sleep', '1000']);
    const ipA = (await runtime.podSandboxStatus(a.sandboxId)).network.ip;
    const ipB = (await runtime.podSandboxStatus(b.sandboxId)).network.ip;
    expect(ipA).to.match(/^10\.42\.\d+\.\d+$/);
    expect(ipB).not.to.equal(ipA);
    const ping = await runtime.execSync(a.id, ['ping', '-c', '1', '-W', '5', ipB], 10_000);
    expect(ping.exitCode, ping.stderr.toString()).to.equal(0);
    const ls = await runtime.execSync(b.id, ['ls', '/'], 5000);
    expect(ls.exitCode).to.equal(0);
    expect(ls.stdout.toString().split('\n')).to.include.members(['bin', 'etc', 'proc']);
    const ps = await runtime.execSync(b.id, ['sh', '-c', 'echo $$; hostname'], 5000);
    expect(ps.stdout.toString()).to.match(/^\d+\nping-b\n$/);
    const slow = await runtime.execSync(b.id, ['sleep', '100'], 200);
    expect(slow.timedOut).to.equal(true);
    await runtime.removePodSandbox(a.sandboxId);
    await runtime.removePodSandbox(b.sandboxId);
  });

  it('applies net.* sysctls in the pod network namespace, says which others it ignored', async () => {
    const sc = sandboxConfig('sysctl', path.join(logs, 'sysctl'), {
      linux: { hostNetwork: false, sysctls: { 'net.ipv4.ip_unprivileged_port_start': '80', 'kernel.shm_rmid_forced': '1' } },
    });
    const sandboxId = await runtime.runPodSandbox(sc);
    const id = await runtime.createContainer(sandboxId, containerConfig('c', ['sleep', '1000']), sc);
    await runtime.startContainer(id);
    const read = await runtime.execSync(id, ['cat', '/proc/sys/net/ipv4/ip_unprivileged_port_start'], 5000);
    expect(read.stdout.toString().trim()).to.equal('80');
    expect((await runtime.podSandboxStatus(sandboxId)).info).to.include({ ignoredSysctls: 'kernel.shm_rmid_forced' });
    expect(fs.readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim()).not.to.equal('80');
    await runtime.removePodSandbox(sandboxId);
  });

  it('a new runtime object on the same root sees running containers, which kept running', async () => {
    const { id, sandboxId } = await runContainer('survivor', ['sh', '-c', 'while :; do echo tick; sleep 0.2; done']);
    await waitFor('running', async () => (await runtime.containerStatus(id)).state === 'running');
    const again = await ProcessRuntime.open({ rootDir: root, nodeName: `test-${process.pid}`, logger, bridgeName: bridge });
    const listed = await again.listContainers({ podSandboxId: sandboxId });
    expect(listed.map((c) => [c.id, c.state])).to.deep.equal([[id, 'running']]);
    expect((await again.listPodSandboxes()).map((s) => s.id)).to.include(sandboxId);
    const size = fs.statSync(listed[0].logPath).size;
    await waitFor('more log lines', () => fs.statSync(listed[0].logPath).size > size);
    const stats = await again.containerStats(id);
    expect(stats!.cpuUsageCoreNanoSeconds).to.be.greaterThan(0);
    expect(stats!.memoryWorkingSetBytes).to.be.greaterThan(0);
    await again.close();
  });

  it('attach follows output and feeds stdin; port-forward reaches 127.0.0.1 in the pod', async () => {
    const { id, sandboxId } = await runContainer('echoer', ['sh', '-c', 'while read l; do echo "got $l"; done'], { stdin: true });
    const session = await runtime.attach(id, { stdin: true, stdout: true, stderr: true, tty: false });
    let out = '';
    session.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    session.stdin!.write('x\n');
    await waitFor('echo', () => out.includes('got x\n'));
    session.close();
    await session.exit;

    const web = await runContainer('web', ['sh', '-c', 'while :; do echo hello | nc -l -p 8080; done']);
    // Until nc listens, the relay's connection is refused: retry (no fixed sleep).
    const got = await waitFor('hello through port-forward', async () => {
      const conn = await runtime.portForward(web.sandboxId, 8080).catch(() => undefined);
      if (!conn) return undefined;
      const text = await new Promise<string>((resolve) => {
        let data = '';
        conn.on('data', (b: Buffer) => {
          data += b.toString();
          if (data.includes('\n')) conn.destroy();
        });
        conn.on('close', () => resolve(data));
        conn.on('error', () => resolve(data));
      });
      return text.includes('hello') ? text : undefined;
    });
    expect(got).to.equal('hello\n');
    expect(await rejection(runtime.portForward(sandboxId, 9))).to.be.instanceOf(RuntimeError);
  });

  it('runs a container on a terminal (tty), fed through attach; exec with a TTY', async () => {
    const { id } = await runContainer('term', ['sh', '-c', '[ -t 0 ] && [ -t 1 ] && echo on-a-tty; read l; echo "read $l"'], { tty: true, stdin: true });
    const session = await runtime.attach(id, { stdin: true, stdout: true, stderr: false, tty: true });
    let out = '';
    session.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    session.stdin!.write('line\n');
    const status = await exited(id);
    await session.exit;
    expect(status.exitCode).to.equal(0);
    const log = fs.readFileSync(status.logPath, 'utf8');
    expect(log).to.match(/ stdout F on-a-tty\r?$/m);
    expect(log).to.match(/ stdout F read line\r?$/m);

    const box = await runContainer('exec-tty', ['sleep', '1000']);
    const exec = await runtime.exec(box.id, ['sh', '-c', '[ -t 1 ] && echo tty-yes; echo err >&2'], { stdin: false, stdout: true, stderr: true, tty: true });
    let execOut = '';
    exec.stdout!.on('data', (b: Buffer) => (execOut += b.toString()));
    expect((await exec.exit).exitCode).to.equal(0);
    await waitFor('tty output', () => execOut.includes('err'));
    expect(execOut).to.include('tty-yes');
  });

  it('closes a stdinOnce container\'s stdin when the first attach ends', async () => {
    const { id } = await runContainer('once', ['sh', '-c', 'cat; echo eof-seen'], { stdin: true, stdinOnce: true });
    await waitFor('running', async () => (await runtime.containerStatus(id)).state === 'running');
    const session = await runtime.attach(id, { stdin: true, stdout: true, stderr: true, tty: false });
    let out = '';
    session.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    session.stdin!.write('first\n');
    await waitFor('echo', () => out.includes('first\n'));
    session.stdin!.end();
    const status = await exited(id);
    expect(status.exitCode).to.equal(0);
    expect(fs.readFileSync(status.logPath, 'utf8')).to.match(/ stdout F eof-seen$/m);
    session.close();
    await session.exit;
  });

  it('refuses unusable configs with InvalidConfig naming the field, and reports a failed start', async () => {
    const sc = sandboxConfig('bad', path.join(logs, 'bad'));
    const sandboxId = await runtime.runPodSandbox(sc);
    const missing = await rejection(
      runtime.createContainer(sandboxId, containerConfig('m', ['true'], { mounts: [{ hostPath: '/nonexistent/x', containerPath: '/x', readonly: false }] }), sc),
    );
    expect(missing).to.include({ code: 'InvalidConfig' });
    expect((missing as Error).message).to.include('mounts[/x].hostPath: "/nonexistent/x" does not exist');
    const absent = await rejection(runtime.createContainer(sandboxId, containerConfig('m', ['true'], { image: 'nothere:1' }), sc));
    expect(absent).to.include({ code: 'ImagePull' });
    const id = await runtime.createContainer(sandboxId, containerConfig('nocmd', ['/no/such/binary']), sc);
    const failed = await rejection(runtime.startContainer(id));
    expect(failed).to.include({ code: 'InvalidConfig' });
    expect((failed as Error).message).to.include('/no/such/binary').and.include('No such file or directory');
    const status = await runtime.containerStatus(id);
    expect(status).to.include({ state: 'exited', exitCode: 128, reason: 'StartError' });
    await runtime.removePodSandbox(sandboxId);
  });

  it('removing a sandbox leaves no netns, veth, cgroup or process behind', async () => {
    const { id, sandboxId } = await runContainer('cleanup', ['sleep', '1000'], { linux: { resources: { pidsLimit: 50, cpuShares: 512, cpuQuota: 50000, cpuPeriod: 100000 }, security: {} } });
    const pid = await waitFor('pid', () => {
      const text = fs.existsSync(path.join(root, 'containers', id, 'pid')) && fs.readFileSync(path.join(root, 'containers', id, 'pid'), 'utf8');
      return text ? Number(text.split(' ')[0]) : undefined;
    });
    const netns = `bosun-${sandboxId.slice(0, 12)}`;
    expect(ipOut(['netns', 'list'])).to.include(netns);
    const cgroupDir = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => /:memory:/.test(l) || l.startsWith('0::'))!.split(':')[2];
    expect(cgroupDir).to.include(id);
    await runtime.removePodSandbox(sandboxId);
    expect(ipOut(['netns', 'list'])).not.to.include(netns);
    expect(ipOut(['link', 'show'])).not.to.include(`vb${sandboxId.slice(0, 12)}`);
    expect(fs.existsSync(`/proc/${pid}`)).to.equal(false);
    expect(fs.existsSync(path.join('/sys/fs/cgroup/memory', cgroupDir))).to.equal(false);
    expect(await rejection(runtime.containerStatus(id))).to.have.property('code', 'NotFound');
    await runtime.removePodSandbox(sandboxId); // idempotent
  });

  it('a sandbox whose network namespace is gone (a restarted node container) is NotReady, takes no new container and is removed cleanly', async () => {
    const sc = sandboxConfig('netns-gone', path.join(logs, 'netns-gone'));
    const sandboxId = await runtime.runPodSandbox(sc);
    expect((await runtime.podSandboxStatus(sandboxId)).state).to.equal('ready');
    // What a node container's restart leaves: the name's file without the namespace mounted on it.
    const file = `/run/netns/bosun-${sandboxId.slice(0, 12)}`;
    execFileSync('umount', [file]);
    expect(fs.existsSync(file)).to.equal(true);
    expect((await runtime.podSandboxStatus(sandboxId)).state).to.equal('notready');
    expect((await runtime.listPodSandboxes({ state: 'ready' })).map((s) => s.id)).not.to.include(sandboxId);
    expect((await runtime.listPodSandboxes({ state: 'notready' })).map((s) => s.id)).to.include(sandboxId);
    const err = await rejection(runtime.createContainer(sandboxId, containerConfig('main', ['true']), sc));
    expect(err).to.have.property('code', 'InvalidConfig');
    await runtime.removePodSandbox(sandboxId);
    expect(fs.existsSync(file)).to.equal(false);
  });

  it('pullImage of an absent image fails naming it and the import command', async () => {
    try {
      await runtime.pullImage('nginx:1.25');
      expect.fail('pull should fail');
    } catch (err) {
      expect(err).to.be.instanceOf(RuntimeError);
      expect((err as RuntimeError).code).to.equal('ImagePull');
      expect((err as Error).message).to.include('"nginx:1.25"').and.include('bosun image import nginx:1.25 FILE');
    }
    expect(await runtime.pullImage('docker.io/library/busybox')).to.match(/^sha256:[0-9a-f]{64}$/);
  });
});
