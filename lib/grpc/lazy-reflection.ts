import * as grpc from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import type { ReflectionService } from '@grpc/reflection';

/**
 * @grpc/reflection, loaded on the first reflection call: importing it loads protobufjs and
 * proto-loader, about 5 MB of memory in every component that nobody may ever ask.
 */
function reflectionModule(): typeof import('@grpc/reflection') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@grpc/reflection') as typeof import('@grpc/reflection');
}

/** The reflection services and their one method, as @grpc/reflection defines them. */
const REFLECTION_SERVICES = ['grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection'] as const;
const REFLECTION_METHOD = 'ServerReflectionInfo';

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
 * services are registered at once under their fixed names, and the first call loads
 * @grpc/reflection, builds the real index and hands it the call.
 */
export function addLazyReflection(server: Pick<grpc.Server, 'addService'>, load: () => PackageDefinition, services: readonly string[]): void {
  let real: Map<string, Registration> | undefined;
  const resolve = (): Map<string, Registration> =>
    (real ??= registrationsOf(new (reflectionModule().ReflectionService)(load(), { services: [...services] })));
  for (const service of REFLECTION_SERVICES) {
    const path = `/${service}/${REFLECTION_METHOD}`;
    // The real definition's (de)serializers come from the module, loaded with the first call.
    const realMethod = (): grpc.MethodDefinition<unknown, unknown> => {
      const method = resolve().get(service)?.definition[REFLECTION_METHOD];
      if (!method) throw new Error(`reflection: @grpc/reflection serves no ${path}`);
      return method;
    };
    const definition: grpc.ServiceDefinition = {
      [REFLECTION_METHOD]: {
        path,
        requestStream: true,
        responseStream: true,
        originalName: 'serverReflectionInfo',
        requestSerialize: (v: unknown) => realMethod().requestSerialize(v),
        requestDeserialize: (b: Buffer) => realMethod().requestDeserialize(b),
        responseSerialize: (v: unknown) => realMethod().responseSerialize(v),
        responseDeserialize: (b: Buffer) => realMethod().responseDeserialize(b),
      },
    };
    const lazy: grpc.UntypedServiceImplementation = {
      [REFLECTION_METHOD]: (call: unknown, callback?: unknown) => {
        const handler = resolve().get(service)?.implementation[REFLECTION_METHOD] as ((c: unknown, cb?: unknown) => void) | undefined;
        if (!handler) throw new Error(`reflection: no handler for ${path}`);
        handler(call, callback);
      },
    };
    server.addService(definition, lazy);
  }
}
