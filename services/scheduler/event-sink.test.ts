import { expect } from 'chai';
import { NotFoundError } from '../../lib/api/errors';
import type { KubeObject } from '../../lib/api/object';
import type { ApiClient, ResourceClient } from '../../lib/client/api-client';
import { FakeClock, flushPromises } from '../../lib/client/fake-clock';
import { makePod } from './algorithm/test-fixtures';
import { ApiEventSink } from './event-sink';

/** An in-memory events resource: create and merge-patch only. */
class FakeEvents {
  readonly stored = new Map<string, KubeObject>();
  calls: string[] = [];
  readonly client = {
    create: async (ns: string, obj: KubeObject) => {
      this.calls.push('create');
      this.stored.set(`${ns}/${obj.metadata.name}`, obj);
      return obj;
    },
    patch: async (ns: string, name: string, _type: string, patch: string) => {
      this.calls.push('patch');
      const key = `${ns}/${name}`;
      const obj = this.stored.get(key);
      if (!obj) throw new NotFoundError('events', '', name);
      Object.assign(obj, JSON.parse(patch));
      return obj;
    },
  } as unknown as ResourceClient;
}

describe('scheduler ApiEventSink', () => {
  let events: FakeEvents;
  let sink: ApiEventSink;
  const clock = new FakeClock();
  beforeEach(() => {
    events = new FakeEvents();
    const client = { resource: () => events.client } as unknown as ApiClient;
    sink = new ApiEventSink({ client, component: 'default-scheduler', instance: 'replica-1', clock });
  });

  it("writes a core/v1 Event about the object, in Kubernetes' shape", async () => {
    const pod = makePod('web', { namespace: 'shop' });
    sink.event(pod, 'Normal', 'Scheduled', 'Successfully assigned shop/web to n1');
    await flushPromises();
    const [e] = [...events.stored.values()];
    expect(e).to.deep.include({ reason: 'Scheduled', message: 'Successfully assigned shop/web to n1', type: 'Normal', count: 1, reportingComponent: 'default-scheduler' });
    expect(e!.involvedObject).to.deep.include({ kind: 'Pod', namespace: 'shop', name: 'web', uid: pod.metadata.uid });
    expect(e!.source).to.deep.equal({ component: 'default-scheduler', host: 'replica-1' });
    expect(e!.metadata.namespace).to.equal('shop');
  });

  it('aggregates repeats into count instead of new Events, and starts over when the Event is gone', async () => {
    const pod = makePod('big');
    for (let i = 0; i < 3; i++) {
      sink.event(pod, 'Warning', 'FailedScheduling', '0/1 nodes are available: 1 Insufficient cpu.');
      await flushPromises();
    }
    expect(events.stored.size).to.equal(1);
    expect([...events.stored.values()][0]!.count).to.equal(3);
    events.stored.clear();
    sink.event(pod, 'Warning', 'FailedScheduling', '0/1 nodes are available: 1 Insufficient cpu.');
    await flushPromises();
    expect([...events.stored.values()][0]!.count).to.equal(1);
    expect(events.calls).to.deep.equal(['create', 'patch', 'patch', 'patch', 'create']);
  });

  it('puts events about cluster-scoped objects into default', async () => {
    sink.event({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'u' } }, 'Warning', 'FailedScheduling', 'bad node');
    await flushPromises();
    expect([...events.stored.keys()][0]).to.match(/^default\/n1\./);
  });
});
