/**
 * The liveness checks after the last heal of a chaos run, each returning what is still wrong
 * (empty when converged): every Deployment and StatefulSet has its replicas Ready and up to date,
 * every Service's Endpoints and EndpointSlices hold exactly its ready pods' IPs, every Job is
 * Complete (`apiUnconverged`: through the API only, so any cluster can be checked, the
 * compose one too), and every node of a `bosun up` cluster runs containers only for pods the API
 * has bound to it and not finished (no orphans).
 */
import { podCondition } from '../../lib/api/pod-status';
import { RESOURCES } from '../../lib/api/resources';
import type { Deployment, StatefulSet } from '../../lib/api/types/apps';
import type { Job } from '../../lib/api/types/batch';
import type { Endpoints, Pod, Service } from '../../lib/api/types/core';
import type { EndpointSlice } from '../../lib/api/types/discovery';
import type { ApiClient } from '../../lib/client/api-client';
import { UpCluster } from './up-cluster';

type Status = Record<string, unknown>;
const num = (s: Status | undefined, field: string) => (typeof s?.[field] === 'number' ? (s[field] as number) : 0);

/** Whether `pod` is Ready, not deleting. */
function readyPod(pod: Pod): boolean {
  return !pod.metadata.deletionTimestamp && podCondition(pod, 'Ready')?.status === 'True';
}

/** Whether every label of `selector` is on `pod`. */
function selects(selector: Record<string, string>, pod: Pod): boolean {
  return Object.entries(selector).every(([k, v]) => pod.metadata.labels?.[k] === v);
}

/** The IPs of the endpoints of `slices` (those of Service `service`) that are not known unready, sorted. */
function readySliceAddresses(slices: readonly EndpointSlice[], service: string): string[] {
  return slices
    .filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === service)
    .flatMap((s) => (s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).flatMap((e) => e.addresses))
    .sort();
}

/** What is still unconverged in namespace `ns` as seen through the API (no node's own view), one line each. */
export async function apiUnconverged(c: ApiClient, ns: string): Promise<string[]> {
  return (await apiChecks(c, ns)).problems;
}

/** The API-level checks of `apiUnconverged`; also returns the pods listed, for the node checks. */
async function apiChecks(c: ApiClient, ns: string): Promise<{ problems: string[]; pods: Pod[] }> {
  const problems: string[] = [];
  const pods = (await c.resource<Pod>(RESOURCES.pods).list(ns)).items;
  for (const d of (await c.resource<Deployment>(RESOURCES.deployments).list(ns)).items) {
    const want = d.spec?.replicas ?? 1;
    const st = d.status as Status | undefined;
    if (num(st, 'observedGeneration') < (d.metadata.generation ?? 0) || num(st, 'readyReplicas') !== want || num(st, 'updatedReplicas') !== want || num(st, 'replicas') !== want) {
      problems.push(`deployment ${d.metadata.name}: want ${want}, status ${JSON.stringify(st)}`);
    }
  }
  for (const s of (await c.resource<StatefulSet>(RESOURCES.statefulsets).list(ns)).items) {
    const want = s.spec?.replicas ?? 1;
    if (num(s.status as Status, 'readyReplicas') !== want) problems.push(`statefulset ${s.metadata.name}: want ${want} ready, status ${JSON.stringify(s.status)}`);
  }
  const endpoints = new Map((await c.resource<Endpoints>(RESOURCES.endpoints).list(ns)).items.map((e) => [e.metadata.name, e]));
  const slices = (await c.resource<EndpointSlice>(RESOURCES.endpointslices).list(ns)).items;
  for (const svc of (await c.resource<Service>(RESOURCES.services).list(ns)).items) {
    const selector = svc.spec?.selector as Record<string, string> | undefined;
    if (!selector || Object.keys(selector).length === 0) continue;
    const want = pods.filter((p) => selects(selector, p) && readyPod(p)).map((p) => p.status?.podIP ?? '').sort();
    const have = (endpoints.get(svc.metadata.name)?.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.ip)).sort();
    if (JSON.stringify(want) !== JSON.stringify(have)) problems.push(`service ${svc.metadata.name}: endpoints ${have.join(',') || '(none)'}, ready pods ${want.join(',') || '(none)'}`);
    const inSlices = readySliceAddresses(slices, svc.metadata.name ?? '');
    if (JSON.stringify(want) !== JSON.stringify(inSlices)) problems.push(`service ${svc.metadata.name}: EndpointSlices ${inSlices.join(',') || '(none)'}, ready pods ${want.join(',') || '(none)'}`);
  }
  for (const j of (await c.resource<Job>(RESOURCES.jobs).list(ns)).items) {
    const complete = ((j.status as Status | undefined)?.conditions as Array<{ type: string; status: string }> | undefined)?.some((x) => x.type === 'Complete' && x.status === 'True');
    if (!complete) problems.push(`job ${j.metadata.name}: not Complete (${JSON.stringify(j.status)})`);
  }
  return { problems, pods };
}

/** Everything still unconverged in namespace `ns` of a `bosun up` cluster (the API's view and each node's), one line each. */
export async function unconverged(cluster: UpCluster, ns: string): Promise<string[]> {
  const { problems, pods } = await apiChecks(cluster.client, ns);
  for (const node of cluster.nodeAgents.keys()) {
    const info = await cluster.nodeStatus(node);
    for (const p of info.pods) {
      const running = p.containers.filter((k) => k.state === 'running');
      if (running.length === 0) continue;
      const pod = pods.find((q) => q.metadata.uid === p.uid);
      const finished = pod?.status?.phase === 'Succeeded' || pod?.status?.phase === 'Failed';
      // Pods of other namespaces (the cluster's own) are only checked against the API when in ours.
      if (!pod && !p.pod.startsWith(`${ns}/`)) continue;
      if (!pod || pod.spec?.nodeName !== node || finished || pod.metadata.deletionTimestamp) {
        problems.push(`${node}: orphaned container(s) ${running.map((k) => k.name).join(',')} of ${p.pod} (${p.uid}): API has ${pod ? `it on ${pod.spec?.nodeName}, ${pod.status?.phase}${pod.metadata.deletionTimestamp ? ', deleting' : ''}` : 'no such pod'}`);
      }
    }
  }
  return problems;
}

/** Polls `unconverged` until nothing is left or `deadlineMs` passes; returns what was left last. */
export function waitConverged(cluster: UpCluster, ns: string, deadlineMs: number, pollMs: number): Promise<string[]> {
  return pollConverged(() => unconverged(cluster, ns), deadlineMs, pollMs);
}

/** Polls `check` (what is still unconverged) until it is empty or `deadlineMs` (ms since the epoch) passes; returns what was left last. */
export async function pollConverged(check: () => Promise<string[]>, deadlineMs: number, pollMs: number): Promise<string[]> {
  let last: string[] = ['not checked'];
  while (Date.now() <= deadlineMs) {
    last = await check().catch((err: Error) => [`check failed: ${err.message}`]);
    if (last.length === 0) return last;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  return last;
}
