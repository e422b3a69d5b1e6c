/**
 * `npm run chaos -- --duration SECONDS`: the whole-cluster chaos scenario of `npm test`, with the
 * nemesis cycling through its faults for longer. Prints what happened and a summary; exits 1 on
 * any violation (the cluster's data and logs are then kept and their folder printed).
 */
import { runChaos } from './scenario';

/** The nemesis time when --duration is not given, seconds. */
const DEFAULT_DURATION_S = 600;
/** The longest run allowed, seconds: a soak stops by itself. */
const MAX_DURATION_S = 6 * 3600;

function durationSeconds(argv: readonly string[]): number {
  const i = argv.indexOf('--duration');
  if (i < 0) return DEFAULT_DURATION_S;
  const n = Number(argv[i + 1]);
  if (!Number.isFinite(n) || n <= 0 || n > MAX_DURATION_S) throw new Error(`--duration: "${argv[i + 1] ?? ''}" is not a number of seconds from 1 to ${MAX_DURATION_S}`);
  return n;
}

async function main(): Promise<void> {
  const seconds = durationSeconds(process.argv.slice(2));
  const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
  log(`chaos: ${seconds} s of nemesis against bosun up`);
  const report = await runChaos(seconds * 1000, log);
  log(`summary: ${report.summary}`);
  for (const v of report.violations) log(`VIOLATION: ${v}`);
  process.exit(report.violations.length === 0 ? 0 : 1);
}

main().catch((err: unknown) => {
  process.stderr.write(`chaos: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
