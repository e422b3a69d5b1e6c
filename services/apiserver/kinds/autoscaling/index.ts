import type { Strategy } from '../../registry/strategy';
import { horizontalPodAutoscalerStrategy } from './horizontal-pod-autoscaler';

export * from './horizontal-pod-autoscaler';

/** The registry strategies of the autoscaling/v2 kinds. */
export const autoscalingStrategies: Strategy[] = [horizontalPodAutoscalerStrategy];
