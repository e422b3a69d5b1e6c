/**
 * `bosun scale KIND NAME... --replicas=N [--current-replicas=M]` (also `KIND/NAME`): sets
 * `spec.replicas` through the scale subresource; prints `deployment.apps/web scaled`.
 */
import { Command, Option } from 'commander';
import { CliError, formatError, println, usageError, type CliEnv } from '../cli-env';
import { dryRunSuffix, parseInteger, requestNamespace, resolveTargets, type DryRun } from '../command-support';
import { resourcePrefix } from '../resource-resolver';
import { runAction, withConnectionFlags, type ConnectionFlags } from '../session';
import { dryRunOption } from './apply';

interface ScaleFlags extends ConnectionFlags {
  replicas?: number;
  currentReplicas?: number;
  resourceVersion?: string;
  dryRun?: DryRun;
}

/** The `scale` command. */
export function scaleCommand(env: CliEnv): Command {
  const cmd = new Command('scale')
    .description('set a new size for a deployment, replica set or stateful set (kubectl scale)')
    .argument('[resources...]', 'KIND NAME... or KIND/NAME ...')
    .addOption(new Option('--replicas <count>', 'the new number of replicas').argParser(parseInteger))
    .addOption(new Option('--current-replicas <count>', 'precondition: the current size must be this').argParser(parseInteger))
    .addOption(new Option('--resource-version <version>', 'precondition: the current resourceVersion must be this'))
    .addOption(dryRunOption());
  withConnectionFlags(cmd);
  return cmd.action(async (args: string[], flags: ScaleFlags) =>
    runAction(env, flags, async (session) => {
      if (flags.replicas === undefined || flags.replicas < 0) {
        throw usageError('The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0');
      }
      if (args.length === 0) throw usageError('You must provide one or more resources by argument or filename.');
      const dryRun: DryRun = flags.dryRun ?? 'none';
      const resolver = await session.resolver();
      const targets = resolveTargets(args, resolver);
      if (targets.some((t) => t.names.length === 0)) throw usageError('resource(s) were provided, but no name was specified');
      const client = await session.client();
      const ns = session.namespace();
      let failed = false;
      for (const t of targets) {
        const rc = client.resource(t.info);
        const reqNs = requestNamespace(t.info, ns);
        for (const name of t.names) {
          try {
            if (!t.info.subresources.includes('scale')) {
              throw new CliError(`error: no scaler has been implemented for ${t.info.group ? `${t.info.kind}.${t.info.group}` : t.info.kind} (${t.info.resource} serve no scale subresource)`);
            }
            const scale = await rc.getScale(reqNs, name);
            const current = scale.spec?.replicas ?? 0;
            if (flags.currentReplicas !== undefined && flags.currentReplicas !== current) {
              throw new CliError(`error: Expected replicas to be ${flags.currentReplicas}, was ${current}`);
            }
            if (flags.resourceVersion && flags.resourceVersion !== scale.metadata.resourceVersion) {
              throw new CliError(`error: Expected resourceVersion to be ${flags.resourceVersion}, was ${scale.metadata.resourceVersion ?? ''}`);
            }
            const preconditioned = flags.currentReplicas !== undefined || !!flags.resourceVersion;
            const next = {
              ...scale,
              metadata: { ...scale.metadata, resourceVersion: preconditioned ? scale.metadata.resourceVersion : undefined },
              spec: { ...(scale.spec ?? {}), replicas: flags.replicas },
            };
            if (dryRun !== 'client') await rc.updateScale(reqNs, name, next, { dryRun: dryRun === 'server' });
            println(env.stdout, `${resourcePrefix(t.info)}/${name} scaled${dryRunSuffix(dryRun)}`);
          } catch (err) {
            failed = true;
            println(env.stderr, formatError(err));
          }
        }
      }
      if (failed) env.setExitCode(1);
    }),
  );
}
