/**
 * spec.podFailurePolicy of a Job: the first rule matching a failed pod decides what its
 * failure means — FailJob (the Job fails at once), FailIndex (its index fails, Indexed Jobs),
 * Ignore (not counted against backoffLimit), Count (counted, the default without a match).
 */
import type { Pod } from '../../../lib/api/types';

export type PodFailurePolicyAction = 'FailJob' | 'FailIndex' | 'Ignore' | 'Count';

/** One rule of spec.podFailurePolicy.rules. */
export interface PodFailurePolicyRule {
  action?: string;
  onExitCodes?: { containerName?: string; operator?: string; values?: number[] };
  onPodConditions?: { type?: string; status?: string }[];
}

/** The rule that matched a failed pod, with the message Kubernetes writes for it. */
export interface PodFailurePolicyMatch {
  readonly action: PodFailurePolicyAction;
  readonly message: string;
}

type ContainerStatus = { name?: string; state?: { terminated?: { exitCode?: number } } };

/** The rules of a Job's spec.podFailurePolicy (none when absent or malformed). */
export function podFailurePolicyRules(policy: unknown): PodFailurePolicyRule[] {
  const rules = (policy as { rules?: unknown } | undefined)?.rules;
  return Array.isArray(rules) ? (rules as PodFailurePolicyRule[]) : [];
}

/**
 * The first rule matching the failed `pod`, or undefined (the failure counts). An onExitCodes
 * rule matches when some container (init containers too) terminated with a non-zero exit code
 * that is In / NotIn the values (restricted to `containerName` when given); an
 * onPodConditions rule when the pod has a condition of that type with that status (default "True").
 */
export function matchPodFailurePolicy(rules: readonly PodFailurePolicyRule[], pod: Pod): PodFailurePolicyMatch | undefined {
  const podKey = `${pod.metadata.namespace}/${pod.metadata.name}`;
  for (let index = 0; index < rules.length; index++) {
    const rule = rules[index];
    const action = rule.action as PodFailurePolicyAction;
    if (!['FailJob', 'FailIndex', 'Ignore', 'Count'].includes(action)) continue;
    if (rule.onExitCodes) {
      const hit = matchExitCodes(rule.onExitCodes, pod);
      if (hit) return { action, message: `Container ${hit.name} for pod ${podKey} failed with exit code ${hit.exitCode} matching ${action} rule at index ${index}` };
    } else if (rule.onPodConditions) {
      const conditions = (pod.status?.conditions as { type?: string; status?: string }[] | undefined) ?? [];
      const hit = rule.onPodConditions.find((want) => conditions.some((c) => c.type === want.type && c.status === (want.status ?? 'True')));
      if (hit) return { action, message: `Pod ${podKey} has condition ${hit.type} matching ${action} rule at index ${index}` };
    }
  }
  return undefined;
}

function matchExitCodes(req: NonNullable<PodFailurePolicyRule['onExitCodes']>, pod: Pod): { name: string; exitCode: number } | undefined {
  const statuses = [
    ...((pod.status?.initContainerStatuses as ContainerStatus[] | undefined) ?? []),
    ...((pod.status?.containerStatuses as ContainerStatus[] | undefined) ?? []),
  ];
  const values = req.values ?? [];
  for (const s of statuses) {
    const exitCode = s.state?.terminated?.exitCode;
    if (exitCode === undefined || exitCode === 0) continue;
    if (req.containerName && req.containerName !== s.name) continue;
    const inValues = values.includes(exitCode);
    if ((req.operator === 'In' && inValues) || (req.operator === 'NotIn' && !inValues)) return { name: s.name ?? '', exitCode };
  }
  return undefined;
}
