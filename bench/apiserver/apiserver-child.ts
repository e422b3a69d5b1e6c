import { createLogger, LOG_LEVELS, type LogLevel } from '../../lib/logger';
import { ApiServer } from '../../services/apiserver/apiserver';
import { FAILED_LINE_PREFIX, LISTENING_LINE_PREFIX } from './apiserver-process';

/**
 * One apiserver as its own process, for the apiserver benchmark (there is no `bosun apiserver`
 * command yet): serves the gRPC API on a free loopback port over the store members given, and
 * prints one line `LISTENING_LINE_PREFIX host:port` on stdout once it serves. Stops on
 * SIGTERM/SIGINT (and when its parent's stdin closes, so it never outlives the benchmark).
 *
 *   node dist/bench/apiserver/apiserver-child.js --store A,B,C [--log-file F] [--log-level L]
 *     [--token-file F] [--authorization-mode AlwaysAllow|RBAC]
 */

/** How long the child gives the server to shut down on a signal, ms. */
const STOP_TIMEOUT_MS = 3_000;

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const store = flag(argv, '--store');
  if (!store) throw new Error('--store host:port,... is required');
  const level = (flag(argv, '--log-level') ?? 'warn') as LogLevel;
  if (!LOG_LEVELS.includes(level)) throw new Error(`--log-level: unknown level ${level}`);
  const logger = createLogger('apiserver', level, flag(argv, '--log-file'));
  const mode = flag(argv, '--authorization-mode') ?? 'AlwaysAllow';
  if (mode !== 'AlwaysAllow' && mode !== 'RBAC') throw new Error(`--authorization-mode: "${mode}" is not AlwaysAllow or RBAC`);
  const server = await ApiServer.start({ storeEndpoints: store.split(','), grpcListen: '127.0.0.1:0', tokenFile: flag(argv, '--token-file'), authorizationMode: mode }, logger);
  process.stdout.write(`${LISTENING_LINE_PREFIX} ${server.grpcAddress}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(0), STOP_TIMEOUT_MS).unref();
    void server.stop().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
}

main().catch((err) => {
  process.stdout.write(`${FAILED_LINE_PREFIX} ${String((err as Error).stack ?? err).replace(/\n/g, ' | ')}\n`);
  process.exit(1);
});
