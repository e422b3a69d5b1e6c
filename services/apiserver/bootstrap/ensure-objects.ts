import { AlreadyExistsError } from '../../../lib/api/errors';
import type { KubeObject } from '../../../lib/api/object';
import type { ResourceRest } from '../rest/resource-rest';

/**
 * Creates each of `objects` that does not exist, through the resource `rest` (so its strategy
 * and admission apply). Idempotent, and safe when several apiservers run it at once: a create
 * that finds the object already there (AlreadyExists) counts as done, and an existing object is
 * never changed. Returns the names this call created. Other errors (the store unreachable) are
 * thrown.
 */
export async function ensureObjects(rest: ResourceRest, objects: readonly KubeObject[]): Promise<string[]> {
  // The creates are independent: all at once is one store round instead of one per object.
  const made = await Promise.all(
    objects.map(async (obj) => {
      try {
        await rest.create(obj.metadata.namespace, obj);
        return obj.metadata.name ?? '';
      } catch (err) {
        if (!(err instanceof AlreadyExistsError)) throw err;
        return undefined;
      }
    }),
  );
  return made.filter((name): name is string => name !== undefined);
}
