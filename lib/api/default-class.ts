/**
 * Choosing the default among class objects (IngressClass, StorageClass): the ones whose
 * annotation `annotation` is "true"; when several are, the newest creationTimestamp, then the
 * first by name — as Kubernetes' DefaultIngressClass and DefaultStorageClass admissions choose.
 */
import type { KubeObject } from './object';

/** The default among `classes` by `annotation` (see the file comment); undefined when none is marked. */
export function newestDefaultClass<T extends KubeObject>(classes: readonly T[], annotation: string): T | undefined {
  let best: T | undefined;
  for (const c of classes) {
    if (c.metadata.annotations?.[annotation] !== 'true') continue;
    if (best === undefined || isPreferred(c, best)) best = c;
  }
  return best;
}

function isPreferred(a: KubeObject, b: KubeObject): boolean {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta > tb;
  return (a.metadata.name ?? '') < (b.metadata.name ?? '');
}
