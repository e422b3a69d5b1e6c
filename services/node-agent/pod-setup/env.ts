/**
 * A container's environment as the kubelet builds it (makeEnvironmentVariables): envFrom sources
 * first (prefix + key; keys that are not valid variable names are skipped and reported), then
 * `env` in order (values with `$(VAR)` expanded against what came before and the Service
 * variables; valueFrom resolved through the downward API, ConfigMaps and Secrets, honouring
 * `optional`), then the Service variables no one defined. A later definition of a name replaces
 * the earlier value in place. Missing objects and keys are ContainerConfigErrors with Kubernetes'
 * messages.
 */
import type { Container, EnvVar, Pod } from '../../../lib/api/types';
import type { KeyValue } from '../runtime/runtime';
import { expandVariables, lookupIn } from './expansion';
import { containerResourceValue, findContainer, podFieldValue, type NodeAllocatable, type ObjectFieldSelector, type PodFacts, type ResourceFieldSelector } from './field-ref';
import { configMapBytes, secretBytes, type PodObjectSource } from './object-source';
import { ContainerConfigError } from './pod-setup';

/** Kubernetes' IsEnvVarName. */
const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

interface KeySelector {
  name?: string;
  key?: string;
  optional?: boolean;
}
interface EnvFromSource {
  prefix?: string;
  configMapRef?: { name?: string; optional?: boolean };
  secretRef?: { name?: string; optional?: boolean };
}

/** What the environment was built from, besides the pod and container. */
export interface EnvContext {
  objects: PodObjectSource;
  facts: PodFacts;
  node: NodeAllocatable;
  /** The Service variables of the pod (service-env.ts). */
  serviceEnv: ReadonlyMap<string, string>;
}

/** The resolved environment and what was left out. */
export interface ResolvedEnv {
  env: KeyValue[];
  /** envFrom keys that are not valid variable names (Kubernetes' InvalidEnvironmentVariableNames event). */
  invalidKeys: string[];
}

function configMapNotFound(name: string): ContainerConfigError {
  return new ContainerConfigError(`configmap "${name}" not found`);
}
function secretNotFound(name: string): ContainerConfigError {
  return new ContainerConfigError(`secret "${name}" not found`);
}

/** The resolved environment of `container` (see the file comment). Throws ContainerConfigError. */
export async function resolveEnv(pod: Pod, container: Container, ctx: EnvContext): Promise<ResolvedEnv> {
  const ns = pod.metadata.namespace ?? 'default';
  const env = new Map<string, string>();
  const invalidKeys: string[] = [];

  for (const [i, source] of ((container.envFrom as EnvFromSource[] | undefined) ?? []).entries()) {
    const prefix = source.prefix ?? '';
    let values: Map<string, Buffer> | undefined;
    if (source.configMapRef) {
      const name = source.configMapRef.name ?? '';
      const cm = await ctx.objects.configMap(ns, name);
      if (!cm && !source.configMapRef.optional) throw configMapNotFound(name);
      values = cm ? configMapBytes(cm) : undefined;
    } else if (source.secretRef) {
      const name = source.secretRef.name ?? '';
      const secret = await ctx.objects.secret(ns, name);
      if (!secret && !source.secretRef.optional) throw secretNotFound(name);
      values = secret ? secretBytes(secret) : undefined;
    } else {
      throw new ContainerConfigError(`envFrom[${i}]: one of configMapRef or secretRef must be set`);
    }
    for (const key of [...(values?.keys() ?? [])].sort()) {
      const name = prefix + key;
      if (!ENV_VAR_NAME.test(name)) invalidKeys.push(name);
      else env.set(name, values!.get(key)!.toString('utf8'));
    }
  }

  for (const v of container.env ?? []) {
    const value = await envValue(pod, container, v, ns, env, ctx);
    if (value !== undefined) env.set(v.name ?? '', value);
  }

  for (const [k, v] of ctx.serviceEnv) if (!env.has(k)) env.set(k, v);
  return { env: [...env].map(([key, value]) => ({ key, value })), invalidKeys };
}

/** One variable's value; undefined when an optional source is missing (the variable is left out). */
async function envValue(pod: Pod, container: Container, v: EnvVar, ns: string, before: ReadonlyMap<string, string>, ctx: EnvContext): Promise<string | undefined> {
  const name = v.name ?? '';
  if (v.value !== undefined && v.value !== '') return expandVariables(v.value, lookupIn(before, ctx.serviceEnv));
  const from = v.valueFrom as { fieldRef?: ObjectFieldSelector; resourceFieldRef?: ResourceFieldSelector; configMapKeyRef?: KeySelector; secretKeyRef?: KeySelector } | undefined;
  if (!from) return '';
  try {
    if (from.fieldRef) return podFieldValue(pod, from.fieldRef.fieldPath ?? '', ctx.facts);
    if (from.resourceFieldRef) {
      const target = from.resourceFieldRef.containerName ? findContainer(pod, from.resourceFieldRef.containerName) : container;
      if (!target) throw new Error(`container "${from.resourceFieldRef.containerName}" not found in pod`);
      return containerResourceValue(from.resourceFieldRef, target, ctx.node);
    }
  } catch (err) {
    throw new ContainerConfigError(`env ${name}: ${(err as Error).message}`);
  }
  if (from.configMapKeyRef) {
    const ref = from.configMapKeyRef;
    const cm = await ctx.objects.configMap(ns, ref.name ?? '');
    if (!cm) {
      if (ref.optional) return undefined;
      throw configMapNotFound(ref.name ?? '');
    }
    const value = cm.data?.[ref.key ?? ''];
    if (value === undefined) {
      if (ref.optional) return undefined;
      throw new ContainerConfigError(`couldn't find key ${ref.key ?? ''} in ConfigMap ${ns}/${ref.name ?? ''}`);
    }
    return value;
  }
  if (from.secretKeyRef) {
    const ref = from.secretKeyRef;
    const secret = await ctx.objects.secret(ns, ref.name ?? '');
    if (!secret) {
      if (ref.optional) return undefined;
      throw secretNotFound(ref.name ?? '');
    }
    const value = secretBytes(secret).get(ref.key ?? '');
    if (value === undefined) {
      if (ref.optional) return undefined;
      throw new ContainerConfigError(`couldn't find key ${ref.key ?? ''} in Secret ${ns}/${ref.name ?? ''}`);
    }
    return value.toString('utf8');
  }
  throw new ContainerConfigError(`env ${name}: valueFrom names no source`);
}

/** `command` and `args` with `$(VAR)` expanded against the final environment (Kubernetes' ExpandContainerCommandAndArgs). */
export function expandCommandAndArgs(container: Container, env: KeyValue[]): { command: string[]; args: string[] } {
  const vars = new Map(env.map((e) => [e.key, e.value] as const));
  const lookup = lookupIn(vars);
  return { command: (container.command ?? []).map((c) => expandVariables(c, lookup)), args: (container.args ?? []).map((a) => expandVariables(a, lookup)) };
}
