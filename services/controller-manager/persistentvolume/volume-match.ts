/**
 * Which PersistentVolume a claim may bind to (Kubernetes' FindMatchingVolume, pure): a volume
 * pre-bound to the claim wins; otherwise the smallest available volume whose capacity covers the
 * request, whose access modes include the claim's, of the same class and volume mode, matching
 * the claim's selector and (for a WaitForFirstConsumer claim) reachable from the selected node.
 */
import { selectorFromLabelSelector } from '../../../lib/api/label-selector';
import { compareQuantities, isQuantity } from '../../../lib/api/quantity';
import type { NodeSelectorTerm, PersistentVolume, PersistentVolumeClaim } from '../../../lib/api/types/core';

/** A PV's claimRef as the binder reads and writes it. */
export interface ClaimRef {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
}

/** The claimRef of `pv`, undefined when it has none. */
export function claimRefOf(pv: PersistentVolume): ClaimRef | undefined {
  const ref = pv.spec?.claimRef as ClaimRef | undefined;
  return ref && ref.name ? ref : undefined;
}

/** True when `pv`'s claimRef names `claim` (namespace and name, and uid when the ref has one). */
export function isVolumeBoundToClaim(pv: PersistentVolume, claim: PersistentVolumeClaim): boolean {
  const ref = claimRefOf(pv);
  if (!ref || ref.name !== claim.metadata.name || (ref.namespace ?? '') !== (claim.metadata.namespace ?? '')) return false;
  return !ref.uid || ref.uid === claim.metadata.uid;
}

/** The claim's class: spec.storageClassName ("" = no class). */
export function claimClass(claim: PersistentVolumeClaim): string {
  return claim.spec?.storageClassName ?? '';
}

/** The volume's class: spec.storageClassName ("" = no class). */
export function volumeClass(pv: PersistentVolume): string {
  return pv.spec?.storageClassName ?? '';
}

/** The storage a claim asks for ("0" when it names none). */
export function requestedStorage(claim: PersistentVolumeClaim): string {
  return String(claim.spec?.resources?.requests?.storage ?? '0');
}

/** A node as the matcher sees it: its name and labels. */
export interface NodeLabels {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** True when `pv`'s required node affinity admits `node` (no affinity admits every node). */
export function volumeAdmitsNode(pv: PersistentVolume, node: NodeLabels): boolean {
  const terms = (pv.spec?.nodeAffinity as { required?: { nodeSelectorTerms?: NodeSelectorTerm[] } } | undefined)?.required?.nodeSelectorTerms;
  if (!terms || terms.length === 0) return true;
  const labels: Record<string, string> = { 'kubernetes.io/hostname': node.name, ...node.labels };
  return terms.some((t) => termMatches(t, labels, node.name));
}

function termMatches(term: NodeSelectorTerm, labels: Record<string, string>, nodeName: string): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const fieldValues: Record<string, string> = { 'metadata.name': nodeName };
  return exprs.every((e) => requirementMatches(e.operator, e.values ?? [], labels[e.key]))
    && fields.every((e) => requirementMatches(e.operator, e.values ?? [], fieldValues[e.key]));
}

function requirementMatches(operator: string, values: readonly string[], value: string | undefined): boolean {
  switch (operator) {
    case 'In': return value !== undefined && values.includes(value);
    case 'NotIn': return value === undefined || !values.includes(value);
    case 'Exists': return value !== undefined;
    case 'DoesNotExist': return value === undefined;
    case 'Gt': return value !== undefined && Number(value) > Number(values[0]);
    case 'Lt': return value !== undefined && Number(value) < Number(values[0]);
    default: return false;
  }
}

/** Why `pv` cannot serve `claim`, or undefined when it can (ignoring who it is bound to). */
export function mismatch(pv: PersistentVolume, claim: PersistentVolumeClaim, node?: NodeLabels): string | undefined {
  const capacity = String(pv.spec?.capacity?.storage ?? '0');
  const request = requestedStorage(claim);
  if (!isQuantity(capacity) || !isQuantity(request)) return 'unparsable capacity or request';
  if (compareQuantities(capacity, request) < 0) return 'too small';
  const modes = pv.spec?.accessModes ?? [];
  if (!(claim.spec?.accessModes ?? []).every((m) => modes.includes(m))) return 'access modes';
  if (volumeClass(pv) !== claimClass(claim)) return 'storage class';
  if ((pv.spec?.volumeMode ?? 'Filesystem') !== (claim.spec?.volumeMode ?? 'Filesystem')) return 'volume mode';
  if (claim.spec?.selector) {
    try {
      if (!selectorFromLabelSelector(claim.spec.selector).matches(pv.metadata.labels)) return 'selector';
    } catch {
      return 'invalid selector';
    }
  }
  if (node && !volumeAdmitsNode(pv, node)) return 'node affinity';
  return undefined;
}

/** True when nobody holds `pv` and it is not going away: free for any matching claim. */
export function isAvailable(pv: PersistentVolume): boolean {
  if (pv.metadata.deletionTimestamp || claimRefOf(pv)) return false;
  const phase = pv.status?.phase ?? 'Pending';
  return phase === 'Available' || phase === 'Pending';
}

/**
 * The volume `claim` should bind to among `volumes`: one whose claimRef already names it (a
 * user's or our earlier, half-done bind), else the smallest available match — undefined when
 * none fits. `node` is the selected node of a WaitForFirstConsumer claim.
 */
export function findMatchingVolume(claim: PersistentVolumeClaim, volumes: readonly PersistentVolume[], node?: NodeLabels): PersistentVolume | undefined {
  let best: PersistentVolume | undefined;
  for (const pv of volumes) {
    if (pv.metadata.deletionTimestamp) continue;
    if (claimRefOf(pv)) {
      if (isVolumeBoundToClaim(pv, claim) && mismatch(pv, claim, node) === undefined) return pv;
      continue;
    }
    if (!isAvailable(pv) || mismatch(pv, claim, node) !== undefined) continue;
    if (!best || compareQuantities(String(pv.spec?.capacity?.storage), String(best.spec?.capacity?.storage)) < 0) best = pv;
  }
  return best;
}
