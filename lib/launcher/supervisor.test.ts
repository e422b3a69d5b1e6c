import { expect } from 'chai';
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
});
