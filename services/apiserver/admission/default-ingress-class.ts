import { newestDefaultClass } from '../../../lib/api/default-class';
import type { KubeObject, ResourceInfo } from '../../../lib/api/object';
import { DEFAULT_INGRESS_CLASS_ANNOTATION, type Ingress, type IngressClass } from '../../../lib/api/types/networking';
import { INGRESS_CLASS_ANNOTATION } from '../kinds/networking/ingress';
import { isResource, type AdmissionPlugin } from './admission';

/**
 * Kubernetes' DefaultIngressClass admission: an Ingress created with neither
 * spec.ingressClassName nor the legacy `kubernetes.io/ingress.class` annotation gets the class
 * annotated `ingressclass.kubernetes.io/is-default-class: "true"`; when several are, the newest
 * (then the first by name) wins, as Kubernetes chooses since 1.28. Without a default class the
 * Ingress is left as it is.
 */
export class DefaultIngressClass implements AdmissionPlugin {
  /** `classes` lists the IngressClasses the watch cache holds. */
  constructor(private readonly classes: () => Promise<readonly IngressClass[]>) {}

  async admitCreate(info: ResourceInfo, _namespace: string | undefined, obj: KubeObject): Promise<void> {
    if (!isResource(info, 'networking.k8s.io', 'ingresses')) return;
    const ingress = obj as Ingress;
    if (ingress.spec?.ingressClassName || ingress.metadata?.annotations?.[INGRESS_CLASS_ANNOTATION] !== undefined) return;
    const chosen = defaultIngressClass(await this.classes());
    if (chosen?.metadata.name) (ingress.spec ??= {}).ingressClassName = chosen.metadata.name;
  }
}

/** The default among `classes`: annotated as default, the newest creationTimestamp first, then by name. */
export function defaultIngressClass(classes: readonly IngressClass[]): IngressClass | undefined {
  return newestDefaultClass(classes, DEFAULT_INGRESS_CLASS_ANNOTATION);
}
