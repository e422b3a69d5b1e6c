/**
 * The HorizontalPodAutoscaler controller (Kubernetes' podautoscaler): every sync period (15 s,
 * `--horizontal-pod-autoscaler-sync-period`) each HPA reads its target's scale subresource,
 * the target's pods (the scale's selector) and their usage from a PodMetricsSource, computes
 * the replica count of every Resource metric (replica-calculator.ts; the largest wins),
 * stabilizes and rate-limits it (scaling-behavior.ts), writes the new count through the scale
 * subresource, and records status: currentReplicas, desiredReplicas, currentMetrics,
 * lastScaleTime and the conditions AbleToScale, ScalingActive, ScalingLimited.
 * Metric types other than Resource are reported as not supported (ScalingActive=False).
 */
import { resourceForApiVersionKind, RESOURCES } from '../../../lib/api/resources';
import type { Pod } from '../../../lib/api/types/core';
import type { HorizontalPodAutoscaler, MetricSpec } from '../../../lib/api/types/autoscaling';
import { parseLabelSelector } from '../../../lib/api/label-selector';
import { parseQuantity } from '../../../lib/api/quantity';
import type { EventRecorder } from '../../../lib/client/events';
import { objectKey, splitObjectKey, type SharedInformer } from '../../../lib/client/informer';
import { writeStatus } from '../../../lib/controller/status-writer';
import { ControllerRunner, type Controller, type ControllerContext, type ControllerDescriptor } from '../../../lib/controller';
import { limitedCondition, mergeConditions, metricDescription, resourceMetricStatus, type HpaCondition } from './hpa-status';
import type { PodMetricsSource } from './metrics-source';
import { calculateReplicas, DEFAULT_TOLERANCE, type ResourceName, type ResourceTarget } from './replica-calculator';
import { DEFAULT_SCALE_DOWN, DEFAULT_SCALE_UP, newBehaviorState, normalizeReplicas, recordScaleEvent, scalingRulesOf, type BehaviorState } from './scaling-behavior';

/** Kubernetes' --horizontal-pod-autoscaler-sync-period default, ms. */
export const DEFAULT_HPA_SYNC_PERIOD_MS = 15_000;
/** The utilization an HPA without metrics aims at (Kubernetes' default), percent. */
export const DEFAULT_CPU_UTILIZATION = 80;
/** The Event source name. */
export const HPA_CONTROLLER_COMPONENT = 'horizontal-pod-autoscaler';

/** Settings of the HPA controller. */
export interface HpaControllerOptions {
  /** Where pods' usage comes from; absent: every HPA reports ScalingActive=False. */
  readonly metrics?: PodMetricsSource;
  readonly syncPeriodMs?: number;
  readonly tolerance?: number;
}

/** The descriptor registered in the controller-manager. */
export function horizontalPodAutoscalerControllerDescriptor(options: HpaControllerOptions): ControllerDescriptor {
  return { name: 'horizontalpodautoscaling', create: (ctx) => new HorizontalPodAutoscalerController(ctx, options) };
}

/** One Resource metric an HPA names, parsed. */
interface ResourceMetric {
  readonly resource: ResourceName;
  readonly target: ResourceTarget;
}

type ParsedMetrics = { metrics: ResourceMetric[] } | { error: string };

/** See the file comment. */
export class HorizontalPodAutoscalerController implements Controller {
  private readonly hpas: SharedInformer<HorizontalPodAutoscaler>;
  private readonly pods: SharedInformer<Pod>;
  private readonly runner: ControllerRunner<string>;
  private readonly recorder: EventRecorder;
  private readonly syncPeriodMs: number;
  /** Recommendations and scale events, by HPA key (in memory, as in Kubernetes). */
  private readonly states = new Map<string, BehaviorState>();

  constructor(
    private readonly ctx: ControllerContext,
    private readonly options: HpaControllerOptions,
  ) {
    this.syncPeriodMs = options.syncPeriodMs ?? DEFAULT_HPA_SYNC_PERIOD_MS;
    this.hpas = ctx.informers.informer<HorizontalPodAutoscaler>(RESOURCES.horizontalpodautoscalers);
    this.pods = ctx.informers.informer<Pod>(RESOURCES.pods);
    this.recorder = ctx.recorder(HPA_CONTROLLER_COMPONENT);
    this.runner = new ControllerRunner({
      name: 'horizontalpodautoscaling',
      reconcile: async (k) => {
        await this.sync(k);
        return { requeueAfterMs: this.syncPeriodMs };
      },
      clock: ctx.clock,
      logger: ctx.logger.child({ controller: 'horizontalpodautoscaling' }),
      metrics: ctx.workQueueMetrics?.('horizontalpodautoscaling'),
    });
    // Status writes (ours) do not enqueue: each HPA is looked at once per sync period, and again at once when its spec changes.
    this.hpas.addEventHandler({
      onAdd: (h) => this.runner.enqueue(objectKey(h)),
      onUpdate: (old, h) => {
        if (old.metadata.generation !== h.metadata.generation) this.runner.enqueue(objectKey(h));
      },
      onDelete: (h) => this.states.delete(objectKey(h)),
    });
  }

  async run(): Promise<void> {
    await Promise.all([this.hpas.waitForSync(), this.pods.waitForSync()]);
    this.runner.start();
  }

  stop(): Promise<void> {
    return this.runner.stop();
  }

  private async sync(key: string): Promise<void> {
    const { namespace, name } = splitObjectKey(key);
    const hpa = this.hpas.lister.get(namespace, name);
    if (!hpa) {
      this.states.delete(key);
      return;
    }
    const spec = hpa.spec ?? {};
    const ref = spec.scaleTargetRef ?? {};
    const minReplicas = spec.minReplicas ?? 1;
    const maxReplicas = spec.maxReplicas ?? minReplicas;
    const now = this.ctx.clock.now();
    const nowIso = new Date(now).toISOString();
    const conditions: Omit<HpaCondition, 'lastTransitionTime'>[] = [];
    const finish = (status: Record<string, unknown>) =>
      writeStatus(this.ctx.client.resource<HorizontalPodAutoscaler>(RESOURCES.horizontalpodautoscalers), hpa, {
        observedGeneration: hpa.metadata.generation,
        ...status,
        conditions: mergeConditions((hpa.status as { conditions?: HpaCondition[] } | undefined)?.conditions, conditions as HpaCondition[], nowIso),
      });

    const targetInfo = resourceForApiVersionKind(ref.apiVersion ?? '', ref.kind ?? '');
    let scale;
    try {
      if (!targetInfo) throw new Error(`no matches for kind "${ref.kind ?? ''}" in group "${(ref.apiVersion ?? '').split('/')[0] ?? ''}"`);
      scale = await this.ctx.client.resource(targetInfo).getScale(namespace, ref.name ?? '');
    } catch (err) {
      const message = `the HPA controller was unable to get the target's current scale: ${(err as Error).message}`;
      this.recorder.event(hpa, 'Warning', 'FailedGetScale', (err as Error).message);
      conditions.push({ type: 'AbleToScale', status: 'False', reason: 'FailedGetScale', message });
      await finish({});
      return;
    }
    const currentReplicas = scale.spec?.replicas ?? 0;
    const oldStatus = (hpa.status ?? {}) as { lastScaleTime?: string; currentMetrics?: unknown[] };
    let desired = currentReplicas;
    let currentMetrics: unknown[] = oldStatus.currentMetrics ?? [];
    let reason = '';

    if (currentReplicas === 0 && minReplicas !== 0) {
      conditions.push({ type: 'ScalingActive', status: 'False', reason: 'ScalingDisabled', message: 'scaling is disabled since the replica count of the target is zero' });
      conditions.unshift({ type: 'AbleToScale', status: 'True', reason: 'SucceededGetScale', message: 'the HPA controller was able to get the target\'s current scale' });
      await finish({ currentReplicas, desiredReplicas: 0 });
      return;
    }
    const computed = await this.recommend(hpa, namespace, scale.status?.selector ?? '', currentReplicas);
    if ('error' in computed) {
      this.recorder.event(hpa, 'Warning', computed.reason, computed.error);
      conditions.push({ type: 'ScalingActive', status: 'False', reason: computed.reason, message: `the HPA was unable to compute the replica count: ${computed.error}` });
    } else {
      desired = computed.replicas;
      currentMetrics = computed.currentMetrics;
      reason = computed.reason;
      conditions.push({ type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound', message: `the HPA was able to successfully calculate a replica count from ${computed.description}` });
    }
    const state = this.states.get(key) ?? newBehaviorState({ replicas: currentReplicas, nowMs: now });
    this.states.set(key, state);
    const behavior = (spec.behavior ?? {}) as { scaleUp?: Parameters<typeof scalingRulesOf>[0]; scaleDown?: Parameters<typeof scalingRulesOf>[0] };
    const rules = { scaleUp: scalingRulesOf(behavior.scaleUp, DEFAULT_SCALE_UP), scaleDown: scalingRulesOf(behavior.scaleDown, DEFAULT_SCALE_DOWN) };
    // Without a computed recommendation the count only moves back inside min/max.
    const normalized = normalizeReplicas(state, { currentReplicas, desiredReplicas: desired, minReplicas, maxReplicas, ...rules, nowMs: now });
    conditions.push(limitedCondition(normalized.limit));
    let lastScaleTime = oldStatus.lastScaleTime;
    if (normalized.replicas !== currentReplicas) {
      try {
        await this.ctx.client.resource(targetInfo!).updateScale(namespace, ref.name ?? '', { ...scale, spec: { ...(scale.spec ?? {}), replicas: normalized.replicas } });
      } catch (err) {
        this.recorder.event(hpa, 'Warning', 'FailedRescale', `New size: ${normalized.replicas}; reason: ${reason}; error: ${(err as Error).message}`);
        conditions.unshift({ type: 'AbleToScale', status: 'False', reason: 'FailedUpdateScale', message: `the HPA controller was unable to update the target scale: ${(err as Error).message}` });
        await finish({ currentReplicas, desiredReplicas: normalized.replicas, currentMetrics });
        return;
      }
      recordScaleEvent(state, currentReplicas, normalized.replicas, now, rules);
      lastScaleTime = nowIso;
      this.recorder.event(hpa, 'Normal', 'SuccessfulRescale', `New size: ${normalized.replicas}; reason: ${reason || 'the replica count is outside the min/max range'}`);
      conditions.unshift({ type: 'AbleToScale', status: 'True', reason: 'SucceededRescale', message: `the HPA controller was able to update the target scale to ${normalized.replicas}` });
    } else {
      conditions.unshift({ type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' });
    }
    await finish({ currentReplicas, desiredReplicas: normalized.replicas, currentMetrics, ...(lastScaleTime ? { lastScaleTime } : {}) });
  }

  /** The largest replica count over the HPA's metrics, or why none could be computed. */
  private async recommend(
    hpa: HorizontalPodAutoscaler,
    namespace: string,
    selector: string,
    currentReplicas: number,
  ): Promise<{ replicas: number; currentMetrics: unknown[]; reason: string; description: string } | { error: string; reason: string }> {
    const parsed = parseMetrics(hpa.spec?.metrics);
    if ('error' in parsed) return { error: parsed.error, reason: 'FailedGetResourceMetric' };
    if (!selector) return { error: 'the target has no selector (its scale subresource reports none)', reason: 'InvalidSelector' };
    let matches;
    try {
      matches = parseLabelSelector(selector);
    } catch (err) {
      return { error: `couldn't convert selector into a corresponding internal selector object: ${(err as Error).message}`, reason: 'InvalidSelector' };
    }
    if (!this.options.metrics) return { error: 'no metrics source is configured', reason: 'FailedGetResourceMetric' };
    const pods = this.pods.lister.listInNamespace(namespace).filter((p) => matches.matches(p.metadata.labels ?? {}));
    let best: { replicas: number; reason: string; description: string } | undefined;
    const currentMetrics: unknown[] = [];
    for (const m of parsed.metrics) {
      const utilization = m.target.type === 'Utilization';
      const description = metricDescription(m.resource, utilization);
      try {
        const usage = await this.options.metrics.podUsage(namespace, selector, m.resource);
        const r = calculateReplicas({ resource: m.resource, target: m.target, currentReplicas, pods, usage, tolerance: this.options.tolerance ?? DEFAULT_TOLERANCE });
        currentMetrics.push(resourceMetricStatus(m.resource, r.averageMilli, r.utilization));
        if (!best || r.replicas > best.replicas) best = { replicas: r.replicas, reason: `${description} ${r.replicas > currentReplicas ? 'above' : 'below'} target`, description };
      } catch (err) {
        return { error: `failed to get ${m.resource} utilization: ${(err as Error).message}`, reason: 'FailedGetResourceMetric' };
      }
    }
    return { ...best!, currentMetrics };
  }
}

/** The HPA's Resource metrics (cpu at 80 % when it names none); an error for anything else. */
function parseMetrics(specs: readonly MetricSpec[] | undefined): ParsedMetrics {
  if (!specs || specs.length === 0) return { metrics: [{ resource: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } }] };
  const metrics: ResourceMetric[] = [];
  for (const [i, s] of specs.entries()) {
    if (s.type !== 'Resource') return { error: `spec.metrics[${i}].type: ${s.type ?? ''} metrics are not supported (only Resource)` };
    const resource = s.resource?.name;
    if (resource !== 'cpu' && resource !== 'memory') return { error: `spec.metrics[${i}].resource.name: "${resource ?? ''}" is not supported (cpu, memory)` };
    const t = s.resource?.target ?? {};
    if (t.type === 'Utilization' && typeof t.averageUtilization === 'number' && t.averageUtilization > 0) metrics.push({ resource, target: { type: 'Utilization', averageUtilization: t.averageUtilization } });
    else if (t.type === 'AverageValue' && t.averageValue !== undefined) {
      try {
        metrics.push({ resource, target: { type: 'AverageValue', averageMilli: parseQuantity(String(t.averageValue)).milliValue() } });
      } catch (err) {
        return { error: `spec.metrics[${i}].resource.target.averageValue: ${(err as Error).message}` };
      }
    } else return { error: `spec.metrics[${i}].resource.target: a Utilization (averageUtilization) or AverageValue (averageValue) target is required` };
  }
  return { metrics };
}
