import type { Logger } from '../lib/logger';

/** Period of the timer that keeps a component's process alive, ms (its value does not matter). */
const KEEP_ALIVE_MS = 60 * 60 * 1000;

/**
 * Makes SIGTERM and SIGINT stop a component cleanly, once: logs the signal, awaits `stop`, and
 * exits 0 (1 when stopping failed). Returns the trigger, for other reasons to stop (e.g. a
 * store member removed from its cluster).
 */
export function exitOnSignals(logger: Logger, stop: () => Promise<void>): (reason: string) => void {
  let stopping = false;
  const trigger = (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal: reason }, 'shutting down');
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => trigger('SIGTERM'));
  process.on('SIGINT', () => trigger('SIGINT'));
  return trigger;
}

/**
 * Keeps the process alive until it exits on purpose. A component waiting for its peers (an
 * apiserver whose store is not up yet) has only unreferenced retry timers and sockets
 * pending, and Node would otherwise end the process, quietly, with code 0.
 */
export function keepAlive(): void {
  setInterval(() => undefined, KEEP_ALIVE_MS);
}
