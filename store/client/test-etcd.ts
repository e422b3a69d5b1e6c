import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Runs a real etcd 3.4 cluster on loopback for tests and benchmarks: free ports from the OS,
 * data directories in a fresh temporary folder, every process tracked by pid and killed (and
 * the folder removed) by stop() — or, as a last resort, when the test process exits.
 */

/** Where Debian's etcd-server package installs the server. */
export const DEFAULT_ETCD_BINARY = '/usr/bin/etcd';
/** How long a cluster (or a restarted member) may take to report healthy. */
export const ETCD_START_TIMEOUT_MS = 30_000;
/** Interval between health polls. */
const HEALTH_POLL_INTERVAL_MS = 50;

/** Settings of startEtcdCluster. */
export interface EtcdClusterOptions {
  /** Number of members (default 3). */
  readonly members?: number;
  /** Path to the etcd binary (default DEFAULT_ETCD_BINARY). */
  readonly binary?: string;
  /** Raft heartbeat interval in ms (etcd default 100). */
  readonly heartbeatMs?: number;
  /** Raft election timeout in ms (etcd default 1000). */
  readonly electionTimeoutMs?: number;
  /** Extra flags for every member. */
  readonly extraArgs?: readonly string[];
}

/** One etcd member process. */
export interface EtcdMember {
  readonly name: string;
  /** pid of the running process; undefined while killed. */
  readonly pid: number | undefined;
  /** "http://127.0.0.1:PORT" */
  readonly clientUrl: string;
  /** "127.0.0.1:PORT", the form StoreClient endpoints take. */
  readonly endpoint: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  /** The member's log file. */
  readonly logFile: string;
  /** Sends `signal` (default SIGKILL) and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the member again on the same ports and data, and waits until it is healthy. */
  restart(): Promise<void>;
}

/** A running cluster. */
export interface EtcdCluster {
  /** Client endpoints ("127.0.0.1:PORT"), in member order. */
  readonly endpoints: string[];
  readonly members: EtcdMember[];
  /** The temporary folder holding data dirs and logs. */
  readonly dir: string;
  /** Kills every member and removes the folder. Idempotent. */
  stop(): Promise<void>;
}

/** Processes started by this module and not yet exited, killed if the test process exits. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) if (child.pid !== undefined) safeKill(child.pid, 'SIGKILL');
  });
}

function safeKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Ports the OS reports free (held open together so they are distinct), then released. */
export async function freePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      servers.push(server);
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** True when GET clientUrl/health answers {"health":"true"}. */
export function isHealthy(clientUrl: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(`${clientUrl}/health`, { timeout: 1000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(res.statusCode === 200 && /"health":\s*"true"/.test(body)));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

async function waitHealthy(members: readonly EtcdMember[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const health = await Promise.all(members.map((m) => (m.pid === undefined ? Promise.resolve(false) : isHealthy(m.clientUrl))));
    if (health.every((h) => h)) return;
    if (Date.now() > deadline) {
      const logs = members.map((m) => `--- ${m.name} (${m.logFile})\n${tail(m.logFile, 15)}`).join('\n');
      throw new Error(`etcd members not healthy after ${timeoutMs} ms\n${logs}`);
    }
    await new Promise((r) => setTimeout(r, HEALTH_POLL_INTERVAL_MS));
  }
}

function tail(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Starts an etcd cluster of `members` members on 127.0.0.1 and resolves once every member
 * reports healthy. Throws a clear error if the etcd binary is missing.
 */
export async function startEtcdCluster(options: EtcdClusterOptions = {}): Promise<EtcdCluster> {
  const binary = options.binary ?? DEFAULT_ETCD_BINARY;
  if (!fs.existsSync(binary)) {
    throw new Error(`etcd server binary not found at ${binary}: install Debian's etcd 3.4 with "apt-get install -y etcd-server etcd-client"`);
  }
  installExitHook();
  const size = options.members ?? 3;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-etcd-'));
  const ports = await freePorts(size * 2);
  const token = `bosun-test-${path.basename(dir)}`;
  const specs = Array.from({ length: size }, (_, i) => ({
    name: `m${i}`,
    clientUrl: `http://127.0.0.1:${ports[2 * i]}`,
    peerUrl: `http://127.0.0.1:${ports[2 * i + 1]}`,
    dataDir: path.join(dir, `m${i}`),
    logFile: path.join(dir, `m${i}.log`),
  }));
  const initialCluster = specs.map((s) => `${s.name}=${s.peerUrl}`).join(',');

  const members: EtcdMember[] = specs.map((spec) => {
    let child: ChildProcess | undefined;
    const args = [
      `--name=${spec.name}`,
      `--data-dir=${spec.dataDir}`,
      `--listen-client-urls=${spec.clientUrl}`,
      `--advertise-client-urls=${spec.clientUrl}`,
      `--listen-peer-urls=${spec.peerUrl}`,
      `--initial-advertise-peer-urls=${spec.peerUrl}`,
      `--initial-cluster=${initialCluster}`,
      '--initial-cluster-state=new',
      `--initial-cluster-token=${token}`,
      `--heartbeat-interval=${options.heartbeatMs ?? 100}`,
      `--election-timeout=${options.electionTimeoutMs ?? 1000}`,
      '--logger=zap',
      '--log-outputs=stderr',
      ...(options.extraArgs ?? []),
    ];
    const start = (): void => {
      const log = fs.openSync(spec.logFile, 'a');
      const proc = spawn(binary, args, { stdio: ['ignore', log, log] });
      fs.closeSync(log);
      live.add(proc);
      proc.once('exit', () => {
        live.delete(proc);
        if (child === proc) child = undefined;
      });
      child = proc;
    };
    const member: EtcdMember = {
      ...spec,
      endpoint: spec.clientUrl.replace('http://', ''),
      get pid() {
        return child?.pid;
      },
      async kill(signal: NodeJS.Signals = 'SIGKILL') {
        const proc = child;
        if (proc === undefined || proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
        safeKill(proc.pid, signal);
        await exited;
      },
      async restart() {
        if (child !== undefined) throw new Error(`${spec.name} is still running (pid ${child.pid})`);
        start();
        await waitHealthy([member], ETCD_START_TIMEOUT_MS);
      },
    };
    start();
    return member;
  });

  let stopped = false;
  const cluster: EtcdCluster = {
    endpoints: members.map((m) => m.endpoint),
    members,
    dir,
    async stop() {
      if (stopped) return;
      stopped = true;
      await Promise.all(members.map((m) => m.kill('SIGKILL')));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitHealthy(members, ETCD_START_TIMEOUT_MS);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

/** Polls `condition` every `intervalMs` until it holds; throws naming `what` after `timeoutMs`. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string, intervalMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
