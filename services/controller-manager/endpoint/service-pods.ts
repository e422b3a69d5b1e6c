/**
 * Which pods a Service selects, and which Services a pod change concerns: the rules the
 * Endpoints and EndpointSlice controllers share. A Service without a selector (or with an empty
 * one) selects nothing: its endpoints are written by its users.
 */
import { isDeepStrictEqual } from 'node:util';
import { selectorFromSet } from '../../../lib/api/label-selector';
import type { Pod, Service } from '../../../lib/api/types/core';
import type { Lister, SharedInformer } from '../../../lib/client/informer';

/** The Service's selector map, or undefined when it selects nothing (user-managed endpoints). */
export function serviceSelector(service: Service): Record<string, string> | undefined {
  const selector = service.spec?.selector;
  return selector && Object.keys(selector).length > 0 ? selector : undefined;
}

/** The pods of the Service's namespace its selector picks (none without a selector). */
export function selectedPods(service: Service, pods: Lister<Pod>): Pod[] {
  const selector = serviceSelector(service);
  return selector ? pods.listInNamespace(service.metadata.namespace ?? '', selectorFromSet(selector)) : [];
}

/** Every Service in the pod's namespace whose selector matches the pod's labels. */
export function servicesSelectingPod(pod: Pod, services: Lister<Service>): Service[] {
  const labels = pod.metadata.labels ?? {};
  return services.listInNamespace(pod.metadata.namespace ?? '').filter((svc) => {
    const selector = serviceSelector(svc);
    return selector !== undefined && selectorFromSet(selector).matches(labels);
  });
}

/**
 * Calls `onService` for every Service a pod event concerns: those selecting the pod now, and on
 * a label change those that selected it before (so a pod leaving a Service is dropped at once).
 */
export function watchSelectedPods(pods: SharedInformer<Pod>, services: Lister<Service>, onService: (svc: Service) => void): void {
  const changed = (pod: Pod) => servicesSelectingPod(pod, services).forEach(onService);
  pods.addEventHandler({
    onAdd: changed,
    onUpdate: (old, pod) => {
      changed(pod);
      if (!isDeepStrictEqual(old.metadata.labels ?? {}, pod.metadata.labels ?? {})) changed(old);
    },
    onDelete: changed,
  });
}
