import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalStoreCluster, portIsFree } from '../../lib/launcher/store-cluster';
import { startEtcdCluster } from '../../store/client/test-etcd';
import { Normalizer, sortLines } from './etcdctl-normalize';
import { BackgroundEtcdctl, EtcdctlResult, runEtcdctl, startEtcdctl } from './etcdctl-runner';

/**
 * The differential harness: one scenario function runs etcdctl commands against a cluster and
 * records every command's normalized output in a transcript; the same scenario runs against a
 * fresh real etcd 3.4 cluster and a fresh Bosun store cluster, and the transcripts must match.
 */

/** The two kinds of cluster under comparison. */
export type Backend = 'etcd' | 'bosun';

/** Members per cluster. */
export const CLUSTER_SIZE = 3;
/** Bound on waiting for every member's client URL to appear in `member list` after start. */
const MEMBERS_PUBLISHED_TIMEOUT_MS = 10_000;

/** A running cluster of either kind, as the harness sees it. */
export interface CompatCluster {
  readonly backend: Backend;
  /** "127.0.0.1:PORT" client endpoints, in member order. */
  readonly endpoints: readonly string[];
  readonly members: readonly { readonly name: string; readonly clientPort: number; readonly peerPort: number }[];
  /** When the cluster first reported ready (ms since the epoch). */
  readonly readyAt: number;
  /** Stops every member process by pid and removes the data folder. */
  stop(): Promise<void>;
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

/**
 * Ports for Bosun members are drawn from below Linux's ephemeral range (32768-60999 by
 * default): a port the OS hands out for listen(0) can be taken by any outgoing connection on
 * the machine before the member binds it, which happens when other suites run alongside.
 */
const BOSUN_PORT_RANGE: readonly [number, number] = [20_000, 32_000];
/** Attempts at starting a Bosun cluster when a member finds its port taken. */
const BOSUN_START_ATTEMPTS = 3;

/** `count` distinct ports from BOSUN_PORT_RANGE that nothing listens on right now. */
async function pickPorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let tries = 0; ports.length < count; tries++) {
    if (tries > 1000) throw new Error(`no ${count} free ports in ${BOSUN_PORT_RANGE.join('-')}`);
    const port = BOSUN_PORT_RANGE[0] + Math.floor(Math.random() * (BOSUN_PORT_RANGE[1] - BOSUN_PORT_RANGE[0]));
    if (!ports.includes(port) && (await portIsFree(port))) ports.push(port);
  }
  return ports;
}

/** Starts a fresh 3-member cluster of `backend` on free loopback ports, data in a new temp folder. */
export async function startCompatCluster(backend: Backend): Promise<CompatCluster> {
  if (backend === 'etcd') {
    const etcd = await startEtcdCluster({ members: CLUSTER_SIZE });
    return {
      backend,
      endpoints: etcd.endpoints,
      members: etcd.members.map((m) => ({ name: m.name, clientPort: portOf(m.clientUrl), peerPort: portOf(m.peerUrl) })),
      readyAt: Date.now(),
      stop: () => etcd.stop(),
    };
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await startBosunCluster();
    } catch (err) {
      if (attempt >= BOSUN_START_ATTEMPTS || !/EADDRINUSE|address already in use/.test(String(err))) throw err;
    }
  }
}

async function startBosunCluster(): Promise<CompatCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-etcdctl-compat-'));
  const flat = await pickPorts(2 * CLUSTER_SIZE);
  const ports = Array.from({ length: CLUSTER_SIZE }, (_, i): [number, number] => [flat[2 * i], flat[2 * i + 1]]);
  const cluster = await LocalStoreCluster.create({ members: CLUSTER_SIZE, dir, ports, token: `compat-${path.basename(dir)}`, insecure: true });
  const stop = async () => {
    await cluster.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  cluster.startAll();
  try {
    await cluster.waitReady();
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    backend: 'bosun',
    endpoints: cluster.endpoints,
    members: cluster.members.map((m) => ({ name: m.name, clientPort: m.clientPort, peerPort: m.peerPort })),
    readyAt: Date.now(),
    stop,
  };
}

/**
 * Which endpoints a command is sent to: all members, one follower (writes must be forwarded
 * to the leader), or the leader. Recorded by role, since the leader's index is random.
 */
export type Target = 'all' | 'follower' | 'leader';

/** One recorded, normalized command and its outcome (or a derived fact, with `command` = ''). */
export interface Step {
  readonly label: string;
  readonly target: Target | '';
  readonly command: string;
  readonly exit: string;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of one recorded etcdctl command. */
export interface RunOptions {
  readonly target?: Target;
  readonly stdin?: string | Buffer;
  /** How stdin is shown in the transcript (default: its text, or its size when large). */
  readonly stdinLabel?: string;
  /** Sort the normalized output lines (for commands whose line order is not defined). */
  readonly sortLines?: boolean;
  /**
   * Replace member-specific tokens (`<member-i>`, `<name-i>`, `<client-i>`, `<peer-i>`) by
   * role-free ones, for output that names the leader (whose index is random).
   */
  readonly anonymizeMembers?: boolean;
  /** The command is `lease grant`: register the granted lease id (`<lease-n>`) before recording. */
  readonly grantsLease?: boolean;
  /** Called with the raw outcome before it is normalized and recorded (to register new ids). */
  readonly learn?: (res: EtcdctlResult) => void;
  /** The exit status etcd itself must give; a different one fails the test as a broken assumption. */
  readonly expectExit?: number;
  /** A short name for the step in reports (default: the command). */
  readonly label?: string;
  /** Give etcdctl the endpoints as URLs (`http://127.0.0.1:PORT`) rather than host:port. */
  readonly urlEndpoints?: boolean;
}

/** A deviation of the reference run (etcd) from what the scenario assumes etcd does. */
export interface Expectation {
  readonly label: string;
  readonly expected: string;
  readonly actual: string;
}

/** A background etcdctl command whose output becomes a step when it is finished. */
export interface RecordedBackground {
  readonly child: BackgroundEtcdctl;
  /** Waits until stdout satisfies `predicate` (bounded), without failing the scenario if it never does. */
  waitFor(predicate: (stdout: string) => boolean, timeoutMs: number): Promise<boolean>;
  /** Stops the child and records what it printed. */
  finish(): Promise<EtcdctlResult>;
}

/** One scenario run against one cluster: runs etcdctl, records normalized steps. */
export class CompatSession {
  readonly transcript: Step[] = [];
  readonly expectations: Expectation[] = [];
  readonly normalizer = new Normalizer();
  private leaseCount = 0;
  /** The hex id of the lease the last `grantsLease` command granted ('0' if it granted none). */
  lastLease = '0';
  private roles: { leader: string; follower: string } | undefined;

  private constructor(readonly cluster: CompatCluster) {}

  /**
   * Opens a session: waits (bounded) until `member list` shows every member with its client
   * URL — members publish it through raft, possibly just after the cluster reports ready —
   * and learns the member and cluster ids from it. Makes no writes.
   */
  static async open(cluster: CompatCluster): Promise<CompatSession> {
    const s = new CompatSession(cluster);
    cluster.members.forEach((m, i) => {
      s.normalizer.aliasAddress(`127.0.0.1:${m.clientPort}`, `<client-${i}>`);
      s.normalizer.aliasAddress(`127.0.0.1:${m.peerPort}`, `<peer-${i}>`);
      s.normalizer.aliasName(m.name, `<name-${i}>`);
    });
    const deadline = Date.now() + MEMBERS_PUBLISHED_TIMEOUT_MS;
    let list = await runEtcdctl(cluster.endpoints, ['member', 'list', '-w', 'json']);
    while ((list.stdout.match(/"clientURLs"/g) ?? []).length < cluster.members.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      list = await runEtcdctl(cluster.endpoints, ['member', 'list', '-w', 'json']);
    }
    const clusterId = /"cluster_id":(\d+)/.exec(list.stdout);
    if (clusterId) s.normalizer.aliasId(BigInt(clusterId[1]), '<cluster>');
    for (const m of list.stdout.matchAll(/\{"ID":(\d+),"name":"([^"]*)"/g)) {
      const index = cluster.members.findIndex((x) => x.name === m[2]);
      if (index >= 0) s.normalizer.aliasId(BigInt(m[1]), `<member-${index}>`);
    }
    if (!clusterId) throw new Error(`${cluster.backend}: member list answered no cluster id: ${list.stdout}${list.stderr}`);
    return s;
  }

  /** Waits until the cluster has been ready for at least `ms` (etcd refuses reconfiguration before its peers were connected for 5 s). */
  async waitClusterAge(ms: number): Promise<void> {
    const wait = this.cluster.readyAt + ms - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }

  /** Registers the lease id printed by `lease grant` (hex) as `<lease-n>`; returns the hex id ('0' if none). */
  learnLease(grantOutput: string): string {
    const m = /lease ([0-9a-f]+) granted/.exec(grantOutput);
    if (!m) return '0';
    this.normalizer.aliasId(BigInt(`0x${m[1]}`), `<lease-${++this.leaseCount}>`);
    return m[1];
  }

  /** The leader's and one follower's endpoint, from `endpoint status` (asked once per session). */
  async endpointRoles(): Promise<{ leader: string; follower: string }> {
    if (this.roles) return this.roles;
    const res = await runEtcdctl(this.cluster.endpoints, ['endpoint', 'status', '-w', 'json']);
    const entries = [...res.stdout.matchAll(/"Endpoint":"([^"]+)".*?"member_id":(\d+).*?"leader":(\d+)/g)].map((m) => ({ endpoint: m[1], self: m[2], leader: m[3] }));
    const leader = entries.find((e) => e.self === e.leader);
    const follower = entries.find((e) => e.self !== e.leader);
    if (!leader || !follower) throw new Error(`${this.cluster.backend}: no leader/follower in endpoint status: ${res.stdout}${res.stderr}`);
    this.roles = { leader: leader.endpoint, follower: follower.endpoint };
    return this.roles;
  }

  private async endpointsFor(target: Target, opts: RunOptions = {}): Promise<readonly string[]> {
    let endpoints = this.cluster.endpoints;
    if (target !== 'all') {
      const roles = await this.endpointRoles();
      endpoints = [target === 'leader' ? roles.leader : roles.follower];
    }
    return opts.urlEndpoints ? endpoints.map((e) => `http://${e}`) : endpoints;
  }

  private commandText(args: readonly string[], opts: RunOptions): string {
    let stdin = '';
    if (opts.stdinLabel !== undefined) stdin = ` <<< ${opts.stdinLabel}`;
    else if (opts.stdin !== undefined) stdin = opts.stdin.length > 200 ? ` <<< (${opts.stdin.length} bytes)` : ` <<< ${JSON.stringify(opts.stdin.toString())}`;
    return this.normalizer.normalize(`etcdctl ${args.join(' ')}${stdin}`);
  }

  private record(args: readonly string[], opts: RunOptions, target: Target, res: EtcdctlResult): void {
    if (opts.grantsLease) this.lastLease = this.learnLease(res.stdout);
    opts.learn?.(res);
    let command = this.commandText(args, opts);
    if (opts.anonymizeMembers) command = anonymizeMembers(command);
    const label = opts.label ?? command;
    let stdout = this.normalizer.normalize(res.stdout);
    let stderr = this.normalizer.normalize(res.stderr);
    if (opts.anonymizeMembers) {
      stdout = anonymizeMembers(stdout);
      stderr = anonymizeMembers(stderr);
    }
    if (opts.sortLines) {
      stdout = sortLines(stdout);
      stderr = sortLines(stderr);
    }
    const exit = res.timedOut ? 'killed after time limit' : res.code !== null ? String(res.code) : `signal ${res.signal}`;
    this.transcript.push({ label, target, command, exit, stdout, stderr });
    if (opts.expectExit !== undefined && exit !== String(opts.expectExit)) {
      this.expectations.push({ label, expected: `exit ${opts.expectExit}`, actual: `exit ${exit}\n${stdout}${stderr}` });
    }
  }

  /** Runs `etcdctl <args>` against `target`, records the normalized outcome, returns the raw one. */
  async run(args: readonly string[], opts: RunOptions = {}): Promise<EtcdctlResult> {
    const target = opts.target ?? 'all';
    const res = await runEtcdctl(await this.endpointsFor(target, opts), args, { stdin: opts.stdin });
    this.record(args, opts, target, res);
    return res;
  }

  /** Runs `etcdctl <args>` without recording it (for polling until a condition holds). */
  async probe(args: readonly string[], target: Target = 'all'): Promise<EtcdctlResult> {
    return runEtcdctl(await this.endpointsFor(target), args);
  }

  /** Starts `etcdctl <args>` in the background; its output is recorded when finish() is called. */
  async background(args: readonly string[], opts: RunOptions = {}): Promise<RecordedBackground> {
    const target = opts.target ?? 'all';
    const child = startEtcdctl(await this.endpointsFor(target, opts), args, { stdin: opts.stdin });
    return {
      child,
      waitFor: (predicate, timeoutMs) =>
        child.waitFor(predicate, timeoutMs, 'expected output').then(
          () => true,
          () => false,
        ),
      finish: async () => {
        const res = await child.stop();
        // A background command ends because we stop it: record how it ended only if on its own.
        const ownExit = res.signal === 'SIGTERM' || res.signal === 'SIGKILL' ? { ...res, code: 0, signal: null } : res;
        this.record(args, { ...opts, label: opts.label ?? `${this.commandText(args, opts)} (background)` }, target, ownExit);
        return res;
      },
    };
  }

  /**
   * Records a derived fact (compared between the clusters like a command's output). When
   * `expected` is given, etcd must show exactly that value (a check of the reference run).
   */
  note(label: string, value: string, expected?: string): void {
    this.transcript.push({ label, target: '', command: '', exit: '', stdout: value, stderr: '' });
    if (expected !== undefined && value !== expected) this.expectations.push({ label, expected, actual: value });
  }
}

/** Replaces member-specific tokens by role-free ones (see RunOptions.anonymizeMembers). */
export function anonymizeMembers(text: string): string {
  return text.replace(/<(member|name|client|peer)-\d+>/g, '<$1>');
}

/** A step's outcome as one block of text, for reports. */
export function showStep(step: Step): string {
  if (step.command === '') return `  ${step.stdout}`;
  const parts = [`  exit ${step.exit}`];
  if (step.stdout.trim() !== '') parts.push(`  stdout: ${indent(step.stdout.trimEnd())}`);
  if (step.stderr.trim() !== '') parts.push(`  stderr: ${indent(step.stderr.trimEnd())}`);
  return parts.join('\n');
}

function indent(text: string): string {
  return text.split('\n').join('\n          ');
}

/**
 * Compares two transcripts step by step and describes every difference: the command, etcd's
 * normalized outcome and Bosun's. Empty when they match.
 */
export function compareTranscripts(reference: readonly Step[], candidate: readonly Step[]): string[] {
  const diffs: string[] = [];
  const n = Math.max(reference.length, candidate.length);
  for (let i = 0; i < n; i++) {
    const a = reference[i];
    const b = candidate[i];
    if (a && b && a.label === b.label && a.exit === b.exit && a.stdout === b.stdout && a.stderr === b.stderr && a.command === b.command) continue;
    const where = a ? `[${a.target || 'fact'}] ${a.label}` : `[${b?.target || 'fact'}] ${b?.label}`;
    diffs.push(`#${i + 1} ${where}\n etcd:\n${a ? showStep(a) : '  (no such step)'}\n bosun:\n${b ? showStep(b) : '  (no such step)'}`);
  }
  return diffs;
}

/** Where transcripts are written when ETCDCTL_COMPAT_DUMP names a folder (for debugging and reports). */
export function dumpTranscript(scenario: string, backend: Backend, steps: readonly Step[]): void {
  const dir = process.env.ETCDCTL_COMPAT_DUMP;
  if (!dir) return;
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${scenario.replace(/[^a-z0-9]+/gi, '-')}.${backend}.txt`);
  fs.writeFileSync(file, steps.map((s) => `## [${s.target || 'fact'}] ${s.label}\n${showStep(s)}\n`).join('\n'));
}
