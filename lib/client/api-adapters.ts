import type { KubeObject } from '../api/object';
import type { ListRequest } from '../api/requests';
import { isNotFound } from '../api/status';
import type { ResourceClient } from './api-client';
import type { ListerWatcher, WatchEvent, WatchHandle } from './informer';
import type { Lease, LeaseClient } from './leader-election';

/**
 * The API client behind the small interfaces the informer and the leader elector are written
 * against (so those stay testable with fakes).
 */

/** Options of listerWatcherFor: what the informer sees. */
export interface ListWatchScope {
  /** Only this namespace (absent: all namespaces). */
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

/** A ListerWatcher of one resource through the API: consistent lists, watches with bookmarks. */
export function listerWatcherFor<T extends KubeObject>(client: ResourceClient<T>, scope: ListWatchScope = {}): ListerWatcher<T> {
  const selectors: ListRequest = { labelSelector: scope.labelSelector, fieldSelector: scope.fieldSelector };
  return {
    async list() {
      const list = await client.list(scope.namespace, selectors);
      return { items: list.items, resourceVersion: list.metadata.resourceVersion ?? '' };
    },
    watch(resourceVersion, onEvent, onError): WatchHandle {
      const watch = client.watch(scope.namespace, { ...selectors, resourceVersion, allowWatchBookmarks: true });
      let stopped = false;
      void (async () => {
        try {
          for await (const event of watch) {
            if (stopped) return;
            onEvent(event as WatchEvent<T>);
          }
          // The server ended the watch (timeout, cache reset, too slow): resume from the last version.
          if (!stopped) onError(Object.assign(new Error('watch ended by the server'), { code: 0 }));
        } catch (err) {
          if (!stopped) onError(err);
        }
      })();
      return {
        stop() {
          stopped = true;
          watch.stop();
        },
      };
    },
  };
}

/** The LeaseClient of the leader elector over the coordination.k8s.io Lease resource. */
export function leaseClientFor(client: ResourceClient<Lease>): LeaseClient {
  return {
    async get(namespace, name) {
      try {
        return await client.get(namespace, name);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    create: (lease) => client.create(lease.metadata.namespace, lease),
    update: (lease) => client.update(lease.metadata.namespace, lease),
  };
}
