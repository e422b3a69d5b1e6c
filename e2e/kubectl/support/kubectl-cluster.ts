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

/** How long {@link KubectlCluster.release} may wait for the namespaces a file made to be gone. */
const RELEASE_TIMEOUT_MS = 60_000;
/** Kinds a release leaves alone: the components record events of their own all the time. */
const UNTRACKED_RESOURCES: ReadonlySet<string> = new Set(['events', 'events.events.k8s.io']);

/**
 * How long a released shared cluster waits for the next file to take it before it stops, ms:
 * the files sharing it run one after another, and an idle cluster left running would slow the
 * files after them.
 */
const SHARED_IDLE_STOP_MS = 5_000;

/** The `bosun up --nodes 0` cluster shared by the files that ask for it (see {@link KubectlCluster.shared}). */
let sharedCluster: Promise<KubectlCluster> | undefined;
/** The idle timer of a released shared cluster, and the stop it started. */
let idleTimer: NodeJS.Timeout | undefined;
let stopping: Promise<void> | undefined;

function stopSharedCluster(): Promise<void> {
  clearTimeout(idleTimer);
  const cluster = sharedCluster;
  sharedCluster = undefined;
  stopping = (async () => {
    await stopping;
    await (await cluster?.catch(() => undefined))?.stop();
  })();
  return stopping;
}

// A shared cluster still running stops after the last test file: a root-level hook, registered
// while mocha loads the first file that imports this module (outside mocha there is no `after`).
if (typeof after === 'function') {
  after(async function () {
    this.timeout(STOP_TIMEOUT_MS + 10_000);
    await stopSharedCluster();
  });
}

/** One object of an inventory: its resource (as kubectl names it), namespace ('' cluster-wide) and name. */
interface InventoryItem {
  readonly resource: string;
  readonly namespace: string;
  readonly name: string;
}

/** A started cluster with its kubeconfig, etcd endpoints and a private HOME for kubectl's cache. */
export class KubectlCluster {
  /** What the cluster held when a file acquired it with {@link shared} (keys of inventory()). */
  private baseline?: ReadonlySet<string>;
  /** Resource names kubectl lists and deletes (resource.group), found once. */
  private resources?: Promise<string[]>;
  private plurals?: Promise<Map<string, string>>;

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

  /**
   * The API-only cluster (`bosun up --nodes 0`) shared by every test file that asks for it:
   * started by the first, stopped after the last file of the run (a start costs more than most
   * files' tests). A file takes it as it would a fresh cluster (namespaces `shop`, `gen`, … free)
   * and gives it back with {@link release}, never {@link stop}.
   */
  static async shared(): Promise<KubectlCluster> {
    clearTimeout(idleTimer);
    if (!sharedCluster) {
      await stopping; // a cluster still stopping frees its ports and processes first
      sharedCluster = KubectlCluster.start('shared');
      // A failed start is not kept: the next file tries again.
      sharedCluster.catch(() => (sharedCluster = undefined));
    }
    const cluster = await sharedCluster;
    cluster.baseline = new Set((await cluster.inventory()).map(inventoryKey));
    return cluster;
  }

  /**
   * Gives a {@link shared} cluster back as the next file expects it: every object made since it
   * was taken is deleted — the namespaces (waited for until gone, so their names are free
   * again) and the objects made elsewhere (cluster-scoped ones, or in `default`). A cluster
   * no file takes within SHARED_IDLE_STOP_MS stops.
   */
  async release(): Promise<void> {
    try {
      await this.deleteAddedObjects();
    } finally {
      idleTimer = setTimeout(() => void stopSharedCluster(), SHARED_IDLE_STOP_MS);
    }
  }

  private async deleteAddedObjects(): Promise<void> {
    const baseline = this.baseline ?? new Set<string>();
    this.baseline = undefined;
    const added = (await this.inventory()).filter((o) => !baseline.has(inventoryKey(o)));
    const namespaces = added.filter((o) => o.resource === 'namespaces').map((o) => o.name);
    const byPlace = new Map<string, InventoryItem[]>();
    for (const o of added) {
      if (o.resource === 'namespaces' || namespaces.includes(o.namespace)) continue;
      const place = `${o.resource} ${o.namespace}`;
      byPlace.set(place, [...(byPlace.get(place) ?? []), o]);
    }
    for (const items of byPlace.values()) {
      const { resource, namespace } = items[0]!;
      await this.ok('delete', resource, ...items.map((o) => o.name), ...(namespace ? ['-n', namespace] : []), '--ignore-not-found', '--wait=false');
    }
    if (namespaces.length === 0) return;
    await this.ok('delete', 'namespaces', ...namespaces, '--ignore-not-found', '--wait=false');
    await eventually(`namespaces ${namespaces.join(', ')} to be gone`, RELEASE_TIMEOUT_MS, async () => {
      const left = (await this.ok('get', 'namespaces', '-o', 'name')).split('\n');
      return !namespaces.some((n) => left.includes(`namespace/${n}`));
    });
  }

  /** Every object the cluster holds, but events. */
  private async inventory(): Promise<InventoryItem[]> {
    this.resources ??= this.ok('api-resources', '--verbs=list,delete', '-o', 'name').then((out) => out.split('\n').filter((r) => r && !UNTRACKED_RESOURCES.has(r)));
    const resources = await this.resources;
    // One kubectl run per resource would take seconds; one run lists them all, each line naming its resource.
    const lines = await this.ok('get', resources.join(','), '-A', '-o', 'jsonpath={range .items[*]}{.apiVersion} {.kind} {.metadata.namespace} {.metadata.name}{"\\n"}{end}');
    const plurals = await this.kindPlurals();
    return lines.split('\n').filter(Boolean).map((line) => {
      const [apiVersion, kind, namespace, name] = line.split(' ');
      const group = apiVersion!.includes('/') ? apiVersion!.split('/')[0] : '';
      const plural = plurals.get(`${kind}.${group}`) ?? kind!;
      return { resource: group ? `${plural}.${group}` : plural, namespace: namespace ?? '', name: name ?? '' };
    });
  }

  /** Kind.group → plural resource name, from the API's discovery (`kubectl api-resources`), found once. */
  private kindPlurals(): Promise<Map<string, string>> {
    this.plurals ??= this.readKindPlurals();
    return this.plurals;
  }

  private async readKindPlurals(): Promise<Map<string, string>> {
    const out = await this.ok('api-resources', '--no-headers');
    const plurals = new Map<string, string>();
    for (const line of out.split('\n').filter(Boolean)) {
      // NAME [SHORTNAMES] APIVERSION NAMESPACED KIND: SHORTNAMES may be empty, so read from the right.
      const cols = line.trim().split(/\s+/);
      const kind = cols[cols.length - 1]!;
      const apiVersion = cols[cols.length - 3]!;
      plurals.set(`${kind}.${apiVersion.includes('/') ? apiVersion.split('/')[0] : ''}`, cols[0]!);
    }
    return plurals;
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

function inventoryKey(o: InventoryItem): string {
  return `${o.resource}/${o.namespace}/${o.name}`;
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
