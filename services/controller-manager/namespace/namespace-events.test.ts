import { expect } from 'chai';
import { EVENTS_RESOURCE, type Event } from '../../../lib/api/core-event';
import type { KubeObject } from '../../../lib/api/object';
import { apiEventSink, EventBroadcaster } from '../../../lib/client/events';
import { configMapStrategy, namespaceStrategy } from '../../apiserver/kinds/core';
import { eventually } from '../../apiserver/registry/test-support';
import { TwoDoorApiServer } from '../../apiserver/test-api-server';
import { NAMESPACE_CONTROLLER_COMPONENT } from '../controller-manager';
import { NamespaceController, REASON_SOME_FINALIZERS_REMAIN, REASON_SOME_RESOURCES_REMAIN, type Namespace } from './namespace-controller';

const NAMESPACES = namespaceStrategy.info;
const CONFIGMAPS = configMapStrategy.info;
/** The finalizer that holds the namespace's content in this suite. */
const HOLD = 'example.com/hold';
/** Longest the controller may take to count three syncs of the held namespace, in ms. */
const EVENT_WAIT_MS = 20_000;

/**
 * The event recorder used for real: the namespace controller, on a real apiserver (both
 * doors), records Warning Events about a namespace whose content waits for a finalizer; the
 * repeats are counted on one Event that kubectl shows.
 */
describe('namespace controller Events (a real apiserver, kubectl)', function () {
  this.timeout(90_000);
  let t: TwoDoorApiServer;
  let events: EventBroadcaster;
  let controller: NamespaceController;

  before(async () => {
    t = await TwoDoorApiServer.start('bosun-ns-events-');
    events = new EventBroadcaster({ sink: apiEventSink(t.grpc) });
    controller = new NamespaceController({ client: t.grpc, recorder: events.newRecorder({ component: NAMESPACE_CONTROLLER_COMPONENT }), retryMaxMs: 300 });
    await controller.run();
  });

  after(async () => {
    await controller?.stop();
    await events?.shutdown();
    await t?.stop();
  });

  /** The Events about namespace `ns` with `reason`. */
  async function eventsAbout(ns: string, reason: string): Promise<Event[]> {
    const list = await t.grpc.resource<Event>(EVENTS_RESOURCE).list('default', { fieldSelector: `involvedObject.name=${ns},reason=${reason}` });
    return list.items;
  }

  it('records one Warning Event per reason, counted, while content waits for a finalizer; kubectl get events and kubectl events show it', async () => {
    const ns = 'held-content';
    const created = await t.grpc.resource<Namespace>(NAMESPACES).create(undefined, { metadata: { name: ns } });
    await t.grpc.resource(CONFIGMAPS).create(ns, { metadata: { name: 'pinned', finalizers: [HOLD] } } as KubeObject);
    await t.grpc.resource(NAMESPACES).delete(undefined, ns);

    const counted = await eventually('a counted SomeResourcesRemain Event', async () => {
      const [ev] = await eventsAbout(ns, REASON_SOME_RESOURCES_REMAIN);
      return ev && (ev.count ?? 0) >= 3 ? ev : undefined;
    }, EVENT_WAIT_MS);
    expect(counted.metadata.name).to.match(/^held-content\.[0-9a-f]+$/);
    expect(counted).to.deep.include({
      type: 'Warning',
      message: 'Some resources are remaining: configmaps has 1 resource instances',
      source: { component: 'namespace-controller' },
      reportingComponent: 'namespace-controller',
    });
    expect(counted.involvedObject).to.deep.include({ kind: 'Namespace', name: ns, uid: created.metadata.uid, apiVersion: 'v1' });
    const finalizers = await eventsAbout(ns, REASON_SOME_FINALIZERS_REMAIN);
    expect(finalizers.map((e) => e.message)).to.deep.equal([`Some content in the namespace has finalizers remaining: ${HOLD} in 1 resource instances`]);
    // Repeats are counted on the one Event, never written as new ones.
    expect(await eventsAbout(ns, REASON_SOME_RESOURCES_REMAIN)).to.have.length(1);

    const get = await t.kubectl(['get', 'events', '-n', 'default', '--field-selector', `involvedObject.name=${ns}`, '-o', 'wide']);
    expect(get.code, get.stderr).to.equal(0);
    const row = get.stdout.split('\n').find((l) => l.includes(REASON_SOME_RESOURCES_REMAIN));
    expect(row, get.stdout).to.match(/Warning\s+SomeResourcesRemain\s+namespace\/held-content\s+namespace-controller\s+Some resources are remaining: configmaps has 1 resource instances\s+\S+\s+(\d+)\s+held-content\.[0-9a-f]+/);
    expect(Number(/\s(\d+)\s+held-content\./.exec(row!)![1])).to.be.at.least(3);

    const listed = await t.kubectl(['events', '-n', 'default', '--for', `namespace/${ns}`]);
    expect(listed.code, listed.stderr).to.equal(0);
    expect(listed.stdout).to.match(/\(x\d+ over \S+\)\s+Warning\s+SomeResourcesRemain\s+Namespace\/held-content\s+Some resources are remaining: configmaps has 1 resource instances/);

    // Released: the namespace goes, and the Events stay behind (until they expire).
    await t.grpc.resource(CONFIGMAPS).patch(ns, 'pinned', 'application/merge-patch+json', JSON.stringify({ metadata: { finalizers: null } }));
    await eventually('the namespace to be gone', async () => !(await t.grpc.resource(NAMESPACES).list(undefined)).items.some((n) => n.metadata.name === ns));
    expect(await eventsAbout(ns, REASON_SOME_RESOURCES_REMAIN)).to.have.length(1);
  });
});
