/**
 * `bosun describe KIND [NAME...]` (also `KIND/NAME`, or all objects of a kind matching `-l`):
 * the printers' describe text of each object followed by the events that involve it (listed
 * with an `involvedObject.*` field selector).
 */
import { Command, Option } from 'commander';
import { escapeFieldValue } from '../../lib/api/field-selector';
import type { KubeObject } from '../../lib/api/object';
import type { ApiClient } from '../../lib/client/api-client';
import { formatError, println, usageError, type CliEnv } from '../cli-env';
import { requestNamespace, resolveTargets } from '../command-support';
import { describeText, noResourcesText } from '../output/printer-adapter';
import type { ResourceResolver } from '../resource-resolver';
import { runAction, withConnectionFlags, type ConnectionFlags } from '../session';
import { withTypeMeta } from './get';

interface DescribeFlags extends ConnectionFlags {
  allNamespaces?: boolean;
  selector?: string;
  showEvents?: boolean;
}

/** The field selector of the events about `obj`. */
export function involvedObjectSelector(obj: KubeObject): string {
  const m = obj.metadata;
  const terms = [`involvedObject.name=${escapeFieldValue(m.name ?? '')}`, `involvedObject.namespace=${escapeFieldValue(m.namespace ?? '')}`];
  if (m.uid) terms.push(`involvedObject.uid=${escapeFieldValue(m.uid)}`);
  return terms.join(',');
}

/** The events about `obj` (undefined when events cannot be listed: describe then omits the section). */
async function eventsFor(client: ApiClient, resolver: ResourceResolver, obj: KubeObject): Promise<KubeObject[] | undefined> {
  let info;
  try {
    info = resolver.resolve('events');
  } catch {
    return undefined;
  }
  try {
    const ns = obj.metadata.namespace || undefined;
    const list = await client.resource(info).list(ns, { fieldSelector: involvedObjectSelector(obj) });
    return list.items;
  } catch {
    return undefined;
  }
}

/** The `describe` command. */
export function describeCommand(env: CliEnv): Command {
  const cmd = new Command('describe')
    .description('show details of a resource or group of resources, with their events (kubectl describe)')
    .argument('[resources...]', 'KIND [NAME...] or KIND/NAME ...')
    .addOption(new Option('-A, --all-namespaces', 'across all namespaces'))
    .addOption(new Option('-l, --selector <selector>', 'label selector'))
    .addOption(new Option('--show-events [bool]', 'list the events of each object (default true)').preset('true'));
  withConnectionFlags(cmd);
  return cmd.action(async (args: string[], flags: DescribeFlags & { showEvents?: string }) =>
    runAction(env, flags, async (session) => {
      if (args.length === 0) throw usageError('you must specify the type of resource to describe. Use "bosun api-resources" for a complete list of supported resources.');
      const showEvents = flags.showEvents === undefined || flags.showEvents === 'true';
      if (flags.showEvents !== undefined && flags.showEvents !== 'true' && flags.showEvents !== 'false') throw usageError(`invalid --show-events value "${flags.showEvents}": expected true or false`);
      const resolver = await session.resolver();
      const targets = resolveTargets(args, resolver);
      if (targets.some((t) => t.names.length > 0) && flags.selector) throw usageError('name cannot be provided when a selector is specified');
      const client = await session.client();
      const ns = session.namespace();
      const texts: string[] = [];
      let failed = false;
      for (const t of targets) {
        const rc = client.resource(t.info);
        const reqNs = requestNamespace(t.info, ns, flags.allNamespaces);
        let objects: KubeObject[] = [];
        if (t.names.length > 0) {
          for (const name of t.names) {
            try {
              objects.push(await rc.get(reqNs, name));
            } catch (err) {
              failed = true;
              println(env.stderr, formatError(err));
            }
          }
        } else {
          objects = (await rc.list(reqNs, { labelSelector: flags.selector })).items;
          if (objects.length === 0) println(env.stderr, noResourcesText(t.info.namespaced && !flags.allNamespaces ? ns : undefined));
        }
        for (const o of objects) {
          const obj = withTypeMeta(t.info, o);
          const events = showEvents ? await eventsFor(client, resolver, obj) : undefined;
          texts.push(describeText(obj, events, env.now()));
        }
      }
      env.stdout.write(texts.map((t) => (t.endsWith('\n') ? t : `${t}\n`)).join('\n\n'));
      if (failed) env.setExitCode(1);
    }),
  );
}
