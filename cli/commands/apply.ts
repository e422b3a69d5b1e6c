/**
 * `bosun apply -f FILE|DIR|-`: kubectl's client-side apply. The manifest as applied is kept in
 * the `kubectl.kubernetes.io/last-applied-configuration` annotation; an absent object is
 * created; a present one gets the three-way JSON merge patch (last applied, desired, live),
 * applied locally and written with the live resourceVersion (retried on Conflict). Each object
 * prints `kind.group/name created|configured|unchanged`; a failure is reported and the next
 * object applied; the exit status is 1 if any failed.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { ApiError } from '../../lib/api/errors';
import type { KubeObject } from '../../lib/api/object';
import { applyMergePatch, threeWayMergePatch } from '../../lib/api/patch/json-merge-patch';
import { jsonEqual, type JsonValue } from '../../lib/api/patch/json-value';
import { isConflict, isNotFound } from '../../lib/api/status';
import type { ServedResource } from '../../lib/client/api-client';
import { CliError, formatError, println, usageError, type CliEnv } from '../cli-env';
import { dryRunSuffix, type DryRun } from '../command-support';
import { readManifests, type Manifest } from '../manifests';
import { resourcePrefix } from '../resource-resolver';
import { runAction, withConnectionFlags, type ConnectionFlags, type Session } from '../session';
import { toJsonText } from '../output/serialize';

/** The annotation holding the last applied manifest. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** How many times an update is retried after a Conflict (re-reading the live object each time). */
export const APPLY_CONFLICT_RETRIES = 5;

/** Collects repeated `-f` values (commander argParser). */
export function collectValues(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

interface ApplyFlags extends ConnectionFlags {
  filename?: string[];
  dryRun?: DryRun;
}

/** What applying one object did. */
export type ApplyResult = 'created' | 'configured' | 'unchanged';

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * The patch apply sends: kubectl's three-way JSON merge patch. `{}` means unchanged. The one
 * place apply's patch is computed.
 *
 * JSON merge patch replaces arrays whole, and the server defaults fields inside list items
 * (`containers[].imagePullPolicy`), so a re-applied manifest would always differ. Until a
 * three-way strategic merge patch exists, an array is left out of the patch when the manifest's
 * array is the one last applied and the live array still holds it with only fields added.
 */
export function computeApplyPatch(lastApplied: KubeObject | undefined, desired: KubeObject, live: KubeObject): Record<string, unknown> {
  const patch = threeWayMergePatch(lastApplied as unknown as JsonValue | undefined, desired as unknown as JsonValue, live as unknown as JsonValue);
  if (!isRecord(patch)) return {};
  pruneDefaultedArrays(patch, lastApplied, desired, live);
  return patch;
}

/** Removes from `patch` the arrays unchanged since the last apply that live only extends; prunes emptied objects. */
function pruneDefaultedArrays(patch: Record<string, unknown>, last: unknown, desired: unknown, live: unknown): void {
  for (const key of Object.keys(patch)) {
    const p = patch[key];
    const d = isRecord(desired) ? desired[key] : undefined;
    const l = isRecord(live) ? live[key] : undefined;
    const la = isRecord(last) ? last[key] : undefined;
    if (Array.isArray(p) && Array.isArray(d)) {
      if (la !== undefined && jsonEqual(la as JsonValue, d as JsonValue) && containedIn(d, l)) delete patch[key];
    } else if (isRecord(p)) {
      pruneDefaultedArrays(p, la, d, l);
      if (Object.keys(p).length === 0) delete patch[key];
    }
  }
}

/** Whether `live` holds everything of `want` (objects may have more fields; arrays match item by item). */
function containedIn(want: unknown, live: unknown): boolean {
  if (Array.isArray(want)) return Array.isArray(live) && live.length === want.length && want.every((w, i) => containedIn(w, live[i]));
  if (isRecord(want)) return isRecord(live) && Object.keys(want).every((k) => containedIn(want[k], live[k]));
  return jsonEqual(want as JsonValue, live as JsonValue);
}

/**
 * The object to send: the manifest with its namespace settled and the last-applied
 * annotation set to the manifest itself (without that annotation), as kubectl serializes it.
 */
export function withLastApplied(obj: KubeObject): KubeObject {
  const copy = JSON.parse(JSON.stringify(obj)) as KubeObject;
  const annotations = { ...(copy.metadata.annotations ?? {}) };
  delete annotations[LAST_APPLIED_ANNOTATION];
  if (Object.keys(annotations).length > 0) copy.metadata.annotations = annotations;
  else delete copy.metadata.annotations;
  const lastApplied = JSON.stringify(JSON.parse(toJsonText(copy)));
  return { ...copy, metadata: { ...copy.metadata, annotations: { ...annotations, [LAST_APPLIED_ANNOTATION]: `${lastApplied}\n` } } };
}

/** The manifest recorded on a live object, if readable. */
export function lastAppliedOf(live: KubeObject): KubeObject | undefined {
  const text = live.metadata?.annotations?.[LAST_APPLIED_ANNOTATION];
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    return isRecord(v) ? (v as KubeObject) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The namespace of a manifest for a namespaced kind: the manifest's, else `-n`, else the
 * context's (session.namespace()). A manifest namespace that contradicts `-n` is kubectl's
 * error.
 */
export function manifestNamespace(obj: KubeObject, info: ServedResource, session: Pick<Session, 'explicitNamespace' | 'namespace'>): string | undefined {
  if (!info.namespaced) return undefined;
  const own = obj.metadata.namespace;
  const flag = session.explicitNamespace;
  if (own && flag && own !== flag) {
    throw new CliError(
      `error: the namespace from the provided object "${own}" does not match the namespace "${flag}". You must pass '--namespace=${own}' to perform this operation.`,
    );
  }
  return own || session.namespace();
}

/** Applies one manifest; returns what it did. Throws ApiErrors (with `context` set on the caller side) or CliErrors. */
export async function applyOne(session: Session, m: Manifest, dryRun: DryRun): Promise<{ result: ApplyResult; label: string }> {
  const resolver = await session.resolver();
  const obj = m.object;
  const name = typeof obj.metadata.name === 'string' ? obj.metadata.name : '';
  const info = resolver.forKind(String(obj.apiVersion), String(obj.kind), m.source, name, typeof obj.metadata.namespace === 'string' ? obj.metadata.namespace : '');
  if (!name) {
    throw new CliError(`error: error when retrieving current configuration of ${resourcePrefix(info)} from "${m.source}": metadata.name is required (apply cannot use generateName)`);
  }
  const ns = manifestNamespace(obj, info, session);
  const desiredBase: KubeObject = { ...obj, metadata: { ...obj.metadata } };
  if (ns) desiredBase.metadata.namespace = ns;
  else delete desiredBase.metadata.namespace;
  const desired = withLastApplied(desiredBase);
  const label = `${resourcePrefix(info)}/${name}`;
  const client = (await session.client()).resource(info);
  const writeOpts = { dryRun: dryRun === 'server', fieldManager: 'kubectl-client-side-apply' };
  for (let attempt = 0; ; attempt++) {
    let live: KubeObject;
    try {
      live = await client.get(ns, name);
    } catch (err) {
      if (!isNotFound(err)) throw withContext(err, `error when retrieving current configuration of:\nResource: "${info.group ? `${info.group}/${info.version}` : info.version}, Resource=${info.resource}", GroupVersionKind: "${String(obj.apiVersion)}, Kind=${info.kind}"\nName: "${name}", Namespace: "${ns ?? ''}"\nfrom server for: "${m.source}"`);
      if (dryRun !== 'client') {
        try {
          await client.create(ns, desired, writeOpts);
        } catch (e) {
          throw withContext(e, `error when creating "${m.source}"`);
        }
      }
      return { result: 'created', label };
    }
    const patch = computeApplyPatch(lastAppliedOf(live), desired, live);
    if (Object.keys(patch).length === 0) return { result: 'unchanged', label };
    if (dryRun === 'client') return { result: 'configured', label };
    const next = applyMergePatch(live as unknown as JsonValue, patch as JsonValue) as unknown as KubeObject;
    next.metadata = { ...next.metadata, resourceVersion: live.metadata.resourceVersion };
    try {
      const written = await client.update(ns, next, writeOpts);
      // The server writes nothing when the result equals the live object (e.g. a Secret's
      // stringData already folded into data): the object is unchanged.
      const same = dryRun !== 'server' && written.metadata.resourceVersion === live.metadata.resourceVersion;
      return { result: same ? 'unchanged' : 'configured', label };
    } catch (err) {
      if (isConflict(err) && attempt < APPLY_CONFLICT_RETRIES) continue;
      throw withContext(err, `error when applying patch:\n${JSON.stringify(patch)}\nto:\nResource: "${info.group ? `${info.group}/${info.version}` : info.version}, Resource=${info.resource}", GroupVersionKind: "${String(obj.apiVersion)}, Kind=${info.kind}"\nName: "${name}", Namespace: "${ns ?? ''}"\nfor: "${m.source}"`);
    }
  }
}

/** An ApiError whose message carries `context` first (as kubectl's AddSourceToErr). */
function withContext(err: unknown, context: string): unknown {
  if (err instanceof ApiError && err.reason !== 'Invalid') return new ApiError(err.code, err.reason, `${context}: ${err.message}`, err.details);
  return err;
}

/** Validates `--dry-run` (commander argParser). */
export function parseDryRun(value: string): DryRun {
  if (value === 'none' || value === 'client' || value === 'server') return value;
  throw new InvalidArgumentError(`Invalid dry-run value (${value}). Must be "none", "server", or "client".`);
}

/** `--dry-run[=none|client|server]`. */
export function dryRunOption(): Option {
  return new Option('--dry-run [strategy]', 'none, client (nothing sent) or server (validated, not persisted)').preset('client').argParser(parseDryRun);
}

/** The `apply` command. */
export function applyCommand(env: CliEnv): Command {
  const cmd = new Command('apply')
    .description('apply a configuration to a resource by file name or stdin (kubectl apply)')
    .addOption(new Option('-f, --filename <file>', 'a file, a directory of .yaml/.yml/.json files, or - for stdin (repeatable)').argParser(collectValues))
    .addOption(dryRunOption());
  withConnectionFlags(cmd);
  return cmd.action(async (flags: ApplyFlags) =>
    runAction(env, flags, async (session) => {
      const files = flags.filename ?? [];
      if (files.length === 0) throw usageError('must specify one of -f and -k');
      const dryRun: DryRun = flags.dryRun ?? 'none';
      const read = await readManifests(files, env);
      if (read.manifests.length > 0) await session.resolver(); // an unreachable server fails once, not per object
      let failed = read.errors.length > 0;
      for (const m of read.manifests) {
        try {
          const { result, label } = await applyOne(session, m, dryRun);
          println(env.stdout, `${label} ${result}${dryRunSuffix(dryRun)}`);
        } catch (err) {
          failed = true;
          println(env.stderr, formatError(err));
        }
      }
      for (const e of read.errors) println(env.stderr, formatError(e));
      if (read.manifests.length === 0 && read.errors.length === 0) {
        throw usageError('no objects passed to apply');
      }
      if (failed) env.setExitCode(1);
    }),
  );
}
