/**
 * Helpers of the end-to-end journeys: the fixtures folder, a bounded HTTP request loop that
 * counts failures, a node added to a running `bosun up` cluster, and the node agents' own view
 * of what runs on them (their status API).
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { addNodeIdentity } from '../../cli/component-identities';
import { NodeAgentStatusClient, type NodeAgentStatusResponse } from '../../gen/bosun/node_agent';
import { LocalNodeAgent } from '../../lib/launcher/node-agent-process';
import { componentServingTls } from '../../lib/launcher/component-args';
import { callStatus } from '../../lib/launcher/status-call';
import { PortPlan } from '../../lib/launcher/port-plan';
import { hostAddress } from '../../lib/network/host-address';
import { findUp } from '../kubectl/support/kubectl-cluster';

/** How long one request of the loop may take, ms. */
const REQUEST_TIMEOUT_MS = 3_000;
/** Pause between two requests of the loop, ms (the loop is bounded by count and time too). */
const REQUEST_GAP_MS = 20;

/** The journeys' manifests folder (e2e/fixtures/journeys), found above this build. */
export const JOURNEY_FIXTURES = findUp(path.join('e2e', 'fixtures', 'journeys'));

/** One GET on a new connection: the status code and body, or the error's message as `error`. */
export function getOnce(host: string, port: number, urlPath: string, headers: Record<string, string> = {}): Promise<{ status?: number; body: string; error?: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: urlPath, headers, agent: false, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
      res.on('error', (err) => resolve({ body, error: err.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', (err) => resolve({ body: '', error: err.message }));
  });
}

/** What a request loop saw. */
export interface LoopResult {
  readonly requests: number;
  readonly failures: string[];
  /** Distinct bodies answered (e.g. pod names). */
  readonly answers: Set<string>;
}

/**
 * GETs http://host:port/path (with `headers`, e.g. an Ingress rule's Host) one request at a time
 * until `done()` is true, `maxRequests` were sent or `maxMs` passed; every answer other than a
 * 200 is a failure.
 */
export async function requestLoop(host: string, port: number, urlPath: string, done: () => boolean, maxRequests: number, maxMs: number, headers: Record<string, string> = {}): Promise<LoopResult> {
  const failures: string[] = [];
  const answers = new Set<string>();
  const deadline = Date.now() + maxMs;
  let requests = 0;
  while (!done() && requests < maxRequests && Date.now() < deadline) {
    requests++;
    const r = await getOnce(host, port, urlPath, headers);
    if (r.status === 200) answers.add(r.body.trim());
    else failures.push(`request ${requests}: ${r.error ?? `HTTP ${r.status}: ${r.body.slice(0, 200)}`}`);
    await new Promise((res) => setTimeout(res, REQUEST_GAP_MS));
  }
  return { requests, failures, answers };
}

/**
 * Adds node `nodeName` to a running `bosun up` cluster of `clusterDir`: one more `bosun
 * node-agent` on the process runtime, with its own identity (system:node:<name>, its token added to
 * the token file the apiservers follow) and the cluster's CA, its state
 * under `<clusterDir>/nodes/<nodeName>` and any free ports — what `bosun up` runs per node.
 */
export async function addNode(clusterDir: string, nodeName: string): Promise<LocalNodeAgent> {
  const plan = new PortPlan(true);
  const what = (p: string) => `${nodeName} ${p}`;
  const agent = new LocalNodeAgent(
    { nodeName, runtime: 'process', rootDir: path.join(clusterDir, 'nodes', nodeName), kubeletPort: await plan.port(0, what('kubelet')), nodeIp: hostAddress(), extraArgs: ['--cert-dir', path.join(clusterDir, 'pki')] },
    await plan.port(0, what('status')),
    path.join(clusterDir, 'logs', `${nodeName}.log`),
    [],
    {
      kubeconfig: addNodeIdentity(clusterDir, path.join(clusterDir, 'tokens.csv'), nodeName, undefined, path.join(clusterDir, 'pki')),
      metricsPort: await plan.port(0, what('metrics')),
      servingTls: componentServingTls(path.join(clusterDir, 'pki'), nodeName),
    },
  );
  agent.start();
  return agent;
}

/** The status API endpoints of the nodes `bosun up` started, from what it printed. */
export function nodeStatusEndpoints(upOutput: string): string[] {
  return [...upOutput.matchAll(/node-\d+: node agent started \(.*status API gRPC (127\.0\.0\.1:\d+)/g)].map((m) => m[1]!);
}

/** A node agent's status (its nodes, their pods and containers) from its gRPC status API, TLS under the CA of `clusterDir` (as `bosun up` and addNode serve it). */
export function nodeAgentStatus(clusterDir: string, endpoint: string): Promise<NodeAgentStatusResponse> {
  return callStatus<NodeAgentStatusResponse>(NodeAgentStatusClient, endpoint, { node: '' }, { caCert: fs.readFileSync(path.join(clusterDir, 'pki', 'ca.crt'), 'utf8') });
}

/** Pids of processes whose command line mentions `needle` (e.g. a sandbox id). */
export function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}
