import { expect } from 'chai';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { etcdctlEnvFromUp, startUp, type RunningUp } from '../../support/bosun-up';

/**
 * One `bosun up` cluster (3 store members, two apiservers: what `npm start` runs) for one test
 * file, driven through the real binaries: `kubectl` 1.32 and `etcdctl` from the PATH.
 *
 * The cluster runs the build this file was compiled into: `startUp` spawns `BOSUN_BIN`, which
 * lies three folders above `lib/launcher/` of that build. In `npm test` that is `bin/bosun.js`
 * running `dist/`. For a private build that does not disturb the shared `dist/`, run
 * `bash e2e/kubectl/run-isolated.sh`: it compiles into `.out-kubectl/dist` and puts a copy of
 * `bin/bosun.js` (and a link to `proto/`) into `.out-kubectl/`, so every process of the cluster
 * runs `.out-kubectl/dist`.
 */

/** Seconds kubectl waits for one request (`--request-timeout`). */
export const KUBECTL_REQUEST_TIMEOUT_S = 20;
/** Hard limit for one kubectl or etcdctl process, in milliseconds. */
export const COMMAND_TIMEOUT_MS = 60_000;
/** How long `bosun up` may take to print "Press Ctrl-C", in milliseconds. */
export const UP_TIMEOUT_MS = 90_000;
/** How long `bosun up` may take to stop after SIGINT before it is killed, in milliseconds. */
export const STOP_TIMEOUT_MS = 20_000;

/** The manifests folder of the repository (e2e/fixtures/manifests), found above this build. */
export const MANIFESTS = findUp(path.join('e2e', 'fixtures', 'manifests'));

/** The nearest `rel` in a folder above this file (the source tree holds it, not the build). */
export function findUp(rel: string): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, rel);
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`no ${rel} above ${__dirname}`);
  }
}

/** The outcome of one client process. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A `kubectl get -w` (or any long-running kubectl) whose output is collected while it runs. */
export interface RunningKubectl {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves once `re` matches stdout; rejects after `ms` or when the process exits first. */
  waitFor(re: RegExp, ms: number): Promise<string>;
  /** Kills the process and waits for its exit (bounded). */
  stop(): Promise<void>;
}

/** A started cluster with its kubeconfig, etcd endpoints and a private HOME for kubectl's cache. */
export class KubectlCluster {
  private constructor(
    readonly dir: string,
    /** The running `bosun up`: its output names every component's pid and ports. */
    readonly up: RunningUp,
    readonly kubeconfig: string,
    /** etcdctl's environment: the store's endpoints and its mutual-TLS files. */
    readonly etcdEnv: Record<string, string>,
  ) {}

  /**
   * Starts `bosun up --ports free --nodes N` in a fresh temporary folder and waits until it is
   * ready. By default N is 0 (the API only: pods stay Pending, as the kubectl tests expect);
   * `env` reaches every component (e.g. BOSUN_CONTROLLER_MANAGER_NODE_MONITOR_GRACE_PERIOD).
   */
  static async start(prefix: string, opts: { nodes?: number; env?: NodeJS.ProcessEnv; upTimeoutMs?: number } = {}): Promise<KubectlCluster> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bosun-${prefix}-`));
    fs.mkdirSync(path.join(dir, 'home'));
    const up = startUp(['--dir', path.join(dir, 'cluster'), '--ports', 'free', '--nodes', String(opts.nodes ?? 0)], { ...process.env, ...opts.env });
    let out: string;
    try {
      out = await up.waitFor(/Press Ctrl-C/, opts.upTimeoutMs ?? UP_TIMEOUT_MS);
    } catch (err) {
      up.killAll();
      throw err;
    }
    const kubeconfig = /export KUBECONFIG=(\S+)/.exec(out)?.[1];
    expect(kubeconfig, out).to.be.a('string');
    return new KubectlCluster(dir, up, kubeconfig!, etcdctlEnvFromUp(out));
  }

  /** The environment kubectl runs in: this cluster's kubeconfig and a private HOME (cache). */
  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return { ...process.env, KUBECONFIG: this.kubeconfig, HOME: path.join(this.dir, 'home'), BOSUN_KUBECONFIG: '', ...extra };
  }

  /** Runs `kubectl --request-timeout=20s ARGS` to its end. */
  kubectl(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<CommandResult> {
    return run('kubectl', [`--request-timeout=${KUBECTL_REQUEST_TIMEOUT_S}s`, ...args], this.env(opts.env), opts.input);
  }

  /** Runs kubectl and fails the test (with its output) unless it exits 0; returns stdout. */
  async ok(...args: string[]): Promise<string> {
    const r = await this.kubectl(args);
    expect(r.code, `kubectl ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).to.equal(0);
    return r.stdout;
  }

  /** Runs kubectl expecting failure (exit 1); returns stderr. */
  async fails(...args: string[]): Promise<string> {
    const r = await this.kubectl(args);
    expect(r.code, `kubectl ${args.join(' ')} should fail:\n${r.stdout}\n${r.stderr}`).to.equal(1);
    return r.stderr;
  }

  /** Starts a long-running kubectl (e.g. `get -w`) and collects its stdout. */
  spawnKubectl(args: string[]): RunningKubectl {
    const child = spawn('kubectl', [`--request-timeout=0`, ...args], { env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const waitFor = async (re: RegExp, ms: number): Promise<string> => {
      const deadline = Date.now() + ms;
      while (!re.test(out)) {
        if (Date.now() > deadline || child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`kubectl ${args.join(' ')}: did not see ${re} in:\n${out}\nstderr:\n${err}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      return out;
    };
    const stop = async (): Promise<void> => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    return { child, output: () => out, waitFor, stop };
  }

  /** Runs `etcdctl ARGS` against the cluster's store (ETCDCTL_API=3, the printed endpoints and TLS files). */
  etcdctl(args: string[]): Promise<CommandResult> {
    return run('etcdctl', args, { ...process.env, ...this.etcdEnv });
  }

  /** Stops the cluster (SIGINT, then SIGKILL after STOP_TIMEOUT_MS) and removes its folder. */
  async stop(): Promise<void> {
    this.up.child.kill('SIGINT');
    await Promise.race([this.up.exited, new Promise((r) => setTimeout(r, STOP_TIMEOUT_MS))]);
    this.up.killAll();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Polls `check` every 200 ms until it returns true; fails after `ms` with `what`. */
export async function eventually(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { env, timeout: COMMAND_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (input !== undefined) child.stdin!.end(input);
    else child.stdin!.end();
  });
}
