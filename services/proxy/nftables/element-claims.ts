/**
 * Map keys are unique: two Service ports claiming one `address . proto . port` (say, the same
 * externalIP:port) or one `proto . nodePort` cannot both have it. The first port by key wins, as
 * a stable rule; the others lose that element (and the caller logs it) instead of failing the
 * whole sync.
 */
import { MAP_NO_ENDPOINT_NODEPORTS, MAP_SERVICE_NODEPORTS, type MapElement, type ServicePortRules } from './ruleset';

/** An element a port did not get because another port holds its key. */
export interface ElementConflict {
  readonly port: string;
  readonly owner: string;
  readonly key: string;
}

/** The key space an element lives in: service and no-endpoint maps are looked up with the same key. */
export function claimKey(e: MapElement): string {
  const space = e.map === MAP_SERVICE_NODEPORTS || e.map === MAP_NO_ENDPOINT_NODEPORTS ? 'nodeport' : 'address';
  return `${space}:${e.key}`;
}

/** `ports` (sorted by key) with elements whose key an earlier port holds removed; the conflicts. */
export function resolveElementClaims(ports: readonly ServicePortRules[]): { ports: ServicePortRules[]; conflicts: ElementConflict[] } {
  const owners = new Map<string, string>();
  const conflicts: ElementConflict[] = [];
  const resolved = [...ports]
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((port) => {
      const elements = port.elements.filter((e) => {
        const claim = claimKey(e);
        const owner = owners.get(claim);
        if (owner === undefined || owner === port.key) {
          owners.set(claim, port.key);
          return true;
        }
        conflicts.push({ port: port.key, owner, key: e.key });
        return false;
      });
      return elements.length === port.elements.length ? port : { ...port, elements };
    });
  return { ports: resolved, conflicts };
}
