import { expect } from 'chai';
import { runChaos } from './scenario';

/** Nemesis time of the short run in `npm test`: one pass through every fault (the long soak is `npm run chaos`). */
const SHORT_RUN_MS = 60_000;

describe('whole-cluster chaos: bosun up under kill -9 and SIGSTOP of every component while the workload changes', function () {
  this.timeout(900_000);

  it('loses no acknowledged write, keeps pods on one node and ordinals single, counts Job completions, and converges within 20 s of the last heal', async () => {
    const lines: string[] = [];
    const report = await runChaos(SHORT_RUN_MS, (l) => lines.push(l));
    for (const f of report.faults) console.log(`      ${f}`);
    console.log(`      ${report.summary}`);
    expect(report.violations, `${report.violations.join('\n')}\n--- run log:\n${lines.join('\n')}`).to.deep.equal([]);
  });
});
