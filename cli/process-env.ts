/** The CliEnv of the real `bosun` process: its streams, environment and working directory. */
import type { CliEnv } from './cli-env';
import { grpcClientFactory } from './grpc-client-factory';

/** The process's CliEnv; failures set process.exitCode. */
export function processCliEnv(): CliEnv {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    get stdin() {
      return process.stdin;
    },
    env: process.env,
    cwd: process.cwd(),
    now: () => new Date(),
    clientFactory: grpcClientFactory,
    watchEndsWithStdin: !!process.stdin.isTTY,
    setExitCode: (code) => {
      process.exitCode = code;
    },
  };
}
