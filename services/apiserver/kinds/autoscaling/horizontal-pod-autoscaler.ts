import type { FieldError } from '../../../../lib/api/errors';
import { FieldPath, invalid, required } from '../../../../lib/api/validation';
import type { Strategy } from '../../registry/strategy';
import { specDiffers, validateNonNegative, validatePositive } from '../apps/strategy-support';
import { RESOURCES } from '../../../../lib/api/resources';
import type { MetricTarget, MetricSpec, HorizontalPodAutoscalerSpec, HorizontalPodAutoscaler } from '../../../../lib/api/types/autoscaling';
export type { MetricTarget, MetricSpec, HorizontalPodAutoscalerSpec, HorizontalPodAutoscaler };

/** Default spec.minReplicas. */
export const DEFAULT_MIN_REPLICAS = 1;
/** Target average CPU utilization (percent) of the default metric. */
export const DEFAULT_CPU_UTILIZATION_PERCENT = 80;
/** Default stabilization window of scale-down, in seconds. */
export const DEFAULT_SCALE_DOWN_STABILIZATION_SECONDS = 300;
/** Metric source types. */
export const METRIC_SOURCE_TYPES: readonly string[] = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
/** Metric target types. */
export const METRIC_TARGET_TYPES: readonly string[] = ['Utilization', 'Value', 'AverageValue'];

const SPEC = FieldPath.root('spec');

/**
 * Kubernetes' SetDefaults_HorizontalPodAutoscaler (v2) in place: minReplicas 1, an 80% CPU
 * utilization metric when none is given, and a given behavior's missing rules filled (scale
 * up: no window, Max of 4 pods or 100% per 15 s; scale down: 300 s window, 100% per 15 s).
 */
export function defaultHorizontalPodAutoscaler(obj: HorizontalPodAutoscaler): void {
  const spec = (obj.spec ??= {});
  spec.minReplicas ??= DEFAULT_MIN_REPLICAS;
  if (!spec.metrics || spec.metrics.length === 0) {
    spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION_PERCENT } } }];
  }
  if (spec.behavior) {
    const up = (spec.behavior.scaleUp ??= {});
    up.stabilizationWindowSeconds ??= 0;
    up.selectPolicy ??= 'Max';
    up.policies ??= [
      { type: 'Pods', value: 4, periodSeconds: 15 },
      { type: 'Percent', value: 100, periodSeconds: 15 },
    ];
    const down = (spec.behavior.scaleDown ??= {});
    down.stabilizationWindowSeconds ??= DEFAULT_SCALE_DOWN_STABILIZATION_SECONDS;
    down.selectPolicy ??= 'Max';
    down.policies ??= [{ type: 'Percent', value: 100, periodSeconds: 15 }];
  }
}

function validateTarget(t: MetricTarget | undefined, p: FieldPath): FieldError[] {
  if (!t || !t.type) return [required(p.child('type'), 'must specify a metric target type')];
  if (!METRIC_TARGET_TYPES.includes(t.type)) return [invalid(p.child('type'), t.type, 'must be either Utilization, Value, or AverageValue')];
  const errs = validatePositive(t.averageUtilization, p.child('averageUtilization'));
  if (t.value === undefined && t.averageValue === undefined && t.averageUtilization === undefined) {
    errs.push(required(p, 'must set either a target raw value, a target average value, or a target utilization'));
  }
  return errs;
}

function validateMetric(m: MetricSpec, p: FieldPath): FieldError[] {
  if (!m.type) return [required(p.child('type'), 'must specify a metric source type')];
  if (!METRIC_SOURCE_TYPES.includes(m.type)) return [invalid(p.child('type'), m.type, 'must be either External, Object, Pods, Resource or ContainerResource')];
  const field = m.type.charAt(0).toLowerCase() + m.type.slice(1);
  const source = (m as Record<string, unknown>)[field];
  if (source === undefined || source === null) return [required(p.child(field), 'must populate information for the given metric source')];
  const errs: FieldError[] = [];
  for (const other of ['resource', 'containerResource', 'pods', 'object', 'external']) {
    if (other !== field && (m as Record<string, unknown>)[other] !== undefined) errs.push(invalid(p.child('type'), m.type, 'must populate the given metric source only'));
  }
  if (m.type === 'Resource' || m.type === 'ContainerResource') {
    const r = (m.type === 'Resource' ? m.resource : m.containerResource) ?? {};
    const rp = p.child(field);
    if (!r.name) errs.push(required(rp.child('name'), 'must specify a resource name'));
    errs.push(...validateTarget(r.target, rp.child('target')));
  }
  return errs;
}

/** Kubernetes' validateHorizontalPodAutoscalerSpec: target ref, replica bounds, metrics. */
export function validateHorizontalPodAutoscalerSpec(spec: HorizontalPodAutoscalerSpec | undefined): FieldError[] {
  if (!spec) return [required(SPEC)];
  const errs: FieldError[] = [];
  const ref = spec.scaleTargetRef ?? {};
  const rp = SPEC.child('scaleTargetRef');
  if (!ref.kind) errs.push(required(rp.child('kind')));
  else if (ref.kind.includes('/') || ref.kind.includes('%')) errs.push(invalid(rp.child('kind'), ref.kind, `may not contain '${ref.kind.includes('/') ? '/' : '%'}'`));
  if (!ref.name) errs.push(required(rp.child('name')));
  else if (ref.name.includes('/') || ref.name.includes('%')) errs.push(invalid(rp.child('name'), ref.name, `may not contain '${ref.name.includes('/') ? '/' : '%'}'`));
  const min = spec.minReplicas;
  if (min !== undefined && min < 1) errs.push(invalid(SPEC.child('minReplicas'), min, 'must be greater than or equal to 1'));
  const max = spec.maxReplicas;
  if (max === undefined || max < 1) errs.push(invalid(SPEC.child('maxReplicas'), max ?? 0, 'must be greater than 0'));
  else if (min !== undefined && max < min) errs.push(invalid(SPEC.child('maxReplicas'), max, 'must be greater than or equal to `minReplicas`'));
  (spec.metrics ?? []).forEach((m, i) => errs.push(...validateMetric(m ?? {}, SPEC.child('metrics').index(i))));
  for (const dir of ['scaleUp', 'scaleDown'] as const) {
    const rules = spec.behavior?.[dir];
    if (rules) errs.push(...validateNonNegative(rules.stabilizationWindowSeconds, SPEC.child('behavior', dir, 'stabilizationWindowSeconds')));
  }
  return errs;
}

/** Registry strategy of autoscaling/v2 HorizontalPodAutoscaler (status subresource). */
export const horizontalPodAutoscalerStrategy: Strategy<HorizontalPodAutoscaler> = {
  info: RESOURCES.horizontalpodautoscalers,
  hasStatus: true,
  prepareForCreate(obj) {
    obj.status = {};
    defaultHorizontalPodAutoscaler(obj);
  },
  prepareForUpdate(obj) {
    defaultHorizontalPodAutoscaler(obj);
  },
  validate(obj) {
    return validateHorizontalPodAutoscalerSpec(obj.spec);
  },
  validateUpdate(obj) {
    return validateHorizontalPodAutoscalerSpec(obj.spec);
  },
  specChanged: specDiffers,
};
