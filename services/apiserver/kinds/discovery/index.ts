import type { Strategy } from '../../registry/strategy';
import { endpointSliceStrategy } from './endpoint-slice';

export * from './endpoint-slice';

/** The registry strategies of the discovery.k8s.io/v1 kinds. */
export const discoveryStrategies: Strategy[] = [endpointSliceStrategy];
