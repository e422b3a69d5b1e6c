/**
 * ConfigMap compare-and-swap through the API, recorded for the linearizability checker: each
 * client reads a ConfigMap (a `get` of its `data.v`) and then updates it with the read
 * resourceVersion as precondition (a `cas` from the value read to a fresh unique value), or
 * creates it when absent. 409 means the swap did not happen; any other failure of a write is
 * indeterminate (it may have been applied), of a read is dropped.
 */
import { ApiError } from '../../lib/api/errors';
import { RESOURCES } from '../../lib/api/resources';
import type { ConfigMap } from '../../lib/api/types/core';
import type { ApiClient } from '../../lib/client/api-client';
import { History, kvOp } from '../support/history';

/** The key in each ConfigMap's data that holds the register's value. */
const VALUE_KEY = 'v';
/** Pause between one client's operations, so the CAS load leaves CPU for the cluster. */
const OP_PAUSE_MS = 50;

/** What the CAS clients did. */
export interface CasReport {
  readonly history: History;
  readonly swapped: number;
  readonly conflicts: number;
  readonly indeterminate: number;
}

/** The value a ConfigMap's register holds (null: absent). */
function valueOf(cm: ConfigMap | undefined): string | null {
  return cm?.data?.[VALUE_KEY] ?? null;
}

/** Whether `err` definitely means "not applied because of the precondition" (conflict or already exists). */
function isPreconditionFailure(err: unknown): boolean {
  return err instanceof ApiError && err.code === 409;
}

/** Runs `clients` CAS loops on ConfigMaps `keys` in `namespace` until `until()` is true. */
export async function runConfigMapCas(client: ApiClient, namespace: string, keys: readonly string[], clients: number, until: () => boolean): Promise<CasReport> {
  const cms = client.resource<ConfigMap>(RESOURCES.configmaps);
  const history = new History();
  let swapped = 0;
  let conflicts = 0;
  let indeterminate = 0;
  let serial = 0;
  const loop = async (id: number) => {
    while (!until()) {
      const key = keys[Math.floor(Math.random() * keys.length)]!;
      const read = history.invoke(id, kvOp.get(key));
      let current: ConfigMap | undefined;
      try {
        current = await cms.get(namespace, key);
        history.ok(read, valueOf(current));
      } catch (err) {
        if (err instanceof ApiError && err.code === 404) history.ok(read, null);
        else {
          history.unknown(read, err);
          await new Promise((r) => setTimeout(r, OP_PAUSE_MS));
          continue;
        }
      }
      const value = `c${id}-${serial++}`;
      const cas = history.invoke(id, kvOp.cas(key, valueOf(current), value));
      try {
        if (current) await cms.update(namespace, { ...current, data: { [VALUE_KEY]: value } });
        else await cms.create(namespace, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: key, namespace }, data: { [VALUE_KEY]: value } });
        history.ok(cas, true);
        swapped++;
      } catch (err) {
        if (isPreconditionFailure(err)) {
          history.ok(cas, false);
          conflicts++;
        } else {
          history.unknown(cas, err);
          indeterminate++;
        }
      }
      await new Promise((r) => setTimeout(r, OP_PAUSE_MS));
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, i) => loop(i)));
  return { history, swapped, conflicts, indeterminate };
}

/**
 * Reads every key once more after the cluster healed (retrying until `deadlineMs`), recorded in
 * `history`, so an acknowledged write that was lost shows up as a violation.
 */
export async function finalReads(client: ApiClient, namespace: string, keys: readonly string[], history: History, deadlineMs: number): Promise<void> {
  const cms = client.resource<ConfigMap>(RESOURCES.configmaps);
  for (const key of keys) {
    for (;;) {
      const read = history.invoke('final', kvOp.get(key));
      try {
        history.ok(read, valueOf(await cms.get(namespace, key)));
        break;
      } catch (err) {
        if (err instanceof ApiError && err.code === 404) {
          history.ok(read, null);
          break;
        }
        history.unknown(read, err);
        if (Date.now() > deadlineMs) throw new Error(`final read of ConfigMap ${namespace}/${key}: ${err instanceof Error ? err.message : String(err)}`);
        await new Promise((r) => setTimeout(r, OP_PAUSE_MS));
      }
    }
  }
}
