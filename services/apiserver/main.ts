import type { Logger } from '../../lib/logger';
import { MemoryReclaimer, startProcessReclaimer } from '../../lib/memory-reclaimer';
import { AllocationRepairLoop, repairFromStore, ServiceAllocators, serviceRestDecorator, type ServiceAllocatorConfig } from './allocators';
import { StoreClient } from '../../store/client';
import { ApiServer, type ApiServerConfig } from './apiserver';
import { ensureSystemObjects, KubernetesServiceController } from './bootstrap';
import { reconcileBootstrapPolicy } from './authz/bootstrap-policy-reconciler';

/** What the apiserver process adds to the bare ApiServer configuration. */
export interface ApiServerProcessConfig extends ApiServerConfig {
  readonly allocators?: ServiceAllocatorConfig;
  /**
   * The address other components reach this apiserver at, published in the `kubernetes`
   * Service's Endpoints (default: the address the API is served on).
   */
  readonly advertise?: { readonly address: string; readonly port: number };
}

/**
 * The apiserver as a process runs it: the ApiServer with every part wired in — Service IP and
 * NodePort allocation (repaired at start and periodically), the system namespaces and
 * PriorityClasses, this apiserver in the `kubernetes` Service's Endpoints, and a
 * MemoryReclaimer that gives memory back once the process goes quiet after a burst (hundreds
 * of watch streams torn down, say). Tests that need the bare registry use ApiServer.start directly.
 */
export async function startApiServer(config: ApiServerProcessConfig, logger: Logger): Promise<ApiServer> {
  const client = new StoreClient({ endpoints: [...config.storeEndpoints], tls: config.storeTls });
  const allocators = new ServiceAllocators(client, config.allocators);
  let repairLoop: AllocationRepairLoop | undefined;
  let reclaimer: MemoryReclaimer | undefined;
  const server = await ApiServer.start(config, logger, {
    client,
    decorators: { '/services': serviceRestDecorator(allocators) },
    onWatchEnded: () => reclaimer?.released(),
    onStart: [
      async (resources, srv) => {
        const report = await repairFromStore(allocators, srv.storeClient);
        if (report.released.length + report.recorded.length > 0) logger.info({ released: report.released.length, recorded: report.recorded.length }, 'repaired service allocations');
        const created = await ensureSystemObjects(resources);
        if (created.namespaces.length + created.priorityClasses.length + created.storageClasses.length > 0) logger.info(created, 'created the system namespaces, priority classes and default storage class');
        const policy = await reconcileBootstrapPolicy(resources, { nodeAuthorizer: srv.authorization.nodeAuthorizer });
        if (policy.created.length + policy.updated.length > 0) logger.info(policy, 'reconciled the bootstrap RBAC policy');
      },
    ],
    onServing: [
      async (resources, srv) => {
        repairLoop = new AllocationRepairLoop(allocators, srv.storeClient);
        repairLoop.start();
        // The kubernetes Service points at the Kubernetes HTTP API when there is one.
        const advertise = config.advertise ?? (srv.http ? { address: '127.0.0.1', port: srv.http.port } : { address: srv.grpcAddress.slice(0, srv.grpcAddress.lastIndexOf(':')), port: srv.grpcPort });
        const controller = new KubernetesServiceController({
          client: srv.storeClient,
          resources,
          address: advertise.address,
          port: advertise.port,
          serviceIp: allocators.kubernetesServiceIp,
        });
        await controller.start();
        srv.onStop(async () => {
          repairLoop?.stop();
          await controller.stop();
        });
      },
    ],
  });
  const started = (reclaimer = startProcessReclaimer(logger));
  server.onStop(() => started.stop());
  return server;
}
