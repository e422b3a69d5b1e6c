/** A flag value that could not be used; the message names the flag and the value. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
