import { expect } from 'chai';
import type { Endpoint, EndpointSlice } from '../../../lib/api/types/discovery';
import { planSlices, type EndpointGroup, type SliceTemplate } from './slice-plan';

const TEMPLATE: SliceTemplate = {
  namespace: 'default',
  generateName: 'web-',
  labels: { 'kubernetes.io/service-name': 'web' },
  ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'svc-uid', controller: true, blockOwnerDeletion: true }],
};
const PORTS = [{ name: 'http', port: 8080, protocol: 'TCP' }];

const ep = (i: number, ready = true): Endpoint => ({ addresses: [`10.42.${i >> 8}.${i & 255}`], conditions: { ready }, targetRef: { kind: 'Pod', name: `p${i}`, uid: `u${i}` } });
const group = (ids: number[], ports = PORTS): EndpointGroup => ({ addressType: 'IPv4', ports, endpoints: ids.map((i) => ep(i)) });
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);

/** Applies a plan to the "existing" slices, naming creates s<n>, as the apiserver would. */
function apply(existing: EndpointSlice[], plan: ReturnType<typeof planSlices>): EndpointSlice[] {
  const gone = new Set(plan.delete.map((s) => s.metadata.name));
  const updated = new Map(plan.update.map((s) => [s.metadata.name, s]));
  const kept = existing.filter((s) => !gone.has(s.metadata.name)).map((s) => updated.get(s.metadata.name) ?? s);
  return [...kept, ...plan.create.map((s, i) => ({ ...s, metadata: { ...s.metadata, name: `new-${existing.length}-${i}` } }))];
}

describe('EndpointSlice packing (slice-plan)', () => {
  it('creates slices of at most 100 endpoints, labelled and owned like the template', () => {
    const plan = planSlices([group(range(0, 250))], [], TEMPLATE);
    expect(plan.create.map((s) => s.endpoints!.length)).to.deep.equal([100, 100, 50]);
    expect(plan.update).to.deep.equal([]);
    expect(plan.create[0]!.metadata).to.deep.include({ generateName: 'web-', namespace: 'default', labels: TEMPLATE.labels });
    expect(plan.create[0]!.metadata.ownerReferences).to.deep.equal(TEMPLATE.ownerReferences);
    expect(plan.create[0]!.ports).to.deep.equal(PORTS);
  });

  it('writes nothing when the slices already hold the desired endpoints', () => {
    const slices = apply([], planSlices([group(range(0, 150))], [], TEMPLATE));
    expect(planSlices([group(range(0, 150))], slices, TEMPLATE)).to.deep.equal({ create: [], update: [], delete: [] });
  });

  it('updates in place, fills slices with room before creating, and deletes slices left empty', () => {
    let slices = apply([], planSlices([group(range(0, 150))], [], TEMPLATE));
    // A readiness flip updates only the slice that holds the endpoint.
    const flipped: EndpointGroup = { ...group(range(0, 150)), endpoints: range(0, 150).map((i) => ep(i, i !== 120)) };
    const flip = planSlices([flipped], slices, TEMPLATE);
    expect(flip.update.map((s) => s.metadata.name)).to.deep.equal([slices[1]!.metadata.name]);
    expect(flip.create).to.deep.equal([]);
    // 30 more fit in the second slice (50 → 80).
    const grow = planSlices([group(range(0, 180))], slices, TEMPLATE);
    expect(grow.create).to.deep.equal([]);
    expect(grow.update.map((s) => s.endpoints!.length)).to.deep.equal([80]);
    slices = apply(slices, grow);
    // Scaling down to the first 40 empties the second slice: it is deleted.
    const shrink = planSlices([group(range(0, 40))], slices, TEMPLATE);
    expect(shrink.delete.map((s) => s.metadata.name)).to.deep.equal([slices[1]!.metadata.name]);
    expect(shrink.update.map((s) => s.endpoints!.length)).to.deep.equal([40]);
  });

  it('moves endpoints to new slices when the ports change, and keeps one placeholder without endpoints', () => {
    const slices = apply([], planSlices([group([1, 2])], [], TEMPLATE));
    const other = planSlices([group([1, 2], [{ name: 'http', port: 9090, protocol: 'TCP' }])], slices, TEMPLATE);
    expect(other.delete.length).to.equal(1);
    expect(other.create.map((s) => s.ports)).to.deep.equal([[{ name: 'http', port: 9090, protocol: 'TCP' }]]);
    const empty = planSlices([], slices, TEMPLATE);
    expect(empty.delete.length).to.equal(1);
    expect(empty.create.map((s) => [s.endpoints, s.ports])).to.deep.equal([[[], []]]);
    const placeholder = apply(slices, empty);
    expect(planSlices([], placeholder, TEMPLATE)).to.deep.equal({ create: [], update: [], delete: [] });
  });

  it('rewrites a slice whose labels or owners drifted', () => {
    const slices = apply([], planSlices([group([1])], [], TEMPLATE));
    const drifted = [{ ...slices[0]!, metadata: { ...slices[0]!.metadata, labels: { 'kubernetes.io/service-name': 'web', extra: 'x' } } }];
    expect(planSlices([group([1])], drifted, TEMPLATE).update[0]!.metadata.labels).to.deep.equal(TEMPLATE.labels);
  });
});
