import pino, { Logger } from 'pino';

/** Log levels accepted by --log-level. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The root logger of a Bosun process: JSON lines on stdout (or to `destination` when given),
 * with `component` bound. Components derive children with their own bound fields.
 */
export function createLogger(component: string, level: LogLevel = 'info', destination?: string): Logger {
  const dest = destination ? pino.destination({ dest: destination, mkdir: true, sync: false }) : pino.destination(1);
  return pino({ level, base: { component, pid: process.pid } }, dest);
}

export type { Logger };
