/**
 * The service load-balancer controller (k3s' ServiceLB, in the controller-manager): a Service of
 * type LoadBalancer without spec.loadBalancerClass is served by every node — the proxy on each
 * node answers its LoadBalancer addresses at the Service port — so its
 * `status.loadBalancer.ingress` is the InternalIPs of the Ready nodes, as `ip` entries sorted by
 * address. The status is written only when it changes, cleared when the Service stops being of
 * type LoadBalancer, and never touched for Services that name a loadBalancerClass (another
 * implementation's). Events: EnsuringLoadBalancer / EnsuredLoadBalancer around a change,
 * UnAvailableLoadBalancer (Warning) while no node is Ready, DeletedLoadBalancer on clearing.
 */
import { isIPv4 } from 'node:net';
import { podCondition } from '../../../lib/api/pod-status';
import { RESOURCES } from '../../../lib/api/resources';
import type { Node, Service } from '../../../lib/api/types/core';
import type { EventRecorder } from '../../../lib/client/events';
import { objectKey, splitObjectKey, type SharedInformer } from '../../../lib/client/informer';
import { controllerRunner, ControllerRunner, QueueController, type ControllerContext, type ControllerDescriptor } from '../../../lib/controller';
import { writeStatus } from '../../../lib/controller/status-writer';

/** The controller's name in `--controllers` and the component of its Events. */
export const SERVICE_LB_CONTROLLER_NAME = 'service-lb-controller';

/** One entry of status.loadBalancer.ingress. */
export type LoadBalancerIngress = { ip?: string; hostname?: string; [field: string]: unknown };

/** Registers the controller. */
export const serviceLbControllerDescriptor: ControllerDescriptor = {
  name: SERVICE_LB_CONTROLLER_NAME,
  create: (ctx) => new ServiceLbController(ctx),
};

/** True when the Service is ours: type LoadBalancer and no loadBalancerClass. */
export function isOurLoadBalancer(svc: Service): boolean {
  return svc.spec?.type === 'LoadBalancer' && !svc.spec?.loadBalancerClass;
}

/** The node's InternalIP addresses. */
function internalIPs(node: Node): string[] {
  const addresses = (node.status as { addresses?: { type?: string; address?: string }[] } | undefined)?.addresses ?? [];
  return addresses.filter((a) => a.type === 'InternalIP' && a.address).map((a) => a.address!);
}

function isNodeReady(node: Node): boolean {
  return podCondition(node, 'Ready')?.status === 'True';
}

/** Orders IPv4 addresses numerically before other addresses, the rest by text. */
export function compareAddresses(a: string, b: string): number {
  if (isIPv4(a) && isIPv4(b)) {
    const na = a.split('.').map(Number);
    const nb = b.split('.').map(Number);
    for (let i = 0; i < na.length; i++) if (na[i] !== nb[i]) return na[i]! - nb[i]!;
    return 0;
  }
  if (isIPv4(a) !== isIPv4(b)) return isIPv4(a) ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The load-balancer ingress of the cluster's nodes: one `ip` entry per distinct InternalIP of a Ready node, sorted. */
export function nodeIngress(nodes: readonly Node[]): LoadBalancerIngress[] {
  const ips = new Set<string>();
  for (const n of nodes) if (isNodeReady(n)) for (const ip of internalIPs(n)) ips.add(ip);
  return [...ips].sort(compareAddresses).map((ip) => ({ ip }));
}

function currentIngress(svc: Service): LoadBalancerIngress[] {
  const lb = svc.status?.loadBalancer as { ingress?: LoadBalancerIngress[] } | undefined;
  return Array.isArray(lb?.ingress) ? lb.ingress : [];
}

function sameIngress(a: readonly LoadBalancerIngress[], b: readonly LoadBalancerIngress[]): boolean {
  return a.length === b.length && a.every((x, i) => x.ip === b[i]!.ip && (x.hostname ?? '') === (b[i]!.hostname ?? ''));
}

/** What about a node matters here: readiness and addresses (not heartbeats). */
function nodeFingerprint(node: Node): string {
  return `${isNodeReady(node)}|${internalIPs(node).join(',')}`;
}

/** The controller. See the file comment. Its queue holds Service keys. */
export class ServiceLbController extends QueueController {
  private readonly services: SharedInformer<Service>;
  private readonly nodes: SharedInformer<Node>;
  private readonly recorder: EventRecorder;
  protected readonly runner: ControllerRunner;

  constructor(private readonly ctx: ControllerContext) {
    super();
    this.services = ctx.informers.informer<Service>(RESOURCES.services);
    this.nodes = ctx.informers.informer<Node>(RESOURCES.nodes);
    this.recorder = ctx.recorder(SERVICE_LB_CONTROLLER_NAME);
    this.runner = controllerRunner(ctx, SERVICE_LB_CONTROLLER_NAME, (key) => this.reconcile(key));
    const enqueue = (svc: Service) => this.runner.enqueue(objectKey(svc));
    this.services.addEventHandler({ onAdd: enqueue, onUpdate: (_old, svc) => enqueue(svc) });
    const everyLoadBalancer = () => {
      for (const svc of this.services.lister.list()) if (isOurLoadBalancer(svc)) enqueue(svc);
    };
    this.nodes.addEventHandler({
      onAdd: everyLoadBalancer,
      onUpdate: (old, node) => {
        if (nodeFingerprint(old) !== nodeFingerprint(node)) everyLoadBalancer();
      },
      onDelete: everyLoadBalancer,
    });
  }

  protected synced() {
    return [this.services, this.nodes];
  }

  private async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitObjectKey(key);
    const svc = this.services.lister.get(namespace, name);
    if (!svc) return;
    const current = currentIngress(svc);
    if (!isOurLoadBalancer(svc)) {
      // A class means another implementation owns the status; a non-LB Service has none.
      if (svc.spec?.type === 'LoadBalancer' || current.length === 0) return;
      await this.write(svc, []);
      this.recorder.event(svc, 'Normal', 'DeletedLoadBalancer', 'Deleted load balancer');
      return;
    }
    const desired = nodeIngress(this.nodes.lister.list());
    if (desired.length === 0) {
      this.recorder.event(svc, 'Warning', 'UnAvailableLoadBalancer', 'There are no available nodes for LoadBalancer');
    }
    if (sameIngress(current, desired)) return;
    this.recorder.event(svc, 'Normal', 'EnsuringLoadBalancer', 'Ensuring load balancer');
    await this.write(svc, desired);
    this.recorder.event(svc, 'Normal', 'EnsuredLoadBalancer', 'Ensured load balancer');
  }

  private async write(svc: Service, ingress: LoadBalancerIngress[]): Promise<void> {
    const loadBalancer = ingress.length > 0 ? { ...(svc.status?.loadBalancer ?? {}), ingress } : {};
    await writeStatus(this.ctx.client.resource<Service>(RESOURCES.services), svc, { loadBalancer });
  }
}
