/**
 * Kubernetes watch streams over HTTP: `200`, chunked, headers flushed at once (kubectl's
 * `rollout status` hangs otherwise), then one JSON watch event per line —
 * `{"type":"ADDED","object":{…}}` — with the full object (kind and apiVersion included) or, for
 * a Table Accept, a one-row Table. A too-old resourceVersion answers an ERROR event carrying a
 * 410 Status (kubectl then re-lists). The stream ends on timeoutSeconds, when the watch cache
 * ends the watch (the client re-watches), or when the client goes away. The stream's memory is
 * bounded in bytes (see pumpWatch): a client that stops reading is cut off (its connection
 * closed) once its cache queue fills up, and re-watches from the last resourceVersion it got.
 */
import type { ServerResponse } from 'node:http';
import { isGone, statusFromError } from '../../../lib/api/status';
import { apiVersionOf, type KubeObject, type ResourceInfo } from '../../../lib/api/object';
import { printerFor, toRow, type IncludeObject } from '../../../lib/api/printers/table';
import type { WatchEvent } from '../registry/cache-watcher';
import { EncodingMemo, WATCH_ENCODING_MEMO_BYTES, WATCH_ENCODING_MEMO_OBJECTS } from '../rest/encoding-memo';
import type { ResourceRest, WatchRequest } from '../rest/resource-rest';
import { encodedBuffer, pumpWatch, type EncodedEvent, type WatchSink } from '../rest/watch-pump';
import { JSON_TYPE } from './http-io';

/** Longest watch: a longer timeoutSeconds is cut to this, and a watch without one ends after it. */
export const MAX_WATCH_SECONDS = 3600;

/** How a watch's events are written. */
export interface WatchForm {
  /** Table version (v1 or v1beta1) when the client asked for Tables. */
  readonly table?: string;
  readonly includeObject?: IncludeObject;
  /** Clock for the AGE cells of Table rows. */
  readonly now: () => Date;
}

/** JSON lines of the cache's shared objects, encoded once for every watch stream that sends them. */
const jsonLines = new EncodingMemo<Buffer>(WATCH_ENCODING_MEMO_BYTES, WATCH_ENCODING_MEMO_OBJECTS);

/**
 * Serves one watch on `res` until it ends, through a bounded send buffer (see pumpWatch). A
 * failure to start other than 410 is thrown before anything is written (the caller answers it
 * as a Status).
 */
export async function serveWatch(
  res: ServerResponse,
  rest: ResourceRest,
  namespace: string | undefined,
  request: WatchRequest,
  timeoutSeconds: number | undefined,
  form: WatchForm,
  limits: { readonly sendBufferBytes?: number } = {},
): Promise<void> {
  let watch: Awaited<ReturnType<ResourceRest['watch']>> | undefined;
  let startError: unknown;
  try {
    watch = await rest.watch(namespace, request);
  } catch (err) {
    if (!isGone(err)) throw err;
    startError = err;
  }
  if (res.destroyed) {
    // The client left while the watch was being set up.
    watch?.stop();
    return;
  }
  const contentType = form.table ? `${JSON_TYPE};as=Table;v=${form.table};g=meta.k8s.io` : JSON_TYPE;
  res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  res.socket?.setNoDelay(true);

  if (!watch) {
    res.end(line('ERROR', statusFromError(startError)));
    return;
  }
  const seconds = timeoutSeconds !== undefined && timeoutSeconds > 0 ? Math.min(timeoutSeconds, MAX_WATCH_SECONDS) : MAX_WATCH_SECONDS;
  await pumpWatch(watch, responseSink(res), {
    encode: form.table ? tableEncoder(rest.info, form) : jsonEncoder(rest.info),
    encodeError: (err) => encodedBuffer(Buffer.from(line('ERROR', statusFromError(err)))),
    timeoutMs: seconds * 1000,
    sendBufferBytes: limits.sendBufferBytes,
  });
}

/** The response as a watch sink: a write is flushed once the socket took it; abort destroys the connection. */
function responseSink(res: ServerResponse): WatchSink<Buffer> {
  return {
    write: (chunk, flushed) => void res.write(chunk, () => flushed()),
    end: () => res.end(),
    abort: () => res.destroy(),
    closed: res.destroyed ? Promise.resolve() : new Promise<void>((resolve) => res.once('close', () => resolve())),
  };
}

/** Events as JSON lines with the full object (kind and apiVersion included), shared between streams. */
function jsonEncoder(info: ResourceInfo): (event: WatchEvent<KubeObject>) => EncodedEvent<Buffer> {
  const identity = { apiVersion: apiVersionOf(info), kind: info.kind };
  return (event) => {
    const obj = event.object;
    return encodedBuffer(jsonLines.get(obj, event.type, () => Buffer.from(line(event.type, obj.kind && obj.apiVersion ? obj : { ...identity, ...obj }))));
  };
}

/** Events as one-row Tables, with the column definitions on the first row event only (kubectl keeps those of the list or of the first event). */
function tableEncoder(info: ResourceInfo, form: WatchForm): (event: WatchEvent<KubeObject>) => EncodedEvent<Buffer> {
  const printer = printerFor(info.kind, info.group);
  let firstTable = true;
  return (event) => {
    const obj = event.object;
    const table: Record<string, unknown> = {
      kind: 'Table',
      apiVersion: `meta.k8s.io/${form.table}`,
      metadata: { resourceVersion: obj.metadata?.resourceVersion ?? '' },
      rows: event.type === 'BOOKMARK' ? [] : [toRow(printer, obj, form.now(), form.includeObject ?? 'Metadata')],
    };
    if (firstTable && event.type !== 'BOOKMARK') {
      table.columnDefinitions = printer.columns.map((c) => ({ ...c }));
      firstTable = false;
    }
    return encodedBuffer(Buffer.from(line(event.type, table)));
  };
}

function line(type: string, object: unknown): string {
  return JSON.stringify({ type, object }) + '\n';
}
