/**
 * Runs a host tool (ip, tar, cc, nsenter) to completion and returns its output; a non-zero exit
 * becomes an error that names the command and carries its stderr.
 */
import { spawn } from 'node:child_process';

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`${command}: ${stderr.trim() || `exit ${exitCode}`}`);
    this.name = 'CommandError';
  }
}

export interface RunOptions {
  input?: string | Buffer;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Runs `file args`; resolves with stdout, rejects with CommandError. */
export function runCommand(file: string, args: string[], options: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => reject(new CommandError(`${file} ${args.join(' ')}`, null, e.message)));
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(new CommandError(`${file} ${args.join(' ')}`, code, Buffer.concat(err).toString('utf8')));
    });
    child.stdin.on('error', () => undefined); // the tool may exit without reading its input
    child.stdin.end(options.input ?? '');
  });
}
