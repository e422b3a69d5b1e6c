/**
 * Runs Debian's dnsperf against one server for a bounded time and reads its statistics.
 */
import { execFile } from 'node:child_process';

/** What dnsperf reports. */
export interface DnsperfResult {
  readonly sent: number;
  readonly completed: number;
  readonly lost: number;
  readonly qps: number;
  readonly avgLatencyMs: number;
  readonly maxLatencyMs: number;
  readonly stddevLatencyMs: number;
  /** Response codes as dnsperf prints them ("NOERROR 123 (100.00%)"). */
  readonly rcodes: string;
}

/** How a run is shaped. */
export interface DnsperfRun {
  readonly port: number;
  readonly queryFile: string;
  /** Length of the run, seconds (dnsperf -l). */
  readonly seconds: number;
  /** Queries in flight at most (dnsperf -q). */
  readonly outstanding: number;
  /** Transport: udp (default) or tcp. */
  readonly mode?: 'udp' | 'tcp';
}

/** Slack beyond the run's length before the benchmark gives up on dnsperf, ms. */
const RUN_SLACK_MS = 30_000;

/** Runs dnsperf; rejects with its output when it fails or prints no statistics. */
export function runDnsperf(run: DnsperfRun): Promise<DnsperfResult> {
  const args = ['-s', '127.0.0.1', '-p', String(run.port), '-d', run.queryFile, '-l', String(run.seconds), '-q', String(run.outstanding), '-c', '1', '-T', '1', '-m', run.mode ?? 'udp'];
  return new Promise((resolve, reject) => {
    execFile('dnsperf', args, { timeout: run.seconds * 1000 + RUN_SLACK_MS }, (err, stdout, stderr) => {
      const parsed = parseDnsperf(stdout);
      if (err || !parsed) reject(new Error(`dnsperf ${args.join(' ')} failed: ${err?.message ?? 'no statistics'}\n${stdout}\n${stderr}`));
      else resolve(parsed);
    });
  });
}

/** dnsperf's statistics block, or undefined when the output has none. */
export function parseDnsperf(out: string): DnsperfResult | undefined {
  const num = (re: RegExp) => {
    const m = re.exec(out);
    return m ? Number(m[1]) : NaN;
  };
  const qps = num(/Queries per second:\s+([\d.]+)/);
  if (!Number.isFinite(qps)) return undefined;
  const latency = /Average Latency \(s\):\s+([\d.]+) \(min ([\d.]+), max ([\d.]+)\)/.exec(out);
  return {
    sent: num(/Queries sent:\s+(\d+)/),
    completed: num(/Queries completed:\s+(\d+)/),
    lost: num(/Queries lost:\s+(\d+)/),
    qps,
    avgLatencyMs: latency ? Number(latency[1]) * 1000 : NaN,
    maxLatencyMs: latency ? Number(latency[3]) * 1000 : NaN,
    stddevLatencyMs: num(/Latency StdDev \(s\):\s+([\d.]+)/) * 1000,
    rcodes: /Response codes:\s+(.*)/.exec(out)?.[1]?.trim() ?? '',
  };
}
