/**
 * The root CA publisher (Kubernetes' `root-ca-cert-publisher`): every active namespace has a
 * `kube-root-ca.crt` ConfigMap whose `ca.crt` is the cluster CA (what the projected token
 * volume puts next to the token, so a pod can verify the apiserver). Made when the namespace
 * appears, made again when deleted, and put back when someone edits it. Without a CA (no
 * `--root-ca-file`) the controller has nothing to publish and is not started.
 */
import { isAlreadyExists, isForbidden, isNotFound } from '../../../lib/api/status';
import { RESOURCES } from '../../../lib/api/resources';
import type { ConfigMap, Namespace } from '../../../lib/api/types';
import type { SharedInformer } from '../../../lib/client/informer';
import type { ResourceClient } from '../../../lib/client/api-client';
import { controllerRunner, ControllerRunner, QueueController, type ControllerContext, type ControllerDescriptor } from '../../../lib/controller';
import { ROOT_CA_CONFIGMAP, ROOT_CA_KEY } from '../../apiserver/admission/service-account-token-volume';

/** The controller's name in `--controllers`. */
export const ROOT_CA_CERT_PUBLISHER_NAME = 'root-ca-cert-publisher';
/** The annotation Kubernetes puts on the ConfigMap (a description for readers). */
export const ROOT_CA_DESCRIPTION_ANNOTATION = 'kubernetes.io/description';
const ROOT_CA_DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

/** Registers the publisher with the cluster CA (PEM) it publishes; no CA: a controller that does nothing. */
export function rootCaCertPublisherDescriptor(rootCa: string | undefined): ControllerDescriptor {
  return {
    name: ROOT_CA_CERT_PUBLISHER_NAME,
    create: (ctx) => (rootCa ? new RootCaCertPublisher(ctx, rootCa) : { run: async () => ctx.logger.info({ controller: ROOT_CA_CERT_PUBLISHER_NAME }, 'no --root-ca-file: nothing to publish'), stop: async () => {} }),
  };
}

/** The publisher. See the file comment. Its queue holds namespace names. */
export class RootCaCertPublisher extends QueueController {
  private readonly namespaces: SharedInformer<Namespace>;
  private readonly configMaps: SharedInformer<ConfigMap>;
  private readonly client: ResourceClient<ConfigMap>;
  protected readonly runner: ControllerRunner;

  constructor(
    ctx: ControllerContext,
    private readonly rootCa: string,
  ) {
    super();
    this.namespaces = ctx.informers.informer<Namespace>(RESOURCES.namespaces);
    this.configMaps = ctx.informers.informer<ConfigMap>(RESOURCES.configmaps);
    this.client = ctx.client.resource<ConfigMap>(RESOURCES.configmaps);
    this.runner = controllerRunner(ctx, ROOT_CA_CERT_PUBLISHER_NAME, (ns) => this.reconcile(ns));
    const enqueueNamespace = (ns: Namespace) => this.runner.enqueue(ns.metadata.name!);
    this.namespaces.addEventHandler({ onAdd: enqueueNamespace, onUpdate: (_old, ns) => enqueueNamespace(ns) });
    const enqueueOwn = (cm: ConfigMap) => {
      if (cm.metadata.name === ROOT_CA_CONFIGMAP && cm.metadata.namespace) this.runner.enqueue(cm.metadata.namespace);
    };
    this.configMaps.addEventHandler({ onUpdate: (_old, cm) => enqueueOwn(cm), onDelete: enqueueOwn });
  }

  protected synced() {
    return [this.namespaces, this.configMaps];
  }

  private async reconcile(namespace: string): Promise<void> {
    const ns = this.namespaces.lister.get('', namespace);
    if (!ns || ns.metadata.deletionTimestamp || ns.status?.phase === 'Terminating') return;
    const current = this.configMaps.lister.get(namespace, ROOT_CA_CONFIGMAP);
    try {
      if (!current) {
        await this.client.create(namespace, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: ROOT_CA_CONFIGMAP, namespace, annotations: { [ROOT_CA_DESCRIPTION_ANNOTATION]: ROOT_CA_DESCRIPTION } }, data: { [ROOT_CA_KEY]: this.rootCa } });
        return;
      }
      if (current.data?.[ROOT_CA_KEY] === this.rootCa && Object.keys(current.data).length === 1) return;
      await this.client.update(namespace, { ...current, data: { [ROOT_CA_KEY]: this.rootCa } });
    } catch (err) {
      // The cache lags (it exists already: its add event brings it back here), or the namespace
      // went away or began terminating (NotFound / Forbidden): nothing to do. A conflict retries.
      if (isAlreadyExists(err) || isNotFound(err) || isForbidden(err)) return;
      throw err;
    }
  }
}
