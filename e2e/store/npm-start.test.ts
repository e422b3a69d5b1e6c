import { expect } from 'chai';
import { ChildProcess, execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { BOSUN_BIN } from '../../lib/launcher/store-cluster';

const run = promisify(execFile);

/** Runs `bosun up` and collects its stdout; resolves when `until` matches. */
function startUp(args: string[]): { child: ChildProcess; output: () => string; waitFor: (re: RegExp, ms: number) => Promise<string>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BOSUN_BIN, 'up', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = async (re: RegExp, ms: number) => {
    const deadline = Date.now() + ms;
    while (!re.test(out)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`did not see ${re} in:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return out;
  };
  return { child, output: () => out, waitFor, exited };
}

describe('bosun up (what `npm start` runs)', function () {
  this.timeout(90_000);
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-up-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('brings up a 3-member store, shows progress and the leader, works with etcdctl, and stops cleanly on Ctrl-C', async () => {
    const up = startUp(['--dir', dir, '--ports', 'free']);
    try {
      const out = await up.waitFor(/Press Ctrl-C/, 60_000);
      expect(out).to.match(/store-1: starting \(client http:\/\/127\.0\.0\.1:\d+/);
      expect(out).to.match(/store-3 is up on/);
      expect(out).to.match(/leader elected: store-\d/);
      const endpoints = /ETCDCTL_ENDPOINTS=(\S+)/.exec(out)?.[1];
      expect(endpoints, out).to.be.a('string');
      const env = { ...process.env, ETCDCTL_API: '3', ETCDCTL_ENDPOINTS: endpoints! };
      expect((await run('etcdctl', ['put', 'greeting', 'hello'], { env })).stdout.trim()).to.equal('OK');
      expect((await run('etcdctl', ['get', 'greeting', '--print-value-only'], { env })).stdout.trim()).to.equal('hello');
      up.child.kill('SIGINT');
      expect(await up.exited).to.equal(0);
      expect(up.output()).to.match(/Stopped\./);
    } finally {
      up.child.kill('SIGKILL');
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
      up.child.kill('SIGKILL');
    }
  });
});
