/**
 * Small pieces the apiserver commands share: flag value parsers with kubectl's messages, the
 * `KIND NAME...` / `kind/name` argument forms, and the namespace of a request.
 */
import { InvalidArgumentError } from 'commander';
import type { ServedResource } from '../lib/client/api-client';
import { usageError } from './cli-env';
import type { ResourceResolver } from './resource-resolver';

/** Parses a `--flag=true|false` value (commander argParser). */
export function parseBool(value: string): boolean {
  const v = value.toLowerCase();
  if (v === 'true' || v === '1' || v === 't') return true;
  if (v === 'false' || v === '0' || v === 'f') return false;
  throw new InvalidArgumentError(`expected true or false, got "${value}"`);
}

/** Parses a non-negative integer flag value (commander argParser). */
export function parseCount(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`expected a non-negative integer, got "${value}"`);
  return Number(value.trim());
}

/** Parses an integer flag value that may be negative (commander argParser). */
export function parseInteger(value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError(`expected an integer, got "${value}"`);
  return Number(value.trim());
}

/** Milliseconds per duration unit. */
const DURATION_UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration (`30s`, `500ms`, `2m`, `1h`, Go's `1h0m0s`, or plain seconds) into
 * milliseconds (commander argParser).
 */
export function parseDurationMs(value: string): number {
  const v = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(v)) return Math.round(Number(v) * DURATION_UNIT_MS.s!);
  if (!/^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/.test(v)) throw new InvalidArgumentError(`expected a duration such as 30s, 500ms or 2m, got "${value}"`);
  let total = 0;
  for (const [, n, unit] of v.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(n) * DURATION_UNIT_MS[unit!]!;
  return Math.round(total);
}

/** `--dry-run` values. */
export type DryRun = 'none' | 'client' | 'server';

/** The suffix kubectl adds to messages under dry run. */
export function dryRunSuffix(d: DryRun): string {
  return d === 'client' ? ' (dry run)' : d === 'server' ? ' (server dry run)' : '';
}

/** One named target: a resource and the names of its objects. */
export interface NamedTargets {
  info: ServedResource;
  names: string[];
}

/**
 * Resolves `KIND NAME...` (KIND may be a comma list only without names) or `KIND/NAME ...`
 * arguments. Returns the kinds with their names ([] names: the caller lists).
 */
export function resolveTargets(args: readonly string[], resolver: ResourceResolver): NamedTargets[] {
  if (args.length === 0) return [];
  if (args.some((a) => a.includes('/'))) {
    const out: NamedTargets[] = [];
    for (const a of args) {
      const slash = a.indexOf('/');
      if (slash <= 0 || slash === a.length - 1) {
        throw usageError(`there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'bosun get resource/<resource_name>' instead of 'bosun get resource resource/<resource_name>')`);
      }
      const info = resolver.resolve(a.slice(0, slash));
      const name = a.slice(slash + 1);
      const existing = out.find((t) => t.info.group === info.group && t.info.resource === info.resource);
      if (existing) existing.names.push(name);
      else out.push({ info, names: [name] });
    }
    return out;
  }
  const [kinds, ...names] = args;
  const infos = resolver.resolveList(kinds!);
  if (names.length > 0 && infos.length > 1) throw usageError(`arguments in resource/name form must have a single resource and name`);
  return infos.map((info) => ({ info, names: [...names] }));
}

/** The namespace a request for `info` goes to: undefined for cluster-scoped kinds or `-A`. */
export function requestNamespace(info: ServedResource, ns: string, allNamespaces = false): string | undefined {
  return info.namespaced && !allNamespaces ? ns : undefined;
}
