/**
 * Replays one simulation run with its full trace:
 *
 *   node dist/store/raft/simulation/replay.js --seed 12345 --nodes 3 [--steps 400] [--quiet]
 *
 * Every event is printed as it happens (unless --quiet), then the outcome. Exit code 0 when
 * the run passes, 1 when it fails, 2 on bad arguments. {@link replaySeed} does the same
 * in-process and returns the trace instead of printing it.
 */

import { runSimulation, RunSummary, SimulationFailure } from './scenario';
import { Trace } from './trace';

/** Outcome of {@link replaySeed}: the full trace plus either the summary or the failure. */
export interface ReplayResult {
  trace: Trace;
  summary?: RunSummary;
  failure?: SimulationFailure;
}

/**
 * Replays the run for (`seed`, `nodes`) keeping every trace event. `echo`, when given,
 * receives each formatted event as it happens.
 */
export function replaySeed(seed: number, nodes: number, steps?: number, echo?: (line: string) => void): ReplayResult {
  const trace = new Trace(Number.MAX_SAFE_INTEGER, true, echo);
  try {
    return { trace, summary: runSimulation({ seed, nodes, steps, trace }) };
  } catch (err) {
    if (err instanceof SimulationFailure) return { trace, failure: err };
    throw err;
  }
}

function parseArgs(argv: string[]): { seed: number; nodes: number; steps?: number; quiet: boolean } | string {
  let seed: number | undefined;
  let nodes = 3;
  let steps: number | undefined;
  let quiet = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${a} needs a non-negative integer`);
      return v;
    };
    try {
      if (a === '--seed') seed = num();
      else if (a === '--nodes') nodes = num();
      else if (a === '--steps') steps = num();
      else if (a === '--quiet') quiet = true;
      else return `unknown argument ${a}`;
    } catch (e) {
      return (e as Error).message;
    }
  }
  if (seed === undefined) return 'missing --seed';
  return { seed, nodes, steps, quiet };
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  if (typeof args === 'string') {
    process.stderr.write(`${args}\nusage: node dist/store/raft/simulation/replay.js --seed N [--nodes 3] [--steps N] [--quiet]\n`);
    process.exitCode = 2;
    return;
  }
  // `... | head` closes the pipe early; that is not an error worth a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  const out = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  const r = replaySeed(args.seed, args.nodes, args.steps, args.quiet ? undefined : out);
  if (r.failure) {
    out('');
    out(r.failure.message);
    process.exitCode = 1;
    return;
  }
  out('');
  out(`PASS seed=${args.seed} nodes=${args.nodes} ${JSON.stringify(r.summary)}`);
}

if (require.main === module) main();
