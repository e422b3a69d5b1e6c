/**
 * `bosun exec POD [-c CONTAINER] [-i] [-t] -- COMMAND [ARGS...]`: runs a command in a running
 * container through the apiserver's PodStreams service (kubectl exec) and exits with the
 * command's exit code.
 */
import type * as grpc from '@grpc/grpc-js';
import { Command, Option } from 'commander';
import { apiErrorFromGrpc } from '../../lib/api/grpc-status';
import { podStreamsClient } from '../../lib/client/pod-streams-client';
import type { ExecInput, ExecOutput } from '../../gen/bosun/api/streams/v1/streams';
import { usageError, type CliEnv } from '../cli-env';
import { runAction, withConnectionFlags, type ConnectionFlags } from '../session';
import { podName } from './logs';

interface ExecFlags extends ConnectionFlags {
  container?: string;
  stdin?: boolean;
  tty?: boolean;
}

/** The `exec` command. */
export function execCommand(env: CliEnv): Command {
  const cmd = new Command('exec')
    .description('run a command in a container (kubectl exec)')
    .argument('<pod>', 'the pod (NAME or pod/NAME)')
    .argument('[command...]', 'the command and its arguments, after --')
    .addOption(new Option('-c, --container <name>', 'the container (default: the only one)'))
    .addOption(new Option('-i, --stdin', "pass stdin to the command"))
    .addOption(new Option('-t, --tty', 'run the command with a terminal'));
  withConnectionFlags(cmd);
  return cmd.action(async (pod: string, command: string[], flags: ExecFlags) =>
    runAction(env, flags, async (session) => {
      if (command.length === 0) throw usageError('you must specify at least one command for the container');
      const client = podStreamsClient(session.connection());
      try {
        const call = client.exec();
        const done = relayOutput(call, env);
        call.write({ start: { namespace: session.namespace(), name: podName(pod), container: flags.container ?? '', command, stdin: !!flags.stdin, tty: !!flags.tty } } satisfies ExecInput);
        if (flags.stdin && env.stdin) void pumpStdin(env, call);
        env.interrupt?.addEventListener('abort', () => call.cancel(), { once: true });
        const code = await done;
        if (code !== 0) env.setExitCode(code);
      } finally {
        client.close();
      }
    }),
  );
}

/** Prints the command's output; resolves with its exit code (rejects with the server's error). */
function relayOutput(call: grpc.ClientDuplexStream<ExecInput, ExecOutput>, env: CliEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    let exitCode: number | undefined;
    call.on('data', (out: ExecOutput) => {
      if (out.stdout) env.stdout.write(out.stdout.toString('utf8'));
      else if (out.stderr) env.stderr.write(out.stderr.toString('utf8'));
      else if (out.exitCode !== undefined) exitCode = out.exitCode;
    });
    call.on('error', (err: grpc.ServiceError) => reject(apiErrorFromGrpc(err)));
    call.on('end', () => resolve(exitCode ?? 0));
  });
}

/** Sends stdin as it comes, then says it ended. */
async function pumpStdin(env: CliEnv, call: grpc.ClientDuplexStream<ExecInput, ExecOutput>): Promise<void> {
  try {
    for await (const chunk of env.stdin!) call.write({ stdin: Buffer.from(chunk) });
    call.write({ stdinClose: true });
  } catch {
    // the call ended first
  }
}
