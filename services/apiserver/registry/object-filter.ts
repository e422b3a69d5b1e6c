import type { KubeObject } from '../../../lib/api/object';
import type { Strategy } from './strategy';

/**
 * Which objects a list or watch wants: a namespace and compiled label/field selectors (the
 * selector parsers live in lib/api; the registry only calls the predicates).
 */
export interface ObjectFilter {
  /** Only objects of this namespace (namespaced kinds); absent: every namespace. */
  readonly namespace?: string;
  /** Matches an object's labels (an absent labels map is passed as {}). */
  readonly labelSelector?: (labels: Readonly<Record<string, string>>) => boolean;
  /** Matches an object's selectable fields (see objectFields). */
  readonly fieldSelector?: (fields: Readonly<Record<string, string>>) => boolean;
}

/** The fields a fieldSelector sees: metadata.name, metadata.namespace and the kind's own. */
export function objectFields<T extends KubeObject>(obj: T, strategy: Pick<Strategy<T>, 'selectableFields' | 'info'>): Record<string, string> {
  const fields: Record<string, string> = { 'metadata.name': obj.metadata.name ?? '' };
  if (strategy.info.namespaced) fields['metadata.namespace'] = obj.metadata.namespace ?? '';
  return { ...fields, ...(strategy.selectableFields?.(obj) ?? {}) };
}

/** True when `obj` passes every part of `filter`. */
export function matchesFilter<T extends KubeObject>(obj: T, filter: ObjectFilter, strategy: Pick<Strategy<T>, 'selectableFields' | 'info'>): boolean {
  if (filter.namespace !== undefined && strategy.info.namespaced && obj.metadata.namespace !== filter.namespace) return false;
  if (filter.labelSelector && !filter.labelSelector(obj.metadata.labels ?? {})) return false;
  if (filter.fieldSelector && !filter.fieldSelector(objectFields(obj, strategy))) return false;
  return true;
}
