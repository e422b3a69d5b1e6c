import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { LocalProcess } from './local-process';
import { RESTART_BACKOFF_MAX_MS, Supervisor } from './supervisor';

/** A stand-in for a launched process: exits when told, counts its starts. */
function stubProcess(name: string): LocalProcess & { starts: number; crash(): void } {
  const p = {
    name,
    logFile: `/tmp/${name}.log`,
    exitInfo: undefined as { code: number | null; signal: NodeJS.Signals | null } | undefined,
    pid: 1,
    starts: 0,
    start() {
      p.starts++;
      p.exitInfo = undefined;
    },
    crash() {
      p.exitInfo = { code: null, signal: 'SIGKILL' };
    },
  };
  return p as unknown as LocalProcess & { starts: number; crash(): void };
}

describe('Supervisor (bosun up restarts what dies)', function () {
  this.timeout(10_000);
  it('backs off 1 s, 2 s, 4 s … up to 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => Supervisor.backoffMs(n))).to.deep.equal([1000, 2000, 4000, 8000, 16000, RESTART_BACKOFF_MAX_MS, RESTART_BACKOFF_MAX_MS]);
  });

  it('restarts a process that exited on its own after the backoff and says so; not after stop()', async () => {
    const lines: string[] = [];
    const sup = new Supervisor((l) => lines.push(l));
    const p = stubProcess('scheduler-1');
    sup.watch(p);
    p.crash();
    const deadline = Date.now() + 3_000;
    while (p.starts === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(p.starts).to.equal(1);
    expect(lines[0]).to.equal('  scheduler-1 exited (SIGKILL); restarting in 1 s (restart 1); see /tmp/scheduler-1.log');
    expect(lines[1]).to.equal('  scheduler-1: restarted (pid 1)');
    sup.stop();
    p.crash();
    await new Promise((r) => setTimeout(r, 1_500));
    expect(p.starts).to.equal(1);
  });

  it('keeps <pidDir>/<name>.pid current across restarts', async () => {
    const pidDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-pids-'));
    const sup = new Supervisor(() => undefined, Date.now, pidDir);
    const p = stubProcess('proxy');
    try {
      sup.watch(p);
      const pidFile = path.join(pidDir, 'proxy.pid');
      expect(fs.readFileSync(pidFile, 'utf8')).to.equal('1\n');
      const restarted = p.start.bind(p);
      (p as { start(): void }).start = () => {
        restarted();
        (p as unknown as { pid: number }).pid = 42;
      };
      p.crash();
      const deadline = Date.now() + 3_000;
      while (fs.readFileSync(pidFile, 'utf8') !== '42\n' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(fs.readFileSync(pidFile, 'utf8')).to.equal('42\n');
    } finally {
      sup.stop();
      fs.rmSync(pidDir, { recursive: true, force: true });
    }
  });
});
