import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { withLeanMalloc } from '../lean-memory';

/** The `bosun` entry point the launcher runs components with. */
export const BOSUN_BIN = path.resolve(__dirname, '..', '..', '..', 'bin', 'bosun.js');

/**
 * One `bosun <component>` child process of a local cluster, logging to its own file: started
 * (again, after a crash), signalled, watched for an unexpected exit.
 */
export class LocalProcess {
  process: ChildProcess | undefined;
  /** Set when the process exited on its own (not through kill()/stop()). */
  exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(
    readonly name: string,
    readonly logFile: string,
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  get pid(): number | undefined {
    return this.process?.pid;
  }

  /** Starts the process (again, after a kill), appending to its log file. */
  start(): void {
    if (this.isRunning()) return;
    fs.mkdirSync(path.dirname(this.logFile), { recursive: true });
    const out = fs.openSync(this.logFile, 'a');
    this.exitInfo = undefined;
    const child = spawn(process.execPath, [BOSUN_BIN, ...this.args], { stdio: ['ignore', out, out], env: withLeanMalloc(this.env) });
    fs.closeSync(out);
    child.on('exit', (code, signal) => {
      if (this.process === child) this.exitInfo = { code, signal };
    });
    this.process = child;
  }

  /** Sends a signal (SIGKILL for a crash, SIGSTOP/SIGCONT for a pause) and waits for exit on kills. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    if (signal === 'SIGKILL' || signal === 'SIGTERM' || signal === 'SIGINT') await exited;
  }

  isRunning(): boolean {
    const c = this.process;
    return !!c && c.exitCode === null && c.signalCode === null;
  }

  /**
   * Resolves once `probe` succeeds, trying every `pollMs`; rejects with the log's tail if the
   * process exits or `timeoutMs` pass first. `what` names where it should serve (messages).
   */
  protected async pollUntilReady(probe: () => Promise<unknown>, what: string, timeoutMs: number, pollMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exitInfo) throw new Error(`${this.name} exited (${this.exitInfo.signal ?? `code ${this.exitInfo.code}`}); its log ${this.logFile} ends with:\n${this.tailLog()}`);
      try {
        await probe();
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`${this.name} did not serve on ${what} within ${timeoutMs} ms; its log ${this.logFile} ends with:\n${this.tailLog()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  /** Last lines of the log, for error messages. */
  tailLog(lines = 15): string {
    try {
      return fs.readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}
