import { expect } from 'chai';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { startUp } from '../support/bosun-up';

const run = promisify(execFile);

describe('bosun up (what `npm start` runs)', function () {
  this.timeout(90_000);
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-up-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('brings up a 3-member store and two apiservers, shows progress and the leader, works with etcdctl, and stops cleanly on Ctrl-C', async () => {
    const up = startUp(['--dir', dir, '--ports', 'free']);
    try {
      const out = await up.waitFor(/Press Ctrl-C/, 60_000);
      expect(out).to.match(/store-1: starting \(client http:\/\/127\.0\.0\.1:\d+/);
      expect(out).to.match(/store-3 is up on/);
      expect(out).to.match(/leader elected: store-\d/);
      expect(out).to.match(/apiserver-1: serving the API on https:\/\/127\.0\.0\.1:\d+ and 127\.0\.0\.1:\d+ \(gRPC\)/);
      expect(out).to.match(/apiserver-2: serving the API on https:\/\/127\.0\.0\.1:\d+/);
      expect(out).to.match(/export KUBECONFIG=\S+kubeconfig/);
      const endpoints = /ETCDCTL_ENDPOINTS=(\S+)/.exec(out)?.[1];
      expect(endpoints, out).to.be.a('string');
      const env = { ...process.env, ETCDCTL_API: '3', ETCDCTL_ENDPOINTS: endpoints! };
      expect((await run('etcdctl', ['put', 'greeting', 'hello'], { env })).stdout.trim()).to.equal('OK');
      expect((await run('etcdctl', ['get', 'greeting', '--print-value-only'], { env })).stdout.trim()).to.equal('hello');
      up.child.kill('SIGINT');
      expect(await up.exited).to.equal(0);
      expect(up.output()).to.match(/Stopped\./);
    } finally {
      up.killAll();
    }
  });

  it('fails with a clear message naming the member, its port and its log file when a member cannot start', async () => {
    // store-2's data directory is a plain file: that member cannot open its raft log.
    fs.writeFileSync(path.join(dir, 'store-2'), 'not a directory');
    const up = startUp(['--dir', dir, '--ports', 'free']);
    try {
      const code = await up.exited;
      expect(code).to.equal(1);
      const out = up.output();
      expect(out).to.match(/did not come up: store member store-2 \(client port \d+, peer port \d+\) exited with code 1; see \S+store-2\.log/);
    } finally {
      up.killAll();
    }
  });
});
