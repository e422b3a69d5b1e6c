/**
 * Kubernetes' ResourceQuota admission plugin, on creates of namespaced objects: each quota of
 * the namespace that covers the object (its scopes match) is charged the object's cost (see
 * lib/quota/usage) for the resources its status.hard limits. The charge is a compare-and-swap
 * on the quota's status (resourceVersion precondition, re-read and re-checked on a conflict),
 * so creates racing through several apiservers can never take status.used past status.hard.
 *
 * Refusals are 403 with Kubernetes' messages:
 * - `exceeded quota: q, requested: pods=1, used: pods=5, limited: pods=5`;
 * - `failed quota: q: must specify limits.cpu for: app` when a quota limits cpu/memory and a
 *   container does not state it;
 * - `status unknown for quota: q, resources: pods` before the quota controller first filled
 *   status.used.
 * A dry run is checked against the cached quotas and charges nothing. When a later quota refuses, the charges already made to earlier ones are given back. A create
 * that fails after admission leaves its charge until the quota controller's next recalculation,
 * as in Kubernetes.
 */
import type { ApiError } from '../../../lib/api/errors';
import type { KubeObject, ResourceInfo } from '../../../lib/api/object';
import type { Pod, ResourceList, ResourceQuota } from '../../../lib/api/types/core';
import { addLists, formatList, lessThanOrEqual, maskList, subtractLists } from '../../../lib/quota/resource-list';
import { isPods, missingPodResources, objectUsage, quotaCovers } from '../../../lib/quota/usage';
import { admissionForbidden, type AdmissionPlugin } from './admission';

/** How the plugin reads and charges the quotas of a namespace. */
export interface QuotaAccess {
  /** The quotas of `namespace` (the watch cache: a new quota may take a moment to appear). */
  list(namespace: string): Promise<readonly ResourceQuota[]>;
  /**
   * Read-modify-write of one quota's status: `mutate` gets the stored quota and answers it
   * changed (or throws to refuse); the write is a compare-and-swap retried from a fresh read.
   */
  updateStatus(namespace: string, name: string, mutate: (quota: ResourceQuota) => ResourceQuota): Promise<void>;
}

/** The ResourceQuota admission plugin. See the file comment. */
export class ResourceQuotaAdmission implements AdmissionPlugin {
  constructor(
    private readonly quotas: QuotaAccess,
    private readonly now: () => number = Date.now,
  ) {}

  async admitCreate(info: ResourceInfo, namespace: string | undefined, obj: KubeObject, opts?: { readonly dryRun?: boolean }): Promise<void> {
    const ns = namespace ?? obj.metadata?.namespace;
    if (!info.namespaced || !ns) return;
    const covering = (await this.quotas.list(ns)).filter((q) => quotaCovers(q, info, obj));
    if (covering.length === 0) return;
    if (isPods(info)) {
      for (const q of covering) {
        const missing = missingPodResources(obj as Pod, Object.keys(q.status?.hard ?? {}));
        if (missing) throw admissionForbidden(info, obj, `failed quota: ${q.metadata.name ?? ''}: ${missing}`);
      }
    }
    const cost = objectUsage(info, obj, this.now());
    if (opts?.dryRun) {
      // Checked against the quotas as cached, charging nothing.
      for (const q of covering) charge(info, obj, structuredClone(q), cost);
      return;
    }
    const charged: { name: string; amount: ResourceList }[] = [];
    try {
      for (const q of covering) {
        // Skip the store round trip when the quota (as cached) limits none of what this costs.
        if (Object.keys(maskList(cost, Object.keys(q.status?.hard ?? {}))).length === 0 && q.status?.hard) continue;
        const name = q.metadata.name ?? '';
        let amount: ResourceList = {};
        await this.quotas.updateStatus(ns, name, (current) => {
          amount = charge(info, obj, current, cost);
          return current;
        });
        if (Object.keys(amount).length > 0) charged.push({ name, amount });
      }
    } catch (err) {
      await this.refund(ns, charged);
      throw err;
    }
  }

  /** Gives back charges made before a refusal (best effort: the quota controller corrects what fails). */
  private async refund(namespace: string, charged: readonly { name: string; amount: ResourceList }[]): Promise<void> {
    for (const { name, amount } of charged) {
      await this.quotas
        .updateStatus(namespace, name, (q) => {
          const used = q.status?.used ?? {};
          q.status = { ...q.status, used: { ...used, ...subtractLists(maskList(used, Object.keys(amount)), amount) } };
          return q;
        })
        .catch(() => undefined);
    }
  }
}

/**
 * Charges `cost` to `quota` in place, for the resources its status.hard limits; answers what
 * was charged, or throws the Forbidden refusal.
 */
function charge(info: ResourceInfo, obj: KubeObject, quota: ResourceQuota, cost: ResourceList): ResourceList {
  const name = quota.metadata.name ?? '';
  const hard = quota.status?.hard ?? {};
  const used = quota.status?.used ?? {};
  const requested = maskList(cost, Object.keys(hard));
  const names = Object.keys(requested);
  if (names.length === 0) return {};
  const unknown = names.filter((n) => used[n] === undefined).sort();
  if (unknown.length > 0) throw refusal(info, obj, `status unknown for quota: ${name}, resources: ${unknown.join(',')}`);
  const next = maskList(addLists(used, requested), names);
  const { allowed, exceeded } = lessThanOrEqual(next, hard);
  if (!allowed) {
    throw refusal(
      info,
      obj,
      `exceeded quota: ${name}, requested: ${formatList(maskList(requested, exceeded))}, used: ${formatList(maskList(used, exceeded))}, limited: ${formatList(maskList(hard, exceeded))}`,
    );
  }
  quota.status = { ...quota.status, used: { ...used, ...next } };
  return requested;
}

function refusal(info: ResourceInfo, obj: KubeObject, why: string): ApiError {
  return admissionForbidden(info, obj, why);
}
