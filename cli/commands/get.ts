/**
 * `bosun get KIND[,KIND2] [NAME...]` (also `KIND/NAME ...` and `get all`): tables through the
 * printers, `-o wide|yaml|json|name`, `-A`, selectors, `--show-labels`, and `-w` (the current
 * list, then one row per change, until Ctrl-C, the end of stdin or `--watch-timeout`).
 */
import { Command, Option } from 'commander';
import type { KubeObject } from '../../lib/api/object';
import { apiVersionOf } from '../../lib/api/object';
import { isNotFound } from '../../lib/api/status';
import type { ServedResource } from '../../lib/client/api-client';
import { formatError, println, usageError, type CliEnv } from '../cli-env';
import { parseDurationMs, requestNamespace, resolveTargets, type NamedTargets } from '../command-support';
import { noResourcesText, tableText } from '../output/printer-adapter';
import { parseOutputFormat, toJsonText, toYamlText, type OutputFormat } from '../output/serialize';
import { resourcePrefix } from '../resource-resolver';
import { runAction, withConnectionFlags, type ConnectionFlags, type Session } from '../session';
import { resumingWatch } from '../../lib/client/resuming-watch';

interface GetFlags extends ConnectionFlags {
  allNamespaces?: boolean;
  selector?: string;
  fieldSelector?: string;
  output?: string;
  watch?: boolean;
  watchOnly?: boolean;
  watchTimeout?: number;
  showLabels?: boolean;
  /** false with --no-headers. */
  headers?: boolean;
  ignoreNotFound?: boolean;
}

/** The objects found for one kind. */
interface Found {
  info: ServedResource;
  objects: KubeObject[];
}

/** `obj` with apiVersion and kind filled in (list items may lack them). */
export function withTypeMeta(info: ServedResource, obj: KubeObject): KubeObject {
  return { ...obj, apiVersion: obj.apiVersion ?? apiVersionOf(info), kind: obj.kind ?? info.kind };
}

/** kubectl's `v1/List` wrapper for several objects. */
export function asList(items: KubeObject[]): Record<string, unknown> {
  return { apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } };
}

function checkFlags(flags: GetFlags, targets: NamedTargets[]): void {
  const named = targets.some((t) => t.names.length > 0);
  if (named && flags.selector) throw usageError('name cannot be provided when a selector is specified');
  if (named && flags.allNamespaces && targets.some((t) => t.info.namespaced)) {
    throw usageError('a resource cannot be retrieved by name across all namespaces');
  }
  if (flags.watchTimeout !== undefined && !flags.watch && !flags.watchOnly) throw usageError('--watch-timeout requires --watch or --watch-only');
}

/** The `get` command. */
export function getCommand(env: CliEnv): Command {
  const cmd = new Command('get')
    .description('display one or many resources (kubectl get)')
    .argument('[resources...]', 'KIND[,KIND2] [NAME...], or KIND/NAME ...; "all" for the common kinds')
    .addOption(new Option('-A, --all-namespaces', 'list across all namespaces'))
    .addOption(new Option('-l, --selector <selector>', 'label selector, e.g. app=web,tier!=db'))
    .addOption(new Option('--field-selector <selector>', 'field selector, e.g. metadata.name=web,status.phase=Running'))
    .addOption(new Option('-o, --output <format>', 'wide, yaml, json or name'))
    .addOption(new Option('-w, --watch', 'after listing, watch for changes'))
    .addOption(new Option('--watch-only', 'watch for changes without listing first'))
    .addOption(new Option('--watch-timeout <duration>', 'stop watching after this long (e.g. 30s)').argParser(parseDurationMs))
    .addOption(new Option('--show-labels', 'add a LABELS column'))
    .addOption(new Option('--no-headers', 'omit the header line'))
    .addOption(new Option('--ignore-not-found', 'treat NotFound for named objects as success'));
  withConnectionFlags(cmd);
  return cmd.action(async (args: string[], flags: GetFlags) =>
    runAction(env, flags, async (session) => {
      if (args.length === 0) {
        throw usageError('you must specify the type of resource to get. Use "bosun api-resources" for a complete list of supported resources.');
      }
      const format = parseOutputFormat(flags.output);
      const resolver = await session.resolver();
      const targets = resolveTargets(args, resolver);
      checkFlags(flags, targets);
      if (flags.watch || flags.watchOnly) {
        if (targets.length !== 1 || targets[0]!.names.length > 1) throw usageError('you may only specify a single resource type (and at most one name) with --watch');
        await watchResource(session, targets[0]!, flags, format);
        return;
      }
      await getResources(session, targets, flags, format, args);
    }),
  );
}

async function getResources(session: Session, targets: NamedTargets[], flags: GetFlags, format: OutputFormat, args: string[]): Promise<void> {
  const env = session.env;
  const ns = session.namespace();
  const client = await session.client();
  const errors: unknown[] = [];
  const found: Found[] = [];
  for (const t of targets) {
    const rc = client.resource(t.info);
    const reqNs = requestNamespace(t.info, ns, flags.allNamespaces);
    const objects: KubeObject[] = [];
    if (t.names.length > 0) {
      for (const name of t.names) {
        try {
          objects.push(withTypeMeta(t.info, await rc.get(reqNs, name)));
        } catch (err) {
          if (!(flags.ignoreNotFound && isNotFound(err))) errors.push(err);
        }
      }
    } else {
      try {
        const list = await rc.list(reqNs, { labelSelector: flags.selector, fieldSelector: flags.fieldSelector });
        for (const o of list.items) objects.push(withTypeMeta(t.info, o));
      } catch (err) {
        errors.push(err);
      }
    }
    found.push({ info: t.info, objects });
  }
  const all = found.flatMap((f) => f.objects);
  const singleNamed = targets.length === 1 && targets[0]!.names.length === 1 && !args[0]!.includes(',');
  switch (format) {
    case 'json':
    case 'yaml': {
      const value = singleNamed && all.length === 1 ? all[0] : asList(all);
      if (all.length > 0 || !singleNamed) env.stdout.write(format === 'json' ? toJsonText(value) : toYamlText(value));
      break;
    }
    case 'name':
      for (const f of found) for (const o of f.objects) println(env.stdout, `${resourcePrefix(f.info)}/${o.metadata.name ?? ''}`);
      break;
    case '':
    case 'wide': {
      const texts = found
        .filter((f) => f.objects.length > 0)
        .map((f) =>
          tableText(f.objects, {
            kind: f.info.kind,
            group: f.info.group,
            now: env.now(),
            wide: format === 'wide',
            withNamespace: !!flags.allNamespaces && f.info.namespaced,
            showLabels: flags.showLabels,
            noHeaders: flags.headers === false,
            withKindPrefix: targets.length > 1,
          }),
        );
      env.stdout.write(texts.join('\n'));
      break;
    }
  }
  const anyNamed = targets.some((t) => t.names.length > 0);
  if (all.length === 0 && errors.length === 0 && !anyNamed && format !== 'json' && format !== 'yaml') {
    const namespaced = targets.some((t) => t.info.namespaced);
    println(env.stderr, noResourcesText(namespaced && !flags.allNamespaces ? ns : undefined));
  }
  for (const e of errors) println(env.stderr, formatError(e));
  if (errors.length > 0) env.setExitCode(1);
}

/** Resolves when the watch should end: timeout, Ctrl-C or (when enabled) the end of stdin. */
function stopSignal(env: CliEnv, timeoutMs: number | undefined): { promise: Promise<void>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  let stdinIt: AsyncIterator<string | Uint8Array> | undefined;
  const promise = new Promise<void>((resolve) => {
    if (timeoutMs !== undefined) timer = setTimeout(resolve, timeoutMs);
    if (env.interrupt) {
      if (env.interrupt.aborted) resolve();
      onAbort = () => resolve();
      env.interrupt.addEventListener('abort', onAbort, { once: true });
    }
    if (env.watchEndsWithStdin && env.stdin) {
      const it = env.stdin[Symbol.asyncIterator]();
      stdinIt = it;
      void (async () => {
        try {
          // Input is ignored; only its end matters.
          while (!(await it.next()).done);
        } catch {
          // A broken stdin ends the watch too.
        }
        resolve();
      })();
    }
  });
  return {
    promise,
    cancel(): void {
      if (timer) clearTimeout(timer);
      if (onAbort) env.interrupt?.removeEventListener('abort', onAbort);
      // Stop reading stdin so that it does not keep the process alive.
      void stdinIt?.return?.()?.catch(() => undefined);
    },
  };
}

async function watchResource(session: Session, target: NamedTargets, flags: GetFlags, format: OutputFormat): Promise<void> {
  const env = session.env;
  const info = target.info;
  const reqNs = requestNamespace(info, session.namespace(), flags.allNamespaces);
  const rc = (await session.client()).resource(info);
  const fieldSelector = [flags.fieldSelector, target.names[0] ? `metadata.name=${target.names[0]}` : undefined].filter((s) => s).join(',') || undefined;
  const list = await rc.list(reqNs, { labelSelector: flags.selector, fieldSelector });
  // A named watch of an absent object fails with the server's NotFound, as kubectl's does.
  if (target.names[0] && list.items.length === 0) await rc.get(reqNs, target.names[0]);
  let headerDone = flags.headers === false;
  let yamlDocs = 0;
  const print = (objects: KubeObject[]): void => {
    if (objects.length === 0) return;
    switch (format) {
      case 'json':
        for (const o of objects) env.stdout.write(toJsonText(o));
        return;
      case 'yaml':
        for (const o of objects) env.stdout.write(`${yamlDocs++ > 0 ? '---\n' : ''}${toYamlText(o)}`);
        return;
      case 'name':
        for (const o of objects) println(env.stdout, `${resourcePrefix(info)}/${o.metadata.name ?? ''}`);
        return;
      case '':
      case 'wide':
        env.stdout.write(
          tableText(objects, {
            kind: info.kind,
            group: info.group,
            now: env.now(),
            wide: format === 'wide',
            withNamespace: !!flags.allNamespaces && info.namespaced,
            showLabels: flags.showLabels,
            noHeaders: headerDone,
          }),
        );
        headerDone = true;
    }
  };
  if (!flags.watchOnly) print(list.items.map((o) => withTypeMeta(info, o)));
  // Resumes from the last resourceVersion when the apiserver goes away (the other one takes over).
  const watch = resumingWatch(rc, reqNs, { resourceVersion: list.metadata.resourceVersion, labelSelector: flags.selector, fieldSelector });
  const stop = stopSignal(env, flags.watchTimeout);
  const stopped = stop.promise.then(() => 'stop' as const);
  const it = watch[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await Promise.race([it.next(), stopped]);
      if (next === 'stop' || next.done) break;
      if (next.value.type === 'BOOKMARK') continue;
      print([withTypeMeta(info, next.value.object)]);
    }
  } finally {
    stop.cancel();
    watch.stop();
  }
}
