/**
 * The resource metrics behind metrics.k8s.io, computed as metrics-server does: each Ready node's
 * Summary (`/stats/summary` on its kubelet port) is scraped, with a bounded timeout, at most
 * once per resolution window (15 s) and only while someone asks; CPU is a rate — the growth of
 * the cumulative CPU time between two scrapes over the time between them (the `window`) — and
 * memory is the last working set. The first request with no earlier scrape scrapes twice,
 * FIRST_WINDOW_MS apart, so `kubectl top` answers at once on a fresh apiserver. A node that
 * fails its scrape has no figures until it answers again; its failure is logged, never thrown.
 */
import type { Node } from '../../../lib/api/types/core';
import type { Logger } from '../../../lib/logger';

/** How often nodes are scraped at most (metrics-server's --metric-resolution), ms. */
export const METRICS_RESOLUTION_MS = 15_000;
/** The gap between the two scrapes of a first request, ms. */
export const FIRST_WINDOW_MS = 1_000;
/** Longest one node's scrape may take (metrics-server's kubelet request timeout is 10 s), ms. */
export const SCRAPE_TIMEOUT_MS = 5_000;

/** What a node's Summary says (stats-summary.ts on the agent), as read: every field may be missing. */
export interface ScrapedSummary {
  node?: { cpu?: { time?: string; usageCoreNanoSeconds?: number }; memory?: { workingSetBytes?: number } };
  pods?: {
    podRef?: { name?: string; namespace?: string; uid?: string };
    containers?: { name?: string; cpu?: { time?: string; usageCoreNanoSeconds?: number }; memory?: { time?: string; workingSetBytes?: number } }[];
  }[];
}

/** A usage figure over a window. */
export interface UsagePoint {
  /** End of the window, ms since the epoch. */
  readonly timestampMs: number;
  readonly windowMs: number;
  readonly cpuNanoCores: number;
  readonly memoryBytes: number;
}

/** The figures of one pod: its containers', by container name. */
export interface PodPoint {
  readonly uid: string;
  readonly timestampMs: number;
  readonly windowMs: number;
  readonly containers: ReadonlyMap<string, UsagePoint>;
}

/** The figures of every node and pod that has a rate. */
export interface MetricsSnapshot {
  /** By node name. */
  readonly nodes: ReadonlyMap<string, UsagePoint>;
  /** By "namespace/name". */
  readonly pods: ReadonlyMap<string, PodPoint>;
}

/** Constructor parameters of a MetricsCollector. */
export interface MetricsCollectorOptions {
  /** The nodes known now (the apiserver's cache). */
  readonly nodes: () => Promise<readonly Node[]>;
  /** Reads a node's Summary; rejects when the node cannot be reached. */
  readonly scrape: (node: Node) => Promise<unknown>;
  /** Now, ms since the epoch. */
  readonly now?: () => number;
  /** Waits `ms` (the first request's second scrape). */
  readonly delay?: (ms: number) => Promise<void>;
  readonly logger?: Logger;
  readonly resolutionMs?: number;
}

/** A cumulative reading. */
interface Sample {
  readonly timeMs: number;
  readonly cpuNs: number;
  readonly memoryBytes: number;
}

/** Scrapes nodes on demand and keeps the last two readings of everything it saw. */
export class MetricsCollector {
  private readonly now: () => number;
  private readonly delay: (ms: number) => Promise<void>;
  private readonly resolutionMs: number;
  /** Last reading by node name, and by "ns/pod/uid/container". */
  private nodeSamples = new Map<string, Sample>();
  private containerSamples = new Map<string, Sample>();
  private snapshot: MetricsSnapshot = { nodes: new Map(), pods: new Map() };
  private lastCollectedMs = Number.NEGATIVE_INFINITY;
  private pending: Promise<void> | undefined;

  constructor(private readonly opts: MetricsCollectorOptions) {
    this.now = opts.now ?? Date.now;
    this.delay = opts.delay ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.resolutionMs = opts.resolutionMs ?? METRICS_RESOLUTION_MS;
  }

  /** The figures, scraping first when the last scrape is older than the resolution. */
  async current(): Promise<MetricsSnapshot> {
    if (this.now() - this.lastCollectedMs >= this.resolutionMs) {
      this.pending ??= this.refresh().finally(() => (this.pending = undefined));
      await this.pending;
    }
    return this.snapshot;
  }

  private async refresh(): Promise<void> {
    const first = this.nodeSamples.size === 0;
    await this.collect();
    if (first && this.nodeSamples.size > 0) {
      await this.delay(FIRST_WINDOW_MS);
      await this.collect();
    }
  }

  /** One scrape of every Ready node; figures for whatever has two readings. */
  private async collect(): Promise<void> {
    this.lastCollectedMs = this.now();
    const nodes = (await this.opts.nodes()).filter(isReady);
    const summaries = await Promise.all(
      nodes.map(async (node) => {
        try {
          return { node, summary: (await this.opts.scrape(node)) as ScrapedSummary };
        } catch (err) {
          this.opts.logger?.warn({ node: node.metadata.name, err: (err as Error).message }, 'scraping a node failed');
          return { node, summary: undefined };
        }
      }),
    );
    const nodeSamples = new Map<string, Sample>();
    const containerSamples = new Map<string, Sample>();
    const nodePoints = new Map<string, UsagePoint>();
    const podPoints = new Map<string, PodPoint>();
    const collectedAt = this.now();
    for (const { node, summary } of summaries) {
      if (!summary || typeof summary !== 'object') continue;
      const nodeName = node.metadata.name ?? '';
      const nodeSample = sampleOf(summary.node?.cpu?.time, summary.node?.cpu?.usageCoreNanoSeconds, summary.node?.memory?.workingSetBytes, collectedAt);
      if (nodeSample) {
        nodeSamples.set(nodeName, nodeSample);
        const point = rate(this.nodeSamples.get(nodeName), nodeSample);
        if (point) nodePoints.set(nodeName, point);
      }
      for (const pod of Array.isArray(summary.pods) ? summary.pods : []) {
        const { namespace = '', name = '', uid = '' } = pod?.podRef ?? {};
        if (!namespace || !name) continue;
        const containers = new Map<string, UsagePoint>();
        let complete = true;
        for (const c of Array.isArray(pod.containers) ? pod.containers : []) {
          const key = `${namespace}/${name}/${uid}/${c?.name ?? ''}`;
          const sample = sampleOf(c?.cpu?.time, c?.cpu?.usageCoreNanoSeconds, c?.memory?.workingSetBytes, collectedAt);
          if (!sample || !c.name) continue;
          containerSamples.set(key, sample);
          const point = rate(this.containerSamples.get(key), sample);
          if (point) containers.set(c.name, point);
          else complete = false;
        }
        // A pod is reported only when every container has a rate (metrics-server drops partial pods).
        if (!complete || containers.size === 0) continue;
        const points = [...containers.values()];
        podPoints.set(`${namespace}/${name}`, {
          uid,
          timestampMs: Math.max(...points.map((p) => p.timestampMs)),
          windowMs: Math.max(...points.map((p) => p.windowMs)),
          containers,
        });
      }
    }
    this.nodeSamples = nodeSamples;
    this.containerSamples = containerSamples;
    this.snapshot = { nodes: nodePoints, pods: podPoints };
  }
}

function isReady(node: Node): boolean {
  const conditions = (node.status as { conditions?: { type?: string; status?: string }[] } | undefined)?.conditions ?? [];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

function sampleOf(time: string | undefined, cpuNs: number | undefined, memory: number | undefined, fallbackMs: number): Sample | undefined {
  if (typeof cpuNs !== 'number' || !Number.isFinite(cpuNs) || cpuNs < 0) return undefined;
  const parsed = time ? Date.parse(time) : NaN;
  return { timeMs: Number.isFinite(parsed) ? parsed : fallbackMs, cpuNs, memoryBytes: typeof memory === 'number' && memory >= 0 ? memory : 0 };
}

/** The rate between two readings; none without an earlier one, or across a reset (a restarted container). */
function rate(prev: Sample | undefined, next: Sample): UsagePoint | undefined {
  if (!prev || next.timeMs <= prev.timeMs || next.cpuNs < prev.cpuNs) return undefined;
  const windowMs = next.timeMs - prev.timeMs;
  return { timestampMs: next.timeMs, windowMs, cpuNanoCores: ((next.cpuNs - prev.cpuNs) * 1000) / windowMs, memoryBytes: next.memoryBytes };
}
