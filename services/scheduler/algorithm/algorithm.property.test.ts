/**
 * Properties of the algorithm over random clusters and pods (fast-check): placing pods one
 * after another, each decided pod counting on its node at once (as the assume cache does),
 * - no node ever holds more than its allocatable cpu, memory and pods;
 * - no required anti-affinity (the pod's or an existing pod's) is ever broken;
 * - a pod that fits some node (by an independent oracle) is always placed, and one that fits
 *   none never is;
 * - DoNotSchedule spreading never lets the skew exceed maxSkew.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { Prng } from '../../../store/raft/simulation/prng';
import type { Node, Pod } from './api-types';
import type { ClusterState } from './cluster-state';
import { PodInfo } from './pod-info';
import { SchedulingAlgorithm } from './scheduling-algorithm';
import { makeNode, makePod, makeState } from './test-fixtures';

const ZONES = ['z1', 'z2', 'z3'];
const APPS = ['web', 'db', 'cache'];
const HOST = 'kubernetes.io/hostname';

interface NodeSpec {
  cpu: number;
  memGi: number;
  pods: number;
  zone: number;
  disk: 'ssd' | 'hdd';
  tainted: boolean;
  cordoned: boolean;
}

interface PodSpecArb {
  milli: number;
  memMi: number;
  app: number;
  wantsSsd: boolean;
  tolerates: boolean;
  antiKey: 'none' | 'host' | 'zone';
}

const nodeArb: fc.Arbitrary<NodeSpec> = fc.record({
  cpu: fc.integer({ min: 1, max: 8 }),
  memGi: fc.integer({ min: 1, max: 16 }),
  pods: fc.integer({ min: 1, max: 10 }),
  zone: fc.integer({ min: 0, max: ZONES.length - 1 }),
  disk: fc.constantFrom('ssd' as const, 'hdd' as const),
  tainted: fc.boolean(),
  cordoned: fc.integer({ min: 0, max: 9 }).map((n) => n < 2),
});

const podArb: fc.Arbitrary<PodSpecArb> = fc.record({
  milli: fc.integer({ min: 0, max: 4000 }),
  memMi: fc.integer({ min: 0, max: 8192 }),
  app: fc.integer({ min: 0, max: APPS.length - 1 }),
  wantsSsd: fc.boolean(),
  tolerates: fc.boolean(),
  antiKey: fc.constantFrom('none' as const, 'host' as const, 'zone' as const),
});

function buildNode(s: NodeSpec, i: number): Node {
  const name = `n${i}`;
  return makeNode(name, {
    cpu: String(s.cpu),
    memory: `${s.memGi}Gi`,
    pods: String(s.pods),
    labels: { [HOST]: name, zone: ZONES[s.zone]!, disk: s.disk },
    taints: s.tainted ? [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] : undefined,
    unschedulable: s.cordoned,
  });
}

function buildPod(s: PodSpecArb, i: number, antiAffinity: boolean): Pod {
  const app = APPS[s.app]!;
  return makePod(`p${i}`, {
    cpu: s.milli ? `${s.milli}m` : undefined,
    memory: s.memMi ? `${s.memMi}Mi` : undefined,
    labels: { app },
    createdAt: i,
    nodeSelector: s.wantsSsd ? { disk: 'ssd' } : undefined,
    tolerations: s.tolerates ? [{ key: 'dedicated', operator: 'Exists' }] : undefined,
    affinity:
      antiAffinity && s.antiKey !== 'none'
        ? { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app } }, topologyKey: s.antiKey === 'host' ? HOST : 'zone' }] } }
        : undefined,
  });
}

/** Places pods in order, assuming each decided pod on its node; returns the state and placements. */
function placeAll(nodes: Node[], pods: Pod[], seed: number): { state: ClusterState; placed: Map<string, string>; infos: PodInfo[] } {
  const state = makeState(nodes);
  const algorithm = new SchedulingAlgorithm({ random: new Prng(seed) });
  const placed = new Map<string, string>();
  const infos: PodInfo[] = [];
  for (const pod of pods) {
    const info = PodInfo.of(pod);
    infos.push(info);
    const out = algorithm.schedule(info, state);
    if (out.kind === 'scheduled') {
      state.addPod(info.assumedOn(out.node));
      placed.set(info.key, out.node);
    }
  }
  return { state, placed, infos };
}

/** An independent oracle of "fits" for the pods this file generates (no affinity). */
function oracleFits(pod: PodSpecArb, node: NodeSpec, used: { milli: number; memMi: number; pods: number }): boolean {
  if (node.cordoned) return false;
  if (node.tainted && !pod.tolerates) return false;
  if (pod.wantsSsd && node.disk !== 'ssd') return false;
  if (used.pods + 1 > node.pods) return false;
  if (pod.milli > 0 && used.milli + pod.milli > node.cpu * 1000) return false;
  if (pod.memMi > 0 && used.memMi + pod.memMi > node.memGi * 1024) return false;
  return true;
}

const RUNS = 150;

describe('scheduler algorithm properties (fast-check)', function () {
  this.timeout(60_000);

  it('never places pods beyond a node’s allocatable cpu, memory or pod count', () => {
    fc.assert(
      fc.property(fc.array(nodeArb, { minLength: 1, maxLength: 12 }), fc.array(podArb, { maxLength: 40 }), fc.nat(), (nodeSpecs, podSpecs, seed) => {
        const { state } = placeAll(nodeSpecs.map(buildNode), podSpecs.map((p, i) => buildPod(p, i, true)), seed);
        for (const n of state.nodes) {
          expect(n.requested.milliCPU).to.be.at.most(n.allocatable.milliCPU);
          expect(n.requested.memory).to.be.at.most(n.allocatable.memory);
          expect(n.pods.length).to.be.at.most(n.allowedPodNumber);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('never breaks a required anti-affinity', () => {
    fc.assert(
      fc.property(fc.array(nodeArb, { minLength: 1, maxLength: 10 }), fc.array(podArb, { maxLength: 40 }), fc.nat(), (nodeSpecs, podSpecs, seed) => {
        const { state, placed, infos } = placeAll(nodeSpecs.map(buildNode), podSpecs.map((p, i) => buildPod(p, i, true)), seed);
        for (const pod of infos) {
          const node = placed.get(pod.key);
          if (!node) continue;
          for (const term of pod.requiredAntiAffinityTerms) {
            const domain = state.node(node)!.labels[term.topologyKey];
            for (const other of infos) {
              const otherNode = placed.get(other.key);
              if (other.key === pod.key || !otherNode) continue;
              const sameDomain = state.node(otherNode)!.labels[term.topologyKey] === domain;
              expect(sameDomain && term.selector.matches(other.labels), `${pod.key} and ${other.key} share ${term.topologyKey}=${domain}`).to.equal(false);
            }
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('places every pod that fits somewhere, and no other', () => {
    fc.assert(
      fc.property(fc.array(nodeArb, { minLength: 1, maxLength: 130 }), fc.array(podArb, { maxLength: 30 }), fc.nat(), (nodeSpecs, podSpecs, seed) => {
        const nodes = nodeSpecs.map(buildNode);
        const state = makeState(nodes);
        const algorithm = new SchedulingAlgorithm({ random: new Prng(seed) });
        const used = nodeSpecs.map(() => ({ milli: 0, memMi: 0, pods: 0 }));
        podSpecs.forEach((spec, i) => {
          const fitsSomewhere = nodeSpecs.some((n, j) => oracleFits(spec, n, used[j]!));
          const info = PodInfo.of(buildPod(spec, i, false));
          const out = algorithm.schedule(info, state);
          expect(out.kind, `pod ${i} ${JSON.stringify(spec)}`).to.equal(fitsSomewhere ? 'scheduled' : 'unschedulable');
          if (out.kind !== 'scheduled') return;
          const j = Number(out.node.slice(1));
          expect(oracleFits(spec, nodeSpecs[j]!, used[j]!), `chosen node ${out.node} does not fit`).to.equal(true);
          used[j] = { milli: used[j]!.milli + spec.milli, memMi: used[j]!.memMi + spec.memMi, pods: used[j]!.pods + 1 };
          state.addPod(info.assumedOn(out.node));
        });
      }),
      { numRuns: 60 },
    );
  });

  it('never lets DoNotSchedule spreading exceed maxSkew', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: ZONES.length - 1 }), { minLength: 1, maxLength: 9 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 10 }),
        fc.nat(),
        (zoneOfNode, maxSkew, count, preExisting, seed) => {
          const nodes = zoneOfNode.map((z, i) => makeNode(`n${i}`, { pods: '8', labels: { zone: ZONES[z]!, [HOST]: `n${i}` } }));
          const pods = Array.from({ length: count }, (_, i) =>
            makePod(`w${i}`, { labels: { app: 'web' }, createdAt: i, spread: [{ maxSkew, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } } }] }),
          );
          // Unrelated pods fill some room first, so some nodes run out of pod slots.
          const fillers = preExisting.map((n, i) => makePod(`f${i}`, { nodeName: `n${n % nodes.length}`, labels: { app: 'other' } }));
          const { state } = placeAll(nodes, [...fillers, ...pods], seed);
          const perZone = new Map<string, number>();
          for (const n of state.nodes) {
            const z = n.labels.zone!;
            perZone.set(z, (perZone.get(z) ?? 0) + n.pods.filter((p) => p.labels.app === 'web').length);
          }
          const values = [...perZone.values()];
          expect(Math.max(...values) - Math.min(...values)).to.be.at.most(maxSkew);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
