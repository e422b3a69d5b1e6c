import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { ProcessRuntime } from './process-runtime';
import { busyboxTarball, containerConfig, sandboxConfig, waitFor } from './testing';

describe('ProcessRuntime without root (unprivileged mode, real processes)', function () {
  this.timeout(60_000);
  let root: string;
  let runtime: ProcessRuntime;

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-proc-unpriv-'));
    runtime = await ProcessRuntime.open({ rootDir: root, nodeName: 'unpriv', logger: pino({ level: 'silent' }), unprivileged: true });
    await runtime.importImage('busybox:latest', busyboxTarball());
  });

  after(async () => {
    await runtime.destroyNode();
    await runtime.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('refuses unusable options naming them', async () => {
    const base = { rootDir: root, nodeName: 'x', logger: pino({ level: 'silent' }) };
    for (const [opts, text] of [
      [{ ...base, rootDir: 'relative' }, 'rootDir: must be an absolute path'],
      [{ ...base, nodeName: '' }, 'nodeName: must not be empty'],
      [{ ...base, bridgeName: 'a-bridge-name-too-long' }, 'bridgeName: must be 1..15'],
    ] as const) {
      const err = await ProcessRuntime.open(opts).then(() => undefined, (e: Error) => e);
      expect(err?.message).to.include(text);
    }
  });

  it('says pods share the host network, for the Node conditions', async () => {
    await runtime.updateRuntimeConfig({ podCIDR: '10.42.250.0/24' }); // accepted, nothing to set up
    const status = await runtime.status();
    const network = status.conditions.find((c) => c.type === 'NetworkReady')!;
    expect(network).to.include({ status: false, reason: 'NoPodNetworkWithoutRoot' });
    expect(network.message).to.include('host network');
    expect(status.info).to.include({ podNetwork: 'host', isolation: 'none', cgroups: 'none' });
    expect(status.conditions.find((c) => c.type === 'RuntimeReady')!.status).to.equal(true);
  });

  it('runs the image command as a host process in the image directory, with the CRI log and exit code', async () => {
    const sc = sandboxConfig('plain', path.join(root, 'logs'));
    const sandboxId = await runtime.runPodSandbox(sc);
    expect((await runtime.podSandboxStatus(sandboxId)).network.ip).to.equal('');
    const id = await runtime.createContainer(sandboxId, containerConfig('c', ['sh', '-c', 'echo "$GREETING"; pwd; exit 4'], { envs: [{ key: 'GREETING', value: 'hi' }] }), sc);
    await runtime.startContainer(id);
    const status = await waitFor('exit', async () => {
      const s = await runtime.containerStatus(id);
      return s.state === 'exited' ? s : undefined;
    });
    expect(status).to.include({ exitCode: 4, reason: 'Error' });
    const lines = fs.readFileSync(status.logPath, 'utf8').trim().split('\n').map((l) => l.replace(/^\S+ /, ''));
    expect(lines[0]).to.equal('stdout F hi');
    expect(lines[1]).to.match(/^stdout F \/.*\/rootfs$/);
    expect(await runtime.containerStats(id)).to.equal(null);
  });
});
