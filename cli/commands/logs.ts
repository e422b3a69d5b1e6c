/**
 * `bosun logs POD [-c CONTAINER] [-f] [--tail N] [--since DURATION] [--timestamps] [--previous]`:
 * a container's log through the apiserver's PodStreams service (kubectl logs).
 */
import { Command, Option } from 'commander';
import { apiErrorFromGrpc } from '../../lib/api/grpc-status';
import { podStreamsClient } from '../../lib/client/pod-streams-client';
import { usageError, type CliEnv } from '../cli-env';
import { parseDurationMs, parseInteger } from '../command-support';
import { runAction, withConnectionFlags, type ConnectionFlags } from '../session';

interface LogsFlags extends ConnectionFlags {
  container?: string;
  follow?: boolean;
  tail?: number;
  since?: number;
  timestamps?: boolean;
  previous?: boolean;
  limitBytes?: number;
}

/** The `logs` command. */
export function logsCommand(env: CliEnv): Command {
  const cmd = new Command('logs')
    .description("print a container's log (kubectl logs)")
    .argument('<pod>', 'the pod (NAME or pod/NAME)')
    .addOption(new Option('-c, --container <name>', 'the container (default: the only one)'))
    .addOption(new Option('-f, --follow', 'keep printing new lines until the container exits'))
    .addOption(new Option('--tail <lines>', 'only the last N lines (-1: all)').argParser(parseInteger))
    .addOption(new Option('--since <duration>', 'only lines newer than this, e.g. 5s, 2m, 3h').argParser(parseDurationMs))
    .addOption(new Option('--timestamps', 'prefix every line with its time'))
    .addOption(new Option('-p, --previous', "the previous instance's log"))
    .addOption(new Option('--limit-bytes <bytes>', 'stop after this many bytes').argParser(parseInteger));
  withConnectionFlags(cmd);
  return cmd.action(async (pod: string, flags: LogsFlags) =>
    runAction(env, flags, async (session) => {
      const name = podName(pod);
      const client = podStreamsClient(session.connection());
      try {
        const call = client.logs({
          namespace: session.namespace(),
          name,
          container: flags.container ?? '',
          follow: !!flags.follow,
          tailLines: flags.tail !== undefined && flags.tail >= 0 ? flags.tail : undefined,
          sinceSeconds: flags.since !== undefined ? Math.max(1, Math.ceil(flags.since / 1000)) : 0,
          sinceTime: '',
          timestamps: !!flags.timestamps,
          previous: !!flags.previous,
          limitBytes: flags.limitBytes ?? 0,
        });
        env.interrupt?.addEventListener('abort', () => call.cancel(), { once: true });
        try {
          for await (const chunk of call) env.stdout.write((chunk as { data: Buffer }).data.toString('utf8'));
        } catch (err) {
          if ((err as { code?: number }).code === 1 /* CANCELLED: Ctrl-C */) return;
          throw apiErrorFromGrpc(err as Partial<import('@grpc/grpc-js').ServiceError>);
        }
      } finally {
        client.close();
      }
    }),
  );
}

/** The pod name of `pod/NAME` or `NAME`; a usage error for another kind. */
export function podName(arg: string): string {
  const slash = arg.indexOf('/');
  if (slash < 0) return arg;
  const kind = arg.slice(0, slash).toLowerCase();
  if (!['pod', 'pods', 'po'].includes(kind)) throw usageError(`only pods stream: "${arg}" is not a pod`);
  return arg.slice(slash + 1);
}
