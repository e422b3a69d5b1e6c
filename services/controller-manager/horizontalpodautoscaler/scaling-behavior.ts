/**
 * Kubernetes' HPA behavior (autoscaling/v2 spec.behavior), pure over state the controller keeps
 * per HPA: stabilization — the recommendation is held within [min over the scale-up window,
 * max over the scale-down window] of the recent raw recommendations (so a dip shorter than the
 * scale-down window, 300 s by default, never scales down) — then rate limits: each policy (Pods:
 * N pods, Percent: N % of the replicas at the start of its period) bounds the change over its
 * periodSeconds, counting the changes this controller made in that period; selectPolicy Max
 * (default) takes the policy allowing the largest change, Min the smallest, Disabled none; and
 * finally minReplicas/maxReplicas. An HPA without behavior gets Kubernetes' defaults.
 */

/** One scaling policy. */
export interface ScalingPolicy {
  readonly type: 'Pods' | 'Percent';
  readonly value: number;
  readonly periodSeconds: number;
}

/** The rules of one direction. */
export interface ScalingRules {
  readonly stabilizationWindowSeconds: number;
  readonly selectPolicy: 'Max' | 'Min' | 'Disabled';
  readonly policies: readonly ScalingPolicy[];
}

/** Kubernetes' default scale-up rules: +4 pods or +100 % per 15 s, the larger; no stabilization. */
export const DEFAULT_SCALE_UP: ScalingRules = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ],
};
/** Kubernetes' default scale-down rules: down to any count per 15 s, after a 300 s stabilization window. */
export const DEFAULT_SCALE_DOWN: ScalingRules = { stabilizationWindowSeconds: 300, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] };

type RawRules = { stabilizationWindowSeconds?: number; selectPolicy?: string; policies?: { type?: string; value?: number; periodSeconds?: number }[] };

/** The rules of `raw` (an HPA's spec.behavior.scaleUp/scaleDown), defaults filled in. */
export function scalingRulesOf(raw: RawRules | undefined, defaults: ScalingRules): ScalingRules {
  if (!raw) return defaults;
  const policies = (raw.policies ?? [])
    .filter((p) => (p.type === 'Pods' || p.type === 'Percent') && typeof p.value === 'number' && typeof p.periodSeconds === 'number')
    .map((p) => ({ type: p.type as 'Pods' | 'Percent', value: p.value!, periodSeconds: p.periodSeconds! }));
  const select = raw.selectPolicy === 'Min' || raw.selectPolicy === 'Disabled' ? raw.selectPolicy : 'Max';
  return {
    stabilizationWindowSeconds: typeof raw.stabilizationWindowSeconds === 'number' ? raw.stabilizationWindowSeconds : defaults.stabilizationWindowSeconds,
    selectPolicy: select,
    policies: policies.length > 0 ? policies : defaults.policies,
  };
}

/** A raw recommendation, or a change made, at a time. */
export interface TimedValue {
  readonly atMs: number;
  readonly value: number;
}

/** What the controller remembers of one HPA between syncs (Kubernetes keeps the same in memory). */
export interface BehaviorState {
  recommendations: TimedValue[];
  scaleUpEvents: TimedValue[];
  scaleDownEvents: TimedValue[];
}

/**
 * A fresh state; given the target's current count at `nowMs`, that count is the first
 * recommendation (as Kubernetes seeds it), so a new HPA — or a new leader — does not scale
 * down before a full stabilization window has passed.
 */
export function newBehaviorState(initial?: { replicas: number; nowMs: number }): BehaviorState {
  return { recommendations: initial ? [{ atMs: initial.nowMs, value: initial.replicas }] : [], scaleUpEvents: [], scaleDownEvents: [] };
}

/** Why the count was bounded (ScalingLimited's reason), or none. */
export type LimitReason = 'ScaleUpLimit' | 'ScaleDownLimit' | 'TooManyReplicas' | 'TooFewReplicas' | undefined;

/** The inputs of one normalization. */
export interface NormalizeArgs {
  readonly currentReplicas: number;
  readonly desiredReplicas: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly scaleUp: ScalingRules;
  readonly scaleDown: ScalingRules;
  readonly nowMs: number;
}

/** The count to scale to and why it is bounded; records the recommendation in `state`. */
export function normalizeReplicas(state: BehaviorState, args: NormalizeArgs): { replicas: number; limit: LimitReason } {
  const stabilized = stabilize(state, args);
  return limitRate(state, { ...args, desiredReplicas: stabilized });
}

/** Records `replicas − current` as a scale event at `nowMs` (after a successful rescale). */
export function recordScaleEvent(state: BehaviorState, currentReplicas: number, newReplicas: number, nowMs: number, args: Pick<NormalizeArgs, 'scaleUp' | 'scaleDown'>): void {
  const longest = (rules: ScalingRules) => Math.max(0, ...rules.policies.map((p) => p.periodSeconds)) * 1000;
  state.scaleUpEvents = state.scaleUpEvents.filter((e) => e.atMs > nowMs - longest(args.scaleUp));
  state.scaleDownEvents = state.scaleDownEvents.filter((e) => e.atMs > nowMs - longest(args.scaleDown));
  if (newReplicas > currentReplicas) state.scaleUpEvents.push({ atMs: nowMs, value: newReplicas - currentReplicas });
  if (newReplicas < currentReplicas) state.scaleDownEvents.push({ atMs: nowMs, value: currentReplicas - newReplicas });
}

function stabilize(state: BehaviorState, args: NormalizeArgs): number {
  const upCutoff = args.nowMs - args.scaleUp.stabilizationWindowSeconds * 1000;
  const downCutoff = args.nowMs - args.scaleDown.stabilizationWindowSeconds * 1000;
  let up = args.desiredReplicas;
  let down = args.desiredReplicas;
  for (const r of state.recommendations) {
    if (r.atMs > upCutoff) up = Math.min(up, r.value);
    if (r.atMs > downCutoff) down = Math.max(down, r.value);
  }
  const keepAfter = Math.min(upCutoff, downCutoff);
  state.recommendations = state.recommendations.filter((r) => r.atMs > keepAfter);
  state.recommendations.push({ atMs: args.nowMs, value: args.desiredReplicas });
  return Math.min(Math.max(args.currentReplicas, up), down);
}

function changedWithin(events: readonly TimedValue[], periodSeconds: number, nowMs: number): number {
  const cutoff = nowMs - periodSeconds * 1000;
  return events.filter((e) => e.atMs > cutoff).reduce((sum, e) => sum + e.value, 0);
}

function limitRate(state: BehaviorState, args: NormalizeArgs): { replicas: number; limit: LimitReason } {
  const { currentReplicas: current, desiredReplicas: desired, nowMs } = args;
  if (desired > current) {
    let limit = scaleUpLimit(state, args.scaleUp, current, nowMs);
    if (limit < current) limit = current;
    if (args.maxReplicas > limit) return { replicas: Math.min(desired, limit), limit: desired > limit ? 'ScaleUpLimit' : undefined };
    return { replicas: Math.min(desired, args.maxReplicas), limit: desired > args.maxReplicas ? 'TooManyReplicas' : undefined };
  }
  if (desired < current) {
    let limit = scaleDownLimit(state, args.scaleDown, current, nowMs);
    if (limit > current) limit = current;
    if (args.minReplicas < limit) return { replicas: Math.max(desired, limit), limit: desired < limit ? 'ScaleDownLimit' : undefined };
    return { replicas: Math.max(desired, args.minReplicas), limit: desired < args.minReplicas ? 'TooFewReplicas' : undefined };
  }
  if (desired > args.maxReplicas) return { replicas: args.maxReplicas, limit: 'TooManyReplicas' };
  if (desired < args.minReplicas) return { replicas: args.minReplicas, limit: 'TooFewReplicas' };
  return { replicas: desired, limit: undefined };
}

function scaleUpLimit(state: BehaviorState, rules: ScalingRules, current: number, nowMs: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  let result = rules.selectPolicy === 'Min' ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  for (const p of rules.policies) {
    const start = current - changedWithin(state.scaleUpEvents, p.periodSeconds, nowMs) + changedWithin(state.scaleDownEvents, p.periodSeconds, nowMs);
    const proposed = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    result = rules.selectPolicy === 'Min' ? Math.min(result, proposed) : Math.max(result, proposed);
  }
  return result;
}

function scaleDownLimit(state: BehaviorState, rules: ScalingRules, current: number, nowMs: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  let result = rules.selectPolicy === 'Min' ? Number.MIN_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  for (const p of rules.policies) {
    const start = current + changedWithin(state.scaleDownEvents, p.periodSeconds, nowMs) - changedWithin(state.scaleUpEvents, p.periodSeconds, nowMs);
    const proposed = p.type === 'Pods' ? start - p.value : Math.floor(start * (1 - p.value / 100));
    result = rules.selectPolicy === 'Min' ? Math.max(result, proposed) : Math.min(result, proposed);
  }
  return result;
}
