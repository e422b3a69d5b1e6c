import * as grpc from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';

/** One service registration, as ReflectionService.addToServer makes it. */
interface Registration {
  definition: grpc.ServiceDefinition;
  implementation: grpc.UntypedServiceImplementation;
}

/** Runs `service.addToServer` against a recorder and returns what it registered, by service path. */
function registrationsOf(service: ReflectionService): Map<string, Registration> {
  const found = new Map<string, Registration>();
  const recorder = {
    addService(definition: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation): void {
      found.set(servicePath(definition), { definition, implementation });
    },
  };
  service.addToServer(recorder as unknown as Pick<grpc.Server, 'addService'>);
  return found;
}

function servicePath(definition: grpc.ServiceDefinition): string {
  const anyMethod = Object.values(definition)[0];
  return anyMethod ? anyMethod.path.split('/')[1] : '';
}

/**
 * Adds server reflection (grpc.reflection.v1 and v1alpha) to `server`, indexing the services'
 * descriptors only when the first reflection call arrives.
 *
 * Indexing decodes every file descriptor of every served .proto — about two seconds of CPU and
 * tens of megabytes for the apiserver's thirty-odd services — and every component would pay it
 * at start although reflection is called only when a person runs `grpcurl`. So the reflection
 * services are registered at once (from an index of nothing, which costs nothing) and each
 * handler builds the real index on first use, then hands it the call.
 */
export function addLazyReflection(server: Pick<grpc.Server, 'addService'>, load: () => PackageDefinition, services: readonly string[]): void {
  let real: Map<string, Registration> | undefined;
  const resolve = (): Map<string, Registration> => (real ??= registrationsOf(new ReflectionService(load(), { services: [...services] })));
  for (const [path, { definition, implementation }] of registrationsOf(new ReflectionService({}, { services: [...services] }))) {
    const lazy: grpc.UntypedServiceImplementation = {};
    for (const method of Object.keys(implementation)) {
      lazy[method] = (call: unknown, callback?: unknown) => {
        const handler = resolve().get(path)?.implementation[method] as ((c: unknown, cb?: unknown) => void) | undefined;
        if (!handler) throw new Error(`reflection: no handler for ${path}/${method}`);
        handler(call, callback);
      };
    }
    server.addService(definition, lazy);
  }
}
