import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { addLazyReflection } from './lazy-reflection';
import { PROTO_DIR } from './service-host';

/** A stand-in for a bidi stream: records what the handler writes. */
class FakeStream extends EventEmitter {
  written: Record<string, unknown>[] = [];
  write(message: Record<string, unknown>): void {
    this.written.push(message);
  }
  end(): void {}
}

describe('lazy server reflection', () => {
  const service = 'bosun.scheduler.v1.SchedulerStatus';
  const registered = new Map<string, grpc.UntypedServiceImplementation>();
  const server = {
    addService: (definition: grpc.ServiceDefinition, impl: grpc.UntypedServiceImplementation) =>
      registered.set(Object.values(definition)[0]!.path.split('/')[1]!, impl),
  };
  let loads = 0;
  const load = () => {
    loads++;
    return protoLoader.loadSync([path.join('bosun', 'scheduler.proto')], { includeDirs: [PROTO_DIR], keepCase: true });
  };

  it('registers v1 and v1alpha without reading a .proto file', () => {
    addLazyReflection(server, load, [service]);
    expect([...registered.keys()].sort()).to.deep.equal(['grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection']);
    expect(loads).to.equal(0);
  });

  it('indexes on the first call, once for both versions, and answers it', () => {
    for (const name of registered.keys()) {
      const stream = new FakeStream();
      (registered.get(name)!.ServerReflectionInfo as (s: unknown) => void)(stream);
      stream.emit('data', { listServices: '', messageRequest: 'listServices' });
      const listed = (stream.written[0]?.listServicesResponse as { service: { name: string }[] }).service.map((s) => s.name);
      expect(listed, name).to.deep.equal([service]);
    }
    expect(loads).to.equal(1);
  });
});
