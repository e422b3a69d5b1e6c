/**
 * The file sets of the configMap, secret, downwardAPI and projected volume sources (what the
 * AtomicWriter writes), with Kubernetes' rules: no `items` = every key as a file; `items` map a
 * key to a path with its own mode; `defaultMode` (0644) otherwise; a missing object or key is an
 * error unless the source is `optional`. Errors carry Kubernetes' wording; the caller adds the
 * FailedMount prefix.
 */
import type { Pod } from '../../../lib/api/types';
import type { Payload } from './atomic-writer';
import { containerResourceValue, findContainer, podFieldValue, type NodeAllocatable, type ObjectFieldSelector, type ResourceFieldSelector } from './field-ref';
import { configMapBytes, secretBytes, type PodObjectSource } from './object-source';
import type { PodTokenSource } from './pod-tokens';

/** The mode of projected files when the volume names none (0644). */
export const DEFAULT_FILE_MODE = 0o644;

export interface KeyToPath {
  key?: string;
  path?: string;
  mode?: number;
}
export interface ObjectProjection {
  name?: string;
  secretName?: string;
  items?: KeyToPath[];
  optional?: boolean;
  defaultMode?: number;
}
export interface DownwardApiFile {
  path?: string;
  fieldRef?: ObjectFieldSelector;
  resourceFieldRef?: ResourceFieldSelector;
  mode?: number;
}
export interface ProjectedSource {
  configMap?: ObjectProjection;
  secret?: ObjectProjection;
  downwardAPI?: { items?: DownwardApiFile[] };
  serviceAccountToken?: { audience?: string; expirationSeconds?: number; path?: string };
  [other: string]: unknown;
}

/** What projection reads. */
export interface ProjectionContext {
  objects: PodObjectSource;
  node: NodeAllocatable;
  /** ServiceAccount tokens (none: a serviceAccountToken source cannot be fulfilled). */
  tokens?: PodTokenSource;
}

/** Adds `values` by `items` (or all keys) to `out`; `what` words the missing-key error. */
function project(out: Payload, values: Map<string, Buffer>, items: KeyToPath[] | undefined, mode: number, optional: boolean, missingKey: (key: string) => string): void {
  if (!items || items.length === 0) {
    for (const [k, v] of values) out.set(k, { data: v, mode });
    return;
  }
  for (const item of items) {
    const v = values.get(item.key ?? '');
    if (v === undefined) {
      if (optional) continue;
      throw new Error(missingKey(item.key ?? ''));
    }
    out.set(item.path ?? '', { data: v, mode: item.mode ?? mode });
  }
}

/** Adds a ConfigMap's files; a missing ConfigMap adds nothing when optional. */
export async function projectConfigMap(out: Payload, pod: Pod, src: ObjectProjection, mode: number, ctx: ProjectionContext): Promise<void> {
  const name = src.name ?? '';
  const cm = await ctx.objects.configMap(pod.metadata.namespace ?? 'default', name);
  if (!cm) {
    if (src.optional) return;
    throw new Error(`configmap "${name}" not found`);
  }
  project(out, configMapBytes(cm), src.items, mode, !!src.optional, (k) => `configmap references non-existent config key: ${k}`);
}

/** Adds a Secret's files (`secretName` in a secret volume, `name` in a projection). */
export async function projectSecret(out: Payload, pod: Pod, src: ObjectProjection, mode: number, ctx: ProjectionContext): Promise<void> {
  const name = src.secretName ?? src.name ?? '';
  const secret = await ctx.objects.secret(pod.metadata.namespace ?? 'default', name);
  if (!secret) {
    if (src.optional) return;
    throw new Error(`secret "${name}" not found`);
  }
  project(out, secretBytes(secret), src.items, mode, !!src.optional, (k) => `references non-existent secret key: ${k}`);
}

/** Adds downward API files: pod metadata fields and container resources (containerName required). */
export function projectDownwardApi(out: Payload, pod: Pod, items: DownwardApiFile[], mode: number, ctx: ProjectionContext): void {
  for (const item of items) {
    let value: string;
    if (item.fieldRef) value = podFieldValue(pod, item.fieldRef.fieldPath ?? '');
    else if (item.resourceFieldRef) {
      const name = item.resourceFieldRef.containerName ?? '';
      const container = findContainer(pod, name);
      if (!container) throw new Error(`downwardAPI ${item.path ?? ''}: container "${name}" not found in pod`);
      value = containerResourceValue(item.resourceFieldRef, container, ctx.node);
    } else throw new Error(`downwardAPI ${item.path ?? ''}: one of fieldRef or resourceFieldRef must be set`);
    out.set(item.path ?? '', { data: Buffer.from(value, 'utf8'), mode: item.mode ?? mode });
  }
}

/** The files of a projected volume's sources, in order (a later source's path replaces an earlier one). */
export async function projectSources(pod: Pod, sources: ProjectedSource[], mode: number, ctx: ProjectionContext): Promise<Payload> {
  const out: Payload = new Map();
  for (const [i, s] of sources.entries()) {
    if (s.configMap) await projectConfigMap(out, pod, s.configMap, mode, ctx);
    else if (s.secret) await projectSecret(out, pod, s.secret, mode, ctx);
    else if (s.downwardAPI) projectDownwardApi(out, pod, s.downwardAPI.items ?? [], mode, ctx);
    else if (s.serviceAccountToken) {
      const src = s.serviceAccountToken;
      if (!ctx.tokens) throw new Error('serviceAccountToken projection is not available: this node agent has no API client to request tokens with');
      if (!src.path) throw new Error(`projected source ${i}: serviceAccountToken.path is required`);
      out.set(src.path, { data: Buffer.from(await ctx.tokens.token(pod, { audience: src.audience, expirationSeconds: src.expirationSeconds }), 'utf8'), mode });
    }
    else throw new Error(`projected source ${i}: unsupported source ${JSON.stringify(Object.keys(s))}`);
  }
  return out;
}
