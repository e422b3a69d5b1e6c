/**
 * A mocha root-hook plugin for the end-to-end phase: charges the wall time between one test's
 * end and the next one's to the next test's file — so a file's figure includes its before-all
 * hooks, where clusters start — and prints the files slowest first when the run ends, so the
 * suite's time budget can be spent where it matters.
 */
import type { Context } from 'mocha';

const perFile = new Map<string, { ms: number; tests: number }>();
let mark = Date.now();

export const mochaHooks = {
  afterEach(this: Context): void {
    const now = Date.now();
    const file = (this.currentTest?.file ?? 'unknown').replace(/^.*\/dist\//, '');
    const entry = perFile.get(file) ?? { ms: 0, tests: 0 };
    entry.ms += now - mark;
    entry.tests++;
    perFile.set(file, entry);
    mark = now;
  },
  afterAll(): void {
    const rows = [...perFile].sort((a, b) => b[1].ms - a[1].ms);
    console.log('\n  time per file (its tests and before-all hooks):');
    for (const [file, e] of rows) console.log(`  ${(e.ms / 1000).toFixed(0).padStart(6)} s  ${String(e.tests).padStart(3)} tests  ${file}`);
  },
};
