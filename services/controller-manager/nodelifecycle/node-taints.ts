/**
 * The taints a node's conditions call for (Kubernetes' TaintNodesByCondition and the NoExecute
 * taints of taint-based eviction): Ready False → not-ready, Ready Unknown → unreachable (each
 * NoSchedule and NoExecute); memory/disk/PID pressure and network-unavailable → NoSchedule;
 * spec.unschedulable (kubectl cordon) → unschedulable NoSchedule. Taints with these keys are
 * the controller's; every other taint is left as it is.
 */
import type { Node, Taint } from '../../../lib/api/types/core';
import { TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE } from '../../apiserver/admission/default-toleration-seconds';
import { conditionsOf } from './node-health';

export { TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE };
export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
export const NO_SCHEDULE = 'NoSchedule';
export const NO_EXECUTE = 'NoExecute';

/** condition type → [status that taints, taint key]. */
const PRESSURE_TAINTS: ReadonlyArray<readonly [string, string]> = [
  ['MemoryPressure', 'node.kubernetes.io/memory-pressure'],
  ['DiskPressure', 'node.kubernetes.io/disk-pressure'],
  ['PIDPressure', 'node.kubernetes.io/pid-pressure'],
  ['NetworkUnavailable', 'node.kubernetes.io/network-unavailable'],
];

/** Every taint key this controller owns. */
export const MANAGED_TAINT_KEYS: ReadonlySet<string> = new Set([TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE, TAINT_NODE_UNSCHEDULABLE, ...PRESSURE_TAINTS.map(([, key]) => key)]);

/** The managed taints (key + effect) the node's conditions and spec call for. */
export function desiredManagedTaints(node: Node): Taint[] {
  const out: Taint[] = [];
  const conditions = conditionsOf(node);
  const status = (type: string) => conditions.find((c) => c.type === type)?.status;
  const ready = status('Ready');
  const readyKey = ready === 'False' ? TAINT_NODE_NOT_READY : ready === 'Unknown' ? TAINT_NODE_UNREACHABLE : undefined;
  if (readyKey) out.push({ key: readyKey, effect: NO_SCHEDULE }, { key: readyKey, effect: NO_EXECUTE });
  for (const [type, key] of PRESSURE_TAINTS) if (status(type) === 'True') out.push({ key, effect: NO_SCHEDULE });
  if (node.spec?.unschedulable) out.push({ key: TAINT_NODE_UNSCHEDULABLE, effect: NO_SCHEDULE });
  return out;
}

const sameTaint = (a: Taint, b: Taint) => a.key === b.key && a.effect === b.effect;

/**
 * The node's taints with the managed ones replaced by `desired` (a taint already present keeps
 * its timeAdded; a new NoExecute one is stamped `now`, as eviction deadlines count from it), or
 * undefined when nothing changes.
 */
export function reconcileTaints(node: Node, desired: readonly Taint[], now: string): Taint[] | undefined {
  const current = node.spec?.taints ?? [];
  const unmanaged = current.filter((t) => !MANAGED_TAINT_KEYS.has(t.key ?? ''));
  const managed = desired.map((d) => {
    const existing = current.find((t) => sameTaint(t, d));
    if (existing) return existing;
    return d.effect === NO_EXECUTE ? { ...d, timeAdded: now } : { ...d };
  });
  const currentManaged = current.filter((t) => MANAGED_TAINT_KEYS.has(t.key ?? ''));
  const same = currentManaged.length === managed.length && managed.every((m) => currentManaged.some((c) => sameTaint(c, m)));
  return same ? undefined : [...unmanaged, ...managed];
}
