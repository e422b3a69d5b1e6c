/**
 * `bosun delete (-f FILE|DIR|- | KIND NAME... | KIND/NAME... | KIND -l SEL | KIND --all)`:
 * deletes with kubectl's cascade and grace period flags, prints `pod "x" deleted`, and (unless
 * `--wait=false`) waits until each object is gone. Selections (`-l`, `--field-selector`,
 * `--all`) in one namespace, or of a cluster-scoped kind, are one deletecollection call per
 * kind; across namespaces (`-A`) and with `--dry-run=client` they are a list, then a delete per
 * object.
 */
import { Command, Option } from 'commander';
import type { KubeObject } from '../../lib/api/object';
import type { DeleteRequest } from '../../lib/api/requests';
import { isNotFound } from '../../lib/api/status';
import type { ServedResource } from '../../lib/client/api-client';
import { CliError, formatError, println, usageError, type CliEnv } from '../cli-env';
import { dryRunSuffix, parseBool, parseDurationMs, parseInteger, requestNamespace, resolveTargets, type DryRun } from '../command-support';
import { readManifests } from '../manifests';
import { noResourcesText } from '../output/printer-adapter';
import { runAction, withConnectionFlags, type ConnectionFlags, type Session } from '../session';
import { collectValues, dryRunOption, manifestNamespace } from './apply';

/** How often `--wait` re-reads an object that is being deleted. */
export const DELETE_WAIT_POLL_MS = 500;

interface DeleteFlags extends ConnectionFlags {
  filename?: string[];
  selector?: string;
  fieldSelector?: string;
  all?: boolean;
  allNamespaces?: boolean;
  cascade?: string;
  gracePeriod?: number;
  now?: boolean;
  force?: boolean;
  wait?: boolean;
  timeout?: number;
  ignoreNotFound?: boolean;
  ignoreStoreReadErrorWithClusterBreakingPotential?: boolean;
  dryRun?: DryRun;
}

/** kubectl's `--cascade` values to a propagation policy. */
export function propagationPolicy(cascade: string | undefined): string {
  switch (cascade ?? 'background') {
    case 'background':
    case 'true':
      return 'Background';
    case 'foreground':
      return 'Foreground';
    case 'orphan':
    case 'false':
      return 'Orphan';
    default:
      throw usageError(`invalid cascade value (${cascade}). Must be "background", "foreground", or "orphan".`);
  }
}

/** One object to delete. */
interface Victim {
  info: ServedResource;
  namespace: string | undefined;
  name: string;
}

/** The objects of one kind in one namespace (or cluster-wide) that a selection deletes in one call. */
interface Collection {
  info: ServedResource;
  namespace: string | undefined;
}

/** The message kubectl prints: `pod "x" deleted`, `deployment.apps "web" deleted`. */
export function deletedMessage(info: ServedResource, name: string, dryRun: DryRun): string {
  const s = info.group ? `${info.singular}.${info.group}` : info.singular;
  return `${s} "${name}" deleted${dryRunSuffix(dryRun)}`;
}

async function waitGone(session: Session, v: Victim, uid: string | undefined, deadline: number | undefined): Promise<void> {
  const rc = (await session.client()).resource(v.info);
  for (;;) {
    let live: KubeObject;
    try {
      live = await rc.get(v.namespace, v.name);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (uid && live.metadata.uid && live.metadata.uid !== uid) return;
    if (deadline !== undefined && Date.now() >= deadline) {
      throw new CliError(`error: timed out waiting for the condition on ${v.info.resource}/${v.name}`);
    }
    if (session.env.interrupt?.aborted) return;
    await new Promise((r) => setTimeout(r, DELETE_WAIT_POLL_MS));
  }
}

/** The `delete` command. */
export function deleteCommand(env: CliEnv): Command {
  const cmd = new Command('delete')
    .description('delete resources by file names, stdin, kinds and names, or kinds and selectors (kubectl delete)')
    .argument('[resources...]', 'KIND NAME..., KIND/NAME ..., or KIND with -l / --all')
    .addOption(new Option('-f, --filename <file>', 'a file, a directory of manifests, or - for stdin (repeatable)').argParser(collectValues))
    .addOption(new Option('-l, --selector <selector>', 'label selector'))
    .addOption(new Option('--field-selector <selector>', 'field selector'))
    .addOption(new Option('--all', 'delete all objects of the kinds in the namespace'))
    .addOption(new Option('-A, --all-namespaces', 'with -l or --all: across all namespaces'))
    .addOption(new Option('--cascade <mode>', 'background, foreground or orphan').default('background'))
    .addOption(new Option('--grace-period <seconds>', 'seconds the object has to terminate (-1: its own default)').argParser(parseInteger).default(-1))
    .addOption(new Option('--now', 'same as --grace-period=1'))
    .addOption(new Option('--force', 'with --grace-period=0: delete immediately'))
    .addOption(new Option('--wait [bool]', 'wait until the objects are gone (default true)').argParser(parseBool).preset(true).default(true))
    .addOption(new Option('--timeout <duration>', 'how long to wait (0: forever)').argParser(parseDurationMs).default(0))
    .addOption(new Option('--ignore-not-found', 'treat NotFound as success'))
    .addOption(
      new Option(
        '--ignore-store-read-error-with-cluster-breaking-potential',
        'remove an object the server cannot decode (corrupt in the store) as it is, skipping finalizers; objects that decode are deleted normally',
      ),
    )
    .addOption(dryRunOption());
  withConnectionFlags(cmd);
  return cmd.action(async (args: string[], flags: DeleteFlags) =>
    runAction(env, flags, async (session) => {
      const policy = propagationPolicy(flags.cascade);
      const dryRun: DryRun = flags.dryRun ?? 'none';
      let grace = flags.gracePeriod ?? -1;
      if (flags.now) {
        if (grace !== -1) throw usageError('--now and --grace-period cannot be specified together');
        grace = 1;
      }
      if (grace === 0 && !flags.force) grace = 1;
      const files = flags.filename ?? [];
      if (files.length > 0 && args.length > 0) throw usageError('when paths, URLs, or stdin is provided as input, you may not specify resource arguments as well');
      if (files.length === 0 && args.length === 0) throw usageError('You must provide one or more resources by argument or filename.');
      const selecting = !!flags.selector || !!flags.fieldSelector || !!flags.all;
      const victims: Victim[] = [];
      const collections: Collection[] = [];
      /** What to say when a selection matched nothing (undefined when objects were named). */
      let noResources: string | undefined;
      let failed = false;
      const fail = (err: unknown): void => {
        failed = true;
        println(env.stderr, formatError(err));
      };
      const resolver = await session.resolver();
      if (files.length > 0) {
        const read = await readManifests(files, env);
        for (const e of read.errors) fail(e);
        for (const m of read.manifests) {
          try {
            const name = m.object.metadata.name ?? '';
            const info = resolver.forKind(String(m.object.apiVersion), String(m.object.kind), m.source, name);
            victims.push({ info, namespace: manifestNamespace(m.object, info, session), name });
          } catch (err) {
            fail(err);
          }
        }
      } else {
        const targets = resolveTargets(args, resolver);
        const named = targets.some((t) => t.names.length > 0);
        if (named && selecting) throw usageError('name cannot be provided when a selector or --all is specified');
        if (!named && !selecting) throw usageError('resource(s) were provided, but no name was specified');
        const ns = session.namespace();
        const client = await session.client();
        for (const t of targets) {
          const reqNs = requestNamespace(t.info, ns, flags.allNamespaces);
          if (named) {
            for (const name of t.names) victims.push({ info: t.info, namespace: reqNs, name });
            continue;
          }
          // deletecollection needs a namespace for a namespaced kind; a client dry run only reads.
          if (dryRun !== 'client' && (reqNs !== undefined || !t.info.namespaced)) {
            collections.push({ info: t.info, namespace: reqNs });
            continue;
          }
          const list = await client.resource(t.info).list(reqNs, { labelSelector: flags.selector, fieldSelector: flags.fieldSelector });
          for (const o of list.items) victims.push({ info: t.info, namespace: t.info.namespaced ? o.metadata.namespace : undefined, name: o.metadata.name ?? '' });
        }
        if (!named) {
          const namespaced = targets.some((t) => t.info.namespaced);
          noResources = noResourcesText(namespaced && !flags.allNamespaces ? ns : undefined);
        }
      }
      const opts: DeleteRequest = {
        propagationPolicy: policy,
        ...(grace >= 0 ? { gracePeriodSeconds: grace } : {}),
        ...(dryRun === 'server' ? { dryRun: true } : {}),
        ...(flags.ignoreStoreReadErrorWithClusterBreakingPotential ? { ignoreStoreReadErrorWithClusterBreakingPotential: true } : {}),
      };
      const pending: { v: Victim; uid: string | undefined }[] = [];
      const client = await session.client();
      let selected = victims.length;
      for (const c of collections) {
        try {
          const list = await client.resource(c.info).deleteCollection(c.namespace, { labelSelector: flags.selector, fieldSelector: flags.fieldSelector }, opts);
          for (const o of list.items) {
            const v: Victim = { info: c.info, namespace: c.info.namespaced ? o.metadata.namespace : undefined, name: o.metadata.name ?? '' };
            println(env.stdout, deletedMessage(v.info, v.name, dryRun));
            // Marked only (finalizers, graceful deletion): wait for it like a single delete.
            if (o.metadata.deletionTimestamp && dryRun === 'none') pending.push({ v, uid: o.metadata.uid });
            selected++;
          }
        } catch (err) {
          selected++; // the error is the answer
          fail(err);
        }
      }
      if (noResources !== undefined && selected === 0) println(env.stderr, noResources);
      for (const v of victims) {
        try {
          const rc = client.resource(v.info);
          if (dryRun === 'client') {
            await rc.get(v.namespace, v.name);
            println(env.stdout, deletedMessage(v.info, v.name, dryRun));
            continue;
          }
          const outcome = await rc.delete(v.namespace, v.name, opts);
          println(env.stdout, deletedMessage(v.info, v.name, dryRun));
          if (!outcome.deleted && dryRun === 'none') pending.push({ v, uid: outcome.object?.metadata?.uid });
        } catch (err) {
          if (flags.ignoreNotFound && isNotFound(err)) continue;
          fail(err);
        }
      }
      if (flags.wait !== false && pending.length > 0) {
        const deadline = flags.timeout ? Date.now() + flags.timeout : undefined;
        for (const p of pending) {
          try {
            await waitGone(session, p.v, p.uid, deadline);
          } catch (err) {
            fail(err);
          }
        }
      }
      if (failed) env.setExitCode(1);
    }),
  );
}
