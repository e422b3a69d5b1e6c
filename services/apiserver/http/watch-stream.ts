/**
 * Kubernetes watch streams over HTTP: `200`, chunked, headers flushed at once (kubectl's
 * `rollout status` hangs otherwise), then one JSON watch event per line —
 * `{"type":"ADDED","object":{…}}` — with the full object (kind and apiVersion included) or, for
 * a Table Accept, a one-row Table. A too-old resourceVersion answers an ERROR event carrying a
 * 410 Status (kubectl then re-lists). The stream ends on timeoutSeconds, when the watch cache
 * ends the watch (the client re-watches), or when the client goes away. Writes wait for
 * `drain`, so a slow reader holds back only its own watch (which the cache then ends as too
 * slow): memory stays bounded.
 */
import type { ServerResponse } from 'node:http';
import { isGone, statusFromError } from '../../../lib/api/status';
import { apiVersionOf, type KubeObject } from '../../../lib/api/object';
import { printerFor, toRow, type IncludeObject } from '../../../lib/api/printers/table';
import type { ResourceRest, WatchRequest } from '../rest/resource-rest';
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

/**
 * Serves one watch on `res` until it ends. A failure to start other than 410 is thrown before
 * anything is written (the caller answers it as a Status).
 */
export async function serveWatch(
  res: ServerResponse,
  rest: ResourceRest,
  namespace: string | undefined,
  request: WatchRequest,
  timeoutSeconds: number | undefined,
  form: WatchForm,
): Promise<void> {
  let watch: Awaited<ReturnType<ResourceRest['watch']>> | undefined;
  let startError: unknown;
  try {
    watch = await rest.watch(namespace, request);
  } catch (err) {
    if (!isGone(err)) throw err;
    startError = err;
  }
  const contentType = form.table ? `${JSON_TYPE};as=Table;v=${form.table};g=meta.k8s.io` : JSON_TYPE;
  res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  res.socket?.setNoDelay(true);

  if (!watch) {
    res.end(line('ERROR', statusFromError(startError)));
    return;
  }
  const w = watch;
  let closed = false;
  const onClose = () => {
    closed = true;
    w.stop();
  };
  res.on('close', onClose);
  const seconds = timeoutSeconds !== undefined && timeoutSeconds > 0 ? Math.min(timeoutSeconds, MAX_WATCH_SECONDS) : MAX_WATCH_SECONDS;
  const timer = setTimeout(() => w.stop(), seconds * 1000);
  const info = rest.info;
  const identity = { apiVersion: apiVersionOf(info), kind: info.kind };
  const printer = printerFor(info.kind, info.group);
  let firstTable = true;
  try {
    for (;;) {
      const event = await w.next();
      if (event === undefined || closed) break;
      let object: unknown;
      const obj = event.object as KubeObject;
      if (form.table) {
        const table: Record<string, unknown> = {
          kind: 'Table',
          apiVersion: `meta.k8s.io/${form.table}`,
          metadata: { resourceVersion: obj.metadata?.resourceVersion ?? '' },
          rows: event.type === 'BOOKMARK' ? [] : [toRow(printer, obj, form.now(), form.includeObject ?? 'Metadata')],
        };
        // Column definitions once: kubectl keeps those of the list or of the first event.
        if (firstTable && event.type !== 'BOOKMARK') {
          table.columnDefinitions = printer.columns.map((c) => ({ ...c }));
          firstTable = false;
        }
        object = table;
      } else {
        object = obj.kind && obj.apiVersion ? obj : { ...identity, ...obj };
      }
      if (!res.write(line(event.type, object))) {
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      }
    }
  } catch (err) {
    if (!closed) res.write(line('ERROR', statusFromError(err)));
  } finally {
    clearTimeout(timer);
    res.off('close', onClose);
    w.stop();
    if (!closed) res.end();
  }
}

function line(type: string, object: unknown): string {
  return JSON.stringify({ type, object }) + '\n';
}
