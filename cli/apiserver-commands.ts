/**
 * The kubectl-like commands that talk to the apiserver (apply, get, describe, delete, scale,
 * create, api-resources, logs, exec), and {@link runCli}: the whole command line run in-process against
 * injected streams and an injected ApiClient factory (what the tests use).
 */
import { Command, CommanderError } from 'commander';
import { formatError, println, type CliEnv, type ClientFactory, type TextSink, type TextSource } from './cli-env';
import { apiResourcesCommand } from './commands/api-resources';
import { applyCommand } from './commands/apply';
import { createCommand } from './commands/create-namespace';
import { deleteCommand } from './commands/delete';
import { describeCommand } from './commands/describe';
import { getCommand } from './commands/get';
import { scaleCommand } from './commands/scale';
import { logsCommand } from './commands/logs';
import { execCommand } from './commands/exec';
import { grpcClientFactory } from './grpc-client-factory';
import { hoistConnectionFlags } from './leading-flags';

/**
 * Makes `cmd` and its subcommands throw CommanderErrors instead of exiting, and write help and
 * usage errors to `env`'s streams.
 */
export function configureCommandTree(cmd: Command, out: { stdout: TextSink; stderr: TextSink }): Command {
  cmd.exitOverride();
  cmd.configureOutput({ writeOut: (s) => void out.stdout.write(s), writeErr: (s) => void out.stderr.write(s) });
  for (const sub of cmd.commands) configureCommandTree(sub, out);
  return cmd;
}

/** The apiserver commands, configured to use `env` (register them on the `bosun` program). */
export function apiserverCommands(env: CliEnv): Command[] {
  const cmds = [applyCommand(env), getCommand(env), describeCommand(env), deleteCommand(env), scaleCommand(env), createCommand(env), apiResourcesCommand(env), logsCommand(env), execCommand(env)];
  for (const c of cmds) configureCommandTree(c, env);
  return cmds;
}

/** What {@link runCli} runs against; everything but the output streams has a default. */
export interface RunCliOptions {
  stdout: TextSink;
  stderr: TextSink;
  stdin?: TextSource;
  /** Environment variables; default none (tests stay hermetic). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Working directory; default process.cwd(). */
  cwd?: string;
  now?: () => Date;
  /** Default: the gRPC client. */
  clientFactory?: ClientFactory;
  interrupt?: AbortSignal;
}

/**
 * Runs one command line (`argv` without the node and script arguments, e.g.
 * `['get', 'pods', '-n', 'web']`) in-process; resolves to the exit status (0 or 1, or
 * commander's status for usage errors). Never throws.
 */
export async function runCli(argv: readonly string[], opts: RunCliOptions): Promise<number> {
  let exitCode = 0;
  const env: CliEnv = {
    stdout: opts.stdout,
    stderr: opts.stderr,
    stdin: opts.stdin,
    env: opts.env ?? {},
    cwd: opts.cwd ?? process.cwd(),
    now: opts.now ?? (() => new Date()),
    clientFactory: opts.clientFactory ?? grpcClientFactory,
    interrupt: opts.interrupt,
    watchEndsWithStdin: opts.stdin !== undefined,
    setExitCode: (code) => {
      exitCode = code;
    },
  };
  const program = new Command('bosun').description('Bosun command-line client');
  const commands = apiserverCommands(env);
  for (const c of commands) program.addCommand(c);
  configureCommandTree(program, env);
  try {
    await program.parseAsync(hoistConnectionFlags(argv, new Set(commands.map((c) => c.name()))), { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : err.exitCode || 1;
    println(env.stderr, formatError(err));
    return 1;
  }
  return exitCode;
}
