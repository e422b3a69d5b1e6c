import * as fs from 'node:fs';
import * as inspector from 'node:inspector';
import * as path from 'node:path';

/**
 * Preloaded into Bosun members by `run.js --cpu-prof` (NODE_OPTIONS="--require <this file>";
 * Node 20 refuses --cpu-prof in NODE_OPTIONS). Profiles the whole process with the V8 sampling
 * profiler and writes a .cpuprofile (open in Chrome DevTools or speedscope) into
 * $BOSUN_BENCH_PROF_DIR:
 *   - on SIGUSR2: the profile since the last cut, named after the phase the benchmark wrote
 *     into $BOSUN_BENCH_PROF_DIR/phase; profiling then starts over;
 *   - on exit: the rest.
 * Next to each profile, <same name>.memory.json holds process.memoryUsage() at the cut (JS
 * heap vs buffers vs RSS).
 * Does nothing when BOSUN_BENCH_PROF_DIR is not set.
 */

/** Environment variable naming the profile directory. */
export const PROF_DIR_ENV = 'BOSUN_BENCH_PROF_DIR';
/** File in the profile directory holding the current phase's name. */
export const PHASE_FILE = 'phase';
/** Sampling interval of the profiler, µs (V8's default is 1000). */
const SAMPLING_INTERVAL_US = 500;

const dir = process.env[PROF_DIR_ENV];
if (dir) {
  const session = new inspector.Session();
  session.connect();
  let cut = 0;
  const start = (): void => {
    session.post('Profiler.enable');
    session.post('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US });
    session.post('Profiler.start');
  };
  // The same-thread inspector session answers synchronously, so this also works in 'exit'.
  const write = (label: string): void => {
    session.post('Profiler.stop', (err, res) => {
      if (err || !res) return;
      const base = `${String(cut++).padStart(2, '0')}-${label.replace(/[^\w.-]+/g, '_')}-${process.pid}`;
      try {
        fs.writeFileSync(path.join(dir, `${base}.cpuprofile`), JSON.stringify(res.profile));
        fs.writeFileSync(path.join(dir, `${base}.memory.json`), JSON.stringify(process.memoryUsage()));
      } catch {
        // the directory may be gone at the very end; nothing to do
      }
    });
  };
  const phase = (): string => {
    try {
      return fs.readFileSync(path.join(dir, PHASE_FILE), 'utf8').trim() || 'phase';
    } catch {
      return 'phase';
    }
  };
  start();
  process.on('SIGUSR2', () => {
    write(phase());
    start();
  });
  process.on('exit', () => write('exit'));
}
