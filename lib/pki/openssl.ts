/**
 * Runs the `openssl` CLI, which makes every key and certificate of the cluster (so no crypto
 * code lives in the project). Throws an Error naming the subcommand and openssl's own message.
 */
import { execFileSync } from 'node:child_process';

/** Longest an openssl invocation may take. */
export const OPENSSL_TIMEOUT_MS = 30_000;

/** Runs `openssl ...args`; throws with a clear message when it fails or is not installed. */
export function openssl(args: string[]): void {
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: OPENSSL_TIMEOUT_MS });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('the openssl command is needed to make the cluster CA and is not on the PATH (Debian: apt-get install openssl)');
    }
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`openssl ${args[0]} failed: ${stderr || (err as Error).message}`);
  }
}
