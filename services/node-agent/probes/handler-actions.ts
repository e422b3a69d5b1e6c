/**
 * Running one probe or lifecycle-hook action against a container: exec (through the runtime's
 * execSync), httpGet (2xx/3xx succeeds), tcpSocket (a connection opens) and grpc
 * (grpc.health.v1.Health/Check answers SERVING). Each returns a result value, never throws; a
 * named port is resolved through the container's ports. Network actions go to the pod's IP (or
 * the node's loopback when the pod has none: host network).
 */
import * as grpc from '@grpc/grpc-js';
import * as http from 'node:http';
import * as net from 'node:net';
import type { Container } from '../../../lib/api/types';
import { decodeCheckResponse, encodeCheckRequest } from '../../../lib/grpc/health-service';
import type { RuntimeService } from '../runtime/runtime';

/** An action as a probe or a lifecycle handler spells it. */
export interface HandlerAction {
  exec?: { command?: string[] };
  httpGet?: { path?: string; port?: number | string; host?: string; scheme?: string; httpHeaders?: { name: string; value: string }[] };
  tcpSocket?: { port?: number | string; host?: string };
  grpc?: { port?: number; service?: string };
  sleep?: { seconds?: number };
}

export interface ActionResult {
  success: boolean;
  /** Why it failed (the Unhealthy event's text), or output worth keeping. */
  message: string;
}

/** Where an action runs. */
export interface ActionTarget {
  runtime: RuntimeService;
  containerId: string;
  container: Container;
  /** The pod's IP; '' on the host network (127.0.0.1 then). */
  podIP: string;
}

/** HTTP status codes a probe accepts (the kubelet's: 200 <= code < 400). */
const HTTP_SUCCESS_MIN = 200;
const HTTP_SUCCESS_MAX_EXCLUSIVE = 400;

/** Runs `action` with `timeoutMs`; never throws. */
export async function runAction(action: HandlerAction, target: ActionTarget, timeoutMs: number): Promise<ActionResult> {
  try {
    if (action.exec) return await execAction(action.exec.command ?? [], target, timeoutMs);
    if (action.httpGet) return await httpAction(action.httpGet, target, timeoutMs);
    if (action.tcpSocket) return await tcpAction(action.tcpSocket, target, timeoutMs);
    if (action.grpc) return await grpcAction(action.grpc, target, timeoutMs);
    if (action.sleep) return { success: true, message: '' };
    return { success: false, message: 'no action set (exec, httpGet, tcpSocket or grpc)' };
  } catch (err) {
    return { success: false, message: (err as Error).message };
  }
}

async function execAction(command: string[], target: ActionTarget, timeoutMs: number): Promise<ActionResult> {
  const r = await target.runtime.execSync(target.containerId, command, timeoutMs);
  if (r.timedOut) return { success: false, message: `command ${JSON.stringify(command)} timed out` };
  const out = (r.stdout.toString() + r.stderr.toString()).trim();
  if (r.exitCode === 0) return { success: true, message: out };
  return { success: false, message: out ? out : `command ${JSON.stringify(command)} exited with ${r.exitCode}` };
}

/** A probe's port: a number, or a name among the container's ports. */
export function resolvePort(port: number | string | undefined, container: Container): number {
  if (typeof port === 'number') return port;
  const asNumber = Number(port);
  if (port !== undefined && Number.isInteger(asNumber) && asNumber > 0) return asNumber;
  const named = container.ports?.find((p) => p.name === port)?.containerPort;
  if (!named) throw new Error(`port "${String(port)}" is not a number and names no port of container ${container.name ?? ''}`);
  return named;
}

function hostOf(explicit: string | undefined, target: ActionTarget): string {
  return explicit || target.podIP || '127.0.0.1';
}

function httpAction(get: NonNullable<HandlerAction['httpGet']>, target: ActionTarget, timeoutMs: number): Promise<ActionResult> {
  const port = resolvePort(get.port, target.container);
  const host = hostOf(get.host, target);
  const headers: Record<string, string> = { 'User-Agent': 'kube-probe/1.32', Accept: '*/*' };
  for (const h of get.httpHeaders ?? []) headers[h.name] = h.value;
  const url = `http://${host}:${port}${get.path ?? '/'}`;
  return new Promise((resolve) => {
    // A new connection per probe (agent: false), as the kubelet's prober: a pooled keep-alive
    // socket could outlive the pod it reached, whose address a later pod may hold.
    const req = http.get({ host, port, path: get.path ?? '/', headers, timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      const success = code >= HTTP_SUCCESS_MIN && code < HTTP_SUCCESS_MAX_EXCLUSIVE;
      resolve({ success, message: success ? '' : `HTTP probe failed with statuscode: ${code}` });
    });
    req.on('timeout', () => {
      req.destroy();
      resolve({ success: false, message: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
    });
    req.on('error', (err) => resolve({ success: false, message: `Get "${url}": ${err.message}` }));
  });
}

function tcpAction(tcp: NonNullable<HandlerAction['tcpSocket']>, target: ActionTarget, timeoutMs: number): Promise<ActionResult> {
  const port = resolvePort(tcp.port, target.container);
  const host = hostOf(tcp.host, target);
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (r: ActionResult) => {
      socket.destroy();
      resolve(r);
    };
    socket.setTimeout(timeoutMs, () => done({ success: false, message: `dial tcp ${host}:${port}: i/o timeout` }));
    socket.once('connect', () => done({ success: true, message: '' }));
    socket.once('error', (err) => done({ success: false, message: `dial tcp ${host}:${port}: ${err.message}` }));
  });
}

function grpcAction(g: NonNullable<HandlerAction['grpc']>, target: ActionTarget, timeoutMs: number): Promise<ActionResult> {
  const address = `${hostOf(undefined, target)}:${g.port ?? 0}`;
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise<ActionResult>((resolve) => {
    client.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      (service: string) => encodeCheckRequest({ service }),
      (bytes: Buffer) => decodeCheckResponse(bytes).status,
      g.service ?? '',
      new grpc.Metadata(),
      { deadline: new Date(Date.now() + timeoutMs) },
      (err, status) => {
        if (err) resolve({ success: false, message: `timeout: failed to connect service "${address}" within ${timeoutMs / 1000}s: ${err.details}` });
        else if (status !== 'SERVING') resolve({ success: false, message: `service unhealthy (responded with "${status}")` });
        else resolve({ success: true, message: '' });
      },
    );
  }).finally(() => client.close());
}
