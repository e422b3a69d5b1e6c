/**
 * The hash the agent stamps on each container it creates (annotation io.kubernetes.container.hash)
 * so a spec change the pod allows — a new image — restarts the container, while an agent restart
 * or a change of fields that need no restart (resources, probes) does not. Stable across
 * processes: it depends only on the container's spec.
 */
import { createHash } from 'node:crypto';
import type { Container } from '../../../lib/api/types';

/** Fields of a container whose change does not need a new container. */
const IGNORED_FIELDS = new Set(['resources', 'livenessProbe', 'readinessProbe', 'startupProbe', 'resizePolicy']);

/** The container's hash (hex). */
export function containerHash(container: Container): string {
  const kept = Object.keys(container)
    .filter((k) => !IGNORED_FIELDS.has(k))
    .sort()
    .map((k) => [k, container[k]]);
  return createHash('sha256').update(JSON.stringify(kept)).digest('hex').slice(0, 16);
}
