/**
 * Locating (and, when needed, compiling) the native monitor, native/bosun-monitor.c. It is built
 * with the machine's C compiler into `<repo>/.data/native/bosun-monitor-<source hash>`, once per
 * source version; concurrent builders write to temporary names and rename, so they never clash.
 * `scripts/build-native.js` runs the same build ahead of time.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCommand } from '../../../../lib/run-command';

const SOURCE_NAME = 'bosun-monitor.c';
const COMPILERS = ['cc', 'gcc', 'clang'];
const CFLAGS = ['-O2', '-Wall', '-Wno-format-truncation'];

/** The repository root, found from this file's location in the source tree or in dist/. */
export function repoRoot(): string {
  let dir = __dirname;
  while (dir !== path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error(`cannot find the repository root above ${__dirname}`);
}

export function monitorSourcePath(): string {
  return path.join(repoRoot(), 'services', 'node-agent', 'runtime', 'process', 'native', SOURCE_NAME);
}

export class MonitorBuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MonitorBuildError';
  }
}

/** A prebuilt monitor to use instead (images without a C compiler copy one in and name it here). */
export const MONITOR_PATH_ENV = 'BOSUN_MONITOR_PATH';

/** The path of a built monitor for the current source ($BOSUN_MONITOR_PATH when set); compiles it when absent. */
export async function ensureMonitorBinary(outDir = path.join(repoRoot(), '.data', 'native')): Promise<string> {
  const given = process.env[MONITOR_PATH_ENV];
  if (given) {
    if (!fs.existsSync(given)) throw new MonitorBuildError(`${MONITOR_PATH_ENV}=${given}: no such file`);
    return given;
  }
  const source = monitorSourcePath();
  if (!fs.existsSync(source)) throw new MonitorBuildError(`the monitor's source ${source} is missing`);
  const hash = createHash('sha256').update(fs.readFileSync(source)).digest('hex').slice(0, 12);
  const binary = path.join(outDir, `bosun-monitor-${hash}`);
  if (fs.existsSync(binary)) return binary;
  fs.mkdirSync(outDir, { recursive: true });
  const tmp = `${binary}.${process.pid}.tmp`;
  const errors: string[] = [];
  for (const cc of COMPILERS) {
    try {
      await runCommand(cc, [...CFLAGS, '-o', tmp, source]);
      fs.renameSync(tmp, binary);
      return binary;
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  throw new MonitorBuildError(
    `the process runtime needs its monitor compiled from ${source}, and no C compiler worked ` +
      `(install gcc or clang: apt-get install -y gcc): ${errors.join('; ')}`,
  );
}
