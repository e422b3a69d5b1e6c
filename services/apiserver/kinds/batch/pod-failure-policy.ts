/**
 * Validation of a Job's spec.podFailurePolicy with Kubernetes' rules and messages: at most 20
 * rules; each with a supported action and exactly one of onExitCodes (operator In or NotIn,
 * 1..255 distinct values in ascending order, no 0 for In) or onPodConditions (1..20 patterns,
 * each a condition type with status True, False or Unknown); and the template's restartPolicy
 * Never.
 */
import type { FieldError } from '../../../../lib/api/errors';
import { duplicate, FieldPath, invalid, notSupported, required, tooLong } from '../../../../lib/api/validation';
import type { JobSpec } from '../../../../lib/api/types/batch';

/** Actions a rule may take. */
export const POD_FAILURE_POLICY_ACTIONS: readonly string[] = ['Count', 'FailIndex', 'FailJob', 'Ignore'];
/** Operators of onExitCodes. */
export const POD_FAILURE_POLICY_OPERATORS: readonly string[] = ['In', 'NotIn'];
/** Statuses an onPodConditions pattern may require. */
const CONDITION_STATUSES: readonly string[] = ['False', 'True', 'Unknown'];
/** Most rules, and most patterns of onPodConditions. */
export const MAX_POD_FAILURE_POLICY_RULES = 20;
/** Most values of onExitCodes. */
export const MAX_POD_FAILURE_POLICY_EXIT_CODES = 255;

type Rule = {
  action?: unknown;
  onExitCodes?: { containerName?: unknown; operator?: unknown; values?: unknown };
  onPodConditions?: { type?: unknown; status?: unknown }[];
};

/** Every invalid field of spec.podFailurePolicy at `path` (spec is the JobSpec it belongs to). */
export function validatePodFailurePolicy(spec: JobSpec, path: FieldPath): FieldError[] {
  const policy = spec.podFailurePolicy as { rules?: unknown } | undefined | null;
  if (policy === undefined || policy === null) return [];
  const errs: FieldError[] = [];
  const restartPolicy = spec.template?.spec?.restartPolicy;
  if (restartPolicy !== undefined && restartPolicy !== 'Never') {
    errs.push(invalid(path.child('template', 'spec', 'restartPolicy'), restartPolicy, 'only "Never" is supported when podFailurePolicy is specified'));
  }
  const rulesPath = path.child('podFailurePolicy', 'rules');
  if (!Array.isArray(policy.rules)) return [...errs, required(rulesPath)];
  if (policy.rules.length > MAX_POD_FAILURE_POLICY_RULES) errs.push(tooLong(rulesPath, policy.rules, MAX_POD_FAILURE_POLICY_RULES));
  (policy.rules as Rule[]).forEach((rule, i) => errs.push(...validateRule(rule ?? {}, rulesPath.index(i))));
  return errs;
}

function validateRule(rule: Rule, p: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (typeof rule.action !== 'string' || !POD_FAILURE_POLICY_ACTIONS.includes(rule.action)) {
    errs.push(rule.action === undefined ? required(p.child('action')) : notSupported(p.child('action'), rule.action, POD_FAILURE_POLICY_ACTIONS));
  }
  if (rule.onExitCodes && rule.onPodConditions) return [...errs, invalidOmittingValue(p, 'specifying both OnExitCodes and OnPodConditions is not supported')];
  if (!rule.onExitCodes && !rule.onPodConditions) return [...errs, invalidOmittingValue(p, 'specifying one of OnExitCodes and OnPodConditions is required')];
  if (rule.onExitCodes) errs.push(...validateExitCodes(rule.onExitCodes, p.child('onExitCodes')));
  if (rule.onPodConditions) {
    const cp = p.child('onPodConditions');
    if (!Array.isArray(rule.onPodConditions) || rule.onPodConditions.length === 0) return [...errs, required(cp)];
    if (rule.onPodConditions.length > MAX_POD_FAILURE_POLICY_RULES) errs.push(tooLong(cp, rule.onPodConditions, MAX_POD_FAILURE_POLICY_RULES));
    rule.onPodConditions.forEach((c, j) => {
      if (typeof c?.type !== 'string' || c.type === '') errs.push(required(cp.index(j).child('type')));
      const status = c?.status ?? 'True';
      if (typeof status !== 'string' || !CONDITION_STATUSES.includes(status)) errs.push(notSupported(cp.index(j).child('status'), status, CONDITION_STATUSES));
    });
  }
  return errs;
}

function validateExitCodes(req: NonNullable<Rule['onExitCodes']>, p: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (typeof req.operator !== 'string' || !POD_FAILURE_POLICY_OPERATORS.includes(req.operator)) {
    errs.push(req.operator === undefined ? required(p.child('operator')) : notSupported(p.child('operator'), req.operator, POD_FAILURE_POLICY_OPERATORS));
  }
  const vp = p.child('values');
  if (!Array.isArray(req.values) || req.values.length === 0) return [...errs, required(vp)];
  if (req.values.length > MAX_POD_FAILURE_POLICY_EXIT_CODES) errs.push(tooLong(vp, req.values, MAX_POD_FAILURE_POLICY_EXIT_CODES));
  const seen = new Set<number>();
  req.values.forEach((v: unknown, i: number) => {
    const at = vp.index(i);
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      errs.push(invalid(at, v, 'must be an integer'));
      return;
    }
    if (req.operator === 'In' && v === 0) errs.push(invalid(at, v, 'must not be 0 for the In operator'));
    if (seen.has(v)) errs.push(duplicate(at, v));
    else if (i > 0 && v < (req.values as number[])[i - 1]) errs.push(invalid(at, v, 'must be ordered'));
    seen.add(v);
  });
  return errs;
}

/** An Invalid error without the value (Kubernetes' field.OmitValueType): "Invalid value: <detail>". */
function invalidOmittingValue(path: FieldPath, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field: String(path), message: `Invalid value: ${detail}` };
}
