/** `bosun create namespace NAME` (also `create ns`): prints `namespace/NAME created`. */
import { Command } from 'commander';
import { println, usageError, type CliEnv } from '../cli-env';
import { dryRunSuffix, type DryRun } from '../command-support';
import { runAction, withConnectionFlags, type ConnectionFlags } from '../session';
import { dryRunOption } from './apply';

/** DNS-1123 label: the shape of a namespace name. */
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The `create` command with its `namespace` subcommand. */
export function createCommand(env: CliEnv): Command {
  const ns = new Command('namespace')
    .alias('ns')
    .description('create a namespace with the given name')
    .argument('[name]', 'the namespace name')
    .addOption(dryRunOption());
  withConnectionFlags(ns, false);
  ns.action(async (name: string | undefined, flags: ConnectionFlags & { dryRun?: DryRun }) =>
    runAction(env, flags, async (session) => {
      if (!name) throw usageError('exactly one NAME is required, got 0');
      if (name.length > 63 || !DNS1123_LABEL.test(name)) {
        throw usageError(
          `invalid namespace name "${name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character`,
        );
      }
      const dryRun: DryRun = flags.dryRun ?? 'none';
      const resolver = await session.resolver();
      const info = resolver.resolve('namespaces');
      if (dryRun !== 'client') {
        await (await session.client()).resource(info).create(undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, { dryRun: dryRun === 'server' });
      }
      println(env.stdout, `namespace/${name} created${dryRunSuffix(dryRun)}`);
    }),
  );
  return new Command('create').description('create a resource (kubectl create)').addCommand(ns);
}
