import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { ProcessRuntime } from './process-runtime';
import { busyboxTarball, containerConfig, sandboxConfig, testPodCidr, waitFor } from './testing';

const isRoot = process.getuid?.() === 0;

(isRoot ? describe : describe.skip)('ProcessRuntime: two nodes on one machine (as root)', function () {
  this.timeout(60_000);
  let root: string;
  const nodes: ProcessRuntime[] = [];

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-proc-2n-'));
    const store = path.join(root, 'images'); // one image store shared by both nodes
    for (const [i, name] of ['node-a', 'node-b'].entries()) {
      const rt = await ProcessRuntime.open({ rootDir: path.join(root, name), nodeName: `${name}-${process.pid}`, logger: pino({ level: 'silent' }), imageStoreDir: store });
      await rt.updateRuntimeConfig({ podCIDR: testPodCidr(10 + i) });
      nodes.push(rt);
    }
    await nodes[0].importImage('busybox:latest', busyboxTarball());
  });

  after(async () => {
    for (const rt of nodes) {
      await rt.destroyNode();
      await rt.close();
    }
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('shares the image store, and pods on different nodes reach each other through the host', async () => {
    expect(await nodes[1].imageStatus('busybox')).not.to.equal(null);
    const pods: Array<{ rt: ProcessRuntime; id: string; ip: string }> = [];
    for (const [i, rt] of nodes.entries()) {
      const sc = sandboxConfig(`pod-${i}`, path.join(root, 'logs', `pod-${i}`));
      const sandboxId = await rt.runPodSandbox(sc);
      const id = await rt.createContainer(sandboxId, containerConfig('c', ['sleep', '1000']), sc);
      await rt.startContainer(id);
      pods.push({ rt, id, ip: (await rt.podSandboxStatus(sandboxId)).network.ip });
    }
    expect((await nodes[0].status()).info.bridge).not.to.equal((await nodes[1].status()).info.bridge);
    expect(pods[0].ip.split('.')[2]).not.to.equal(pods[1].ip.split('.')[2]);
    const ping = await waitFor('a ping across nodes', async () => {
      const r = await pods[0].rt.execSync(pods[0].id, ['ping', '-c', '1', '-W', '2', pods[1].ip], 5000);
      return r.exitCode === 0 ? r : undefined;
    });
    expect(ping.stdout.toString()).to.include(`from ${pods[1].ip}`);
  });
});
