import type { Logger } from '../lib/logger';

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
