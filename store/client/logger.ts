/**
 * The logging surface the client needs: pino's `(object, message)` call shape, so a pino
 * logger (or a child of one) can be passed directly, and a test can pass a fake.
 */
export interface ClientLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** A logger that drops everything (the default). */
export const SILENT_LOGGER: ClientLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
