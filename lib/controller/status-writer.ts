/**
 * Writing a controller's status: through the status subresource, the computed fields merged over
 * the stored status; on a conflict (the object moved since the cache saw it) the object is read
 * again and the write tried once more — unless the name now belongs to another incarnation.
 */
import type { KubeObject } from '../api/object';
import { isConflict } from '../api/status';
import type { ResourceClient } from '../client/api-client';

/** Writes `status` over `obj`'s stored status (see the file comment); answers the stored object, or undefined when it was replaced. */
export async function writeStatus<T extends KubeObject>(client: ResourceClient<T>, obj: T, status: Record<string, unknown>): Promise<T | undefined> {
  const ns = obj.metadata.namespace;
  try {
    return await client.updateStatus(ns, { ...obj, status: { ...(obj.status ?? {}), ...status } });
  } catch (err) {
    if (!isConflict(err)) throw err;
    const fresh = await client.get(ns, obj.metadata.name ?? '');
    if (fresh.metadata.uid !== obj.metadata.uid) return undefined;
    return client.updateStatus(ns, { ...fresh, status: { ...(fresh.status ?? {}), ...status } });
  }
}
