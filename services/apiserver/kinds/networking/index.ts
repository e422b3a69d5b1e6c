import type { Strategy } from '../../registry/strategy';
import { ingressStrategy } from './ingress';
import { ingressClassStrategy } from './ingress-class';

export * from './ingress';
export * from './ingress-class';

/** The registry strategies of the networking.k8s.io/v1 kinds. */
export const networkingStrategies: Strategy[] = [ingressStrategy, ingressClassStrategy];
