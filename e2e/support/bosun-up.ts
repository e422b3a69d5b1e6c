import { ChildProcess, spawn } from 'node:child_process';
import { BOSUN_BIN } from '../../lib/launcher/local-process';

/** A running `bosun up` (what `npm start` runs) and its collected output. */
export interface RunningUp {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves with the output once `re` matches it; rejects after `ms` or when the process exits. */
  waitFor(re: RegExp, ms: number): Promise<string>;
  readonly exited: Promise<number | null>;
  /** SIGKILLs `bosun up` and every process it started (its whole process group). */
  killAll(): void;
}

/** Starts `bosun up ARGS` (in `env`, which its components inherit) with its stdout and stderr collected. */
export function startUp(args: string[], env: NodeJS.ProcessEnv = process.env): RunningUp {
  // Its own process group, so a failed test can kill the members and apiservers with it.
  const child = spawn(process.execPath, [BOSUN_BIN, 'up', ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = async (re: RegExp, ms: number) => {
    const deadline = Date.now() + ms;
    while (!re.test(out)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`did not see ${re} in:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return out;
  };
  const killAll = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  return { child, output: () => out, waitFor, exited, killAll };
}

/**
 * etcdctl's environment for the store of a `bosun up` whose output is `out`: the variables of
 * its printed `export ETCDCTL_…` line (endpoints, and the CA, client certificate and key of the
 * store's mutual TLS). Throws when the output has no endpoints.
 */
export function etcdctlEnvFromUp(out: string): Record<string, string> {
  const line = /export (ETCDCTL_\S+=\S+(?: ETCDCTL_\S+=\S+)*)/.exec(out)?.[1];
  if (!line) throw new Error(`bosun up printed no ETCDCTL_ENDPOINTS:\n${out}`);
  const env = Object.fromEntries(line.split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  if (!env.ETCDCTL_ENDPOINTS) throw new Error(`bosun up printed no ETCDCTL_ENDPOINTS:\n${out}`);
  return env;
}
