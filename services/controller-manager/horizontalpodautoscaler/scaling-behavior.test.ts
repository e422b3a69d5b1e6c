import { expect } from 'chai';
import { DEFAULT_SCALE_DOWN, DEFAULT_SCALE_UP, newBehaviorState, normalizeReplicas, recordScaleEvent, scalingRulesOf, type ScalingRules } from './scaling-behavior';

const BOUNDS = { minReplicas: 1, maxReplicas: 100, scaleUp: DEFAULT_SCALE_UP, scaleDown: DEFAULT_SCALE_DOWN };

describe('HPA behavior (stabilization windows and scaling policies)', () => {
  it('holds the highest recommendation of the 300 s scale-down window', () => {
    const state = newBehaviorState();
    expect(normalizeReplicas(state, { ...BOUNDS, currentReplicas: 5, desiredReplicas: 5, nowMs: 0 }).replicas).to.equal(5);
    expect(normalizeReplicas(state, { ...BOUNDS, currentReplicas: 5, desiredReplicas: 2, nowMs: 100_000 }).replicas).to.equal(5);
    expect(normalizeReplicas(state, { ...BOUNDS, currentReplicas: 5, desiredReplicas: 2, nowMs: 299_000 }).replicas).to.equal(5);
    expect(normalizeReplicas(state, { ...BOUNDS, currentReplicas: 5, desiredReplicas: 2, nowMs: 301_000 }).replicas).to.equal(2);
  });

  it('limits a scale-up to +4 pods or +100 % per 15 s, the larger (defaults), and counts what was added in the period', () => {
    const state = newBehaviorState();
    const first = normalizeReplicas(state, { ...BOUNDS, currentReplicas: 2, desiredReplicas: 20, nowMs: 0 });
    expect(first).to.deep.equal({ replicas: 6, limit: 'ScaleUpLimit' });
    recordScaleEvent(state, 2, 6, 0, BOUNDS);
    // 5 s later the period started at 2 replicas: still at most 6.
    expect(normalizeReplicas(state, { ...BOUNDS, currentReplicas: 6, desiredReplicas: 20, nowMs: 5_000 })).to.deep.equal({ replicas: 6, limit: 'ScaleUpLimit' });
    // After the period: 6 → max(10, 12) = 12.
    expect(normalizeReplicas(state, { ...BOUNDS, currentReplicas: 6, desiredReplicas: 20, nowMs: 16_000 }).replicas).to.equal(12);
  });

  it('takes the smallest change with selectPolicy Min, and none with Disabled', () => {
    const min = scalingRulesOf({ selectPolicy: 'Min' }, DEFAULT_SCALE_UP);
    expect(normalizeReplicas(newBehaviorState(), { ...BOUNDS, scaleUp: min, currentReplicas: 10, desiredReplicas: 40, nowMs: 0 }).replicas).to.equal(14);
    const disabled: ScalingRules = { ...DEFAULT_SCALE_UP, selectPolicy: 'Disabled' };
    expect(normalizeReplicas(newBehaviorState(), { ...BOUNDS, scaleUp: disabled, currentReplicas: 10, desiredReplicas: 40, nowMs: 0 }).replicas).to.equal(10);
  });

  it('limits a scale-down by a Pods policy per period', () => {
    const down = scalingRulesOf({ stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }] }, DEFAULT_SCALE_DOWN);
    const state = newBehaviorState();
    expect(normalizeReplicas(state, { ...BOUNDS, scaleDown: down, currentReplicas: 10, desiredReplicas: 1, nowMs: 0 })).to.deep.equal({ replicas: 8, limit: 'ScaleDownLimit' });
    recordScaleEvent(state, 10, 8, 0, { scaleUp: DEFAULT_SCALE_UP, scaleDown: down });
    expect(normalizeReplicas(state, { ...BOUNDS, scaleDown: down, currentReplicas: 8, desiredReplicas: 1, nowMs: 30_000 }).replicas).to.equal(8);
    expect(normalizeReplicas(state, { ...BOUNDS, scaleDown: down, currentReplicas: 8, desiredReplicas: 1, nowMs: 61_000 }).replicas).to.equal(6);
  });

  it('keeps the count within minReplicas and maxReplicas, saying which bound held', () => {
    expect(normalizeReplicas(newBehaviorState(), { ...BOUNDS, maxReplicas: 5, currentReplicas: 4, desiredReplicas: 9, nowMs: 0 })).to.deep.equal({ replicas: 5, limit: 'TooManyReplicas' });
    const down = { ...DEFAULT_SCALE_DOWN, stabilizationWindowSeconds: 0 };
    expect(normalizeReplicas(newBehaviorState(), { ...BOUNDS, scaleDown: down, minReplicas: 2, currentReplicas: 4, desiredReplicas: 1, nowMs: 0 })).to.deep.equal({ replicas: 2, limit: 'TooFewReplicas' });
    expect(normalizeReplicas(newBehaviorState(), { ...BOUNDS, minReplicas: 3, currentReplicas: 3, desiredReplicas: 3, nowMs: 0 })).to.deep.equal({ replicas: 3, limit: undefined });
  });
});
