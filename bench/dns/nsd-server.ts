/**
 * The reference side of the DNS benchmark: Debian's nsd (a C authoritative server) serving the
 * benchmark's zone file on 127.0.0.1:<port>, one server process (server-count 1: the same one
 * core Bosun's single-threaded server has), in the foreground as a child of the benchmark.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BENCH_ZONE } from './records';

/** How long nsd's processes may take to exit after SIGTERM, and how often to look, ms. */
const STOP_WAIT_MS = 5_000;
const STOP_POLL_MS = 50;

/** The running nsd. */
export interface RunningNsd {
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/** nsd.conf for one zone on 127.0.0.1:`port`, everything under `dir`, no chroot, no privilege drop, no control socket. */
export function nsdConfig(dir: string, port: number, zoneFileName: string): string {
  return `server:
  ip-address: 127.0.0.1@${port}
  port: ${port}
  server-count: 1
  username: ""
  chroot: ""
  zonesdir: "${dir}"
  database: ""
  pidfile: "${path.join(dir, 'nsd.pid')}"
  xfrdfile: "${path.join(dir, 'xfrd.state')}"
  zonelistfile: "${path.join(dir, 'zone.list')}"
  logfile: "${path.join(dir, 'nsd.log')}"
  verbosity: 0
  hide-version: yes
remote-control:
  control-enable: no
zone:
  name: ${BENCH_ZONE}
  zonefile: "${zoneFileName}"
`;
}

/** Writes the zone and the config under `dir` and starts `nsd -d`. */
export function startNsd(dir: string, port: number, zone: string): RunningNsd {
  fs.mkdirSync(dir, { recursive: true });
  const zoneFileName = `${BENCH_ZONE}.zone`;
  fs.writeFileSync(path.join(dir, zoneFileName), zone);
  const conf = path.join(dir, 'nsd.conf');
  fs.writeFileSync(conf, nsdConfig(dir, port, zoneFileName));
  const child = spawn('nsd', ['-d', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (d: Buffer) => process.stderr.write(`nsd: ${d}`));
  return {
    process: child,
    // nsd -d keeps its xfrd in the started process and forks the main process (its pid in the
    // pidfile), which forks the servers: stopping the main one stops them all.
    stop: async () => {
      const main = readPid(path.join(dir, 'nsd.pid'));
      if (main !== undefined) signal(main, 'SIGTERM');
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        await exited;
      }
      // The main process takes its servers down with it; wait (bounded) until it is gone.
      const deadline = Date.now() + STOP_WAIT_MS;
      while (main !== undefined && signal(main, 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, STOP_POLL_MS));
    },
  };
}

/** The pid in a pidfile, or undefined when there is none yet. */
function readPid(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Sends `sig` to `pid` (0: only checks it exists); false when there is no such process. */
function signal(pid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}
