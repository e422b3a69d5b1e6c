/**
 * A watch that survives its apiserver going away (client-go's RetryWatcher): when the stream
 * breaks with a transient error (the server unreachable or restarting: 503, 504), it is opened
 * again from the last resourceVersion seen — bookmarks included — so no event is lost or
 * repeated. An error the server meant (410 Gone, 4xx) still ends it.
 */
import type { KubeObject } from '../api/object';
import type { ApiWatchEvent, WatchRequest } from '../api/requests';
import { ApiError } from '../api/errors';
import type { ClientWatch, ResourceClient } from './api-client';

/** Pause before a broken watch is opened again. */
export const WATCH_RESUME_DELAY_MS = 500;
/** How long a watch keeps trying to resume before the last error ends it. */
export const WATCH_RESUME_GIVE_UP_MS = 60_000;

/** Whether a watch that failed with `err` may be resumed. */
function transient(err: unknown): boolean {
  return err instanceof ApiError && (err.code === 503 || err.code === 504 || err.code === 0);
}

/** A watch of `rc` in `namespace` from `opts.resourceVersion` that resumes after transient failures. */
export function resumingWatch<T extends KubeObject>(rc: ResourceClient<T>, namespace: string | undefined, opts: WatchRequest): ClientWatch<T> {
  let current: ClientWatch<T> | undefined;
  let stopped = false;
  let wake: (() => void) | undefined;
  return {
    stop() {
      stopped = true;
      current?.stop();
      wake?.();
    },
    async *[Symbol.asyncIterator](): AsyncIterator<ApiWatchEvent<T>> {
      let resourceVersion = opts.resourceVersion;
      let failingSince: number | undefined;
      while (!stopped) {
        current = rc.watch(namespace, { ...opts, resourceVersion, allowWatchBookmarks: true });
        try {
          for await (const event of current) {
            failingSince = undefined;
            resourceVersion = event.object.metadata.resourceVersion ?? resourceVersion;
            if (event.type === 'BOOKMARK' && !opts.allowWatchBookmarks) continue;
            yield event;
          }
          return; // the server ended the watch on purpose (timeout): so does this one
        } catch (err) {
          if (stopped) return;
          failingSince ??= Date.now();
          if (!transient(err) || Date.now() - failingSince > WATCH_RESUME_GIVE_UP_MS) throw err;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, WATCH_RESUME_DELAY_MS);
        });
      }
    },
  };
}
