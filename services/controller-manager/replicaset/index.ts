/**
 * The ReplicaSet and ReplicationController controllers: one {@link ReplicaController}
 * parameterised by kind, registered under kube-controller-manager's names.
 */
import type { ControllerDescriptor } from '../../../lib/controller/controller-registry';
import { ReplicaController } from './replica-controller';
import { REPLICA_SET_KIND, REPLICATION_CONTROLLER_KIND, type ReplicaKind } from './replica-kind';

export * from './replica-controller';
export * from './replica-kind';
export * from './replica-status';
export * from './deletion-order';
export * from './slow-start';

function descriptorFor(kind: ReplicaKind): ControllerDescriptor {
  return { name: kind.controllerName, create: (ctx) => new ReplicaController(ctx, kind) };
}

/** `--controllers` name `replicaset`. */
export const replicaSetControllerDescriptor = descriptorFor(REPLICA_SET_KIND);
/** `--controllers` name `replicationcontroller`. */
export const replicationControllerDescriptor = descriptorFor(REPLICATION_CONTROLLER_KIND);
