import { BadRequestError } from '../../../lib/api/errors';
import type { DeleteRequest } from './resource-rest';

/**
 * Kubernetes' DeleteOptions (the JSON body of an HTTP DELETE, or the protobuf message of a gRPC
 * Delete/DeleteCollection read as JSON) as a DeleteRequest: every field checked for its JSON
 * type, a 400 naming the field otherwise; `dryRun` must list only "All". Absent and null
 * fields are unset. Both front doors read DeleteOptions through this one function.
 */
export function deleteRequestFrom(options: Readonly<Record<string, unknown>>): DeleteRequest {
  let preconditions: DeleteRequest['preconditions'];
  const pre = options.preconditions;
  if (pre !== undefined && pre !== null) {
    if (typeof pre !== 'object' || Array.isArray(pre)) throw new BadRequestError('preconditions: must be an object');
    const p = pre as Record<string, unknown>;
    preconditions = { uid: stringField(p, 'uid') || undefined, resourceVersion: stringField(p, 'resourceVersion') || undefined };
  }
  const dryRun = options.dryRun;
  if (dryRun !== undefined && dryRun !== null && !Array.isArray(dryRun)) throw new BadRequestError('dryRun: must be a list');
  return {
    gracePeriodSeconds: numberField(options, 'gracePeriodSeconds'),
    propagationPolicy: stringField(options, 'propagationPolicy') || undefined,
    orphanDependents: boolField(options, 'orphanDependents'),
    preconditions,
    dryRun: dryRunOf(((dryRun as unknown[] | undefined) ?? []).map(String)),
    ignoreStoreReadErrorWithClusterBreakingPotential: boolField(options, 'ignoreStoreReadErrorWithClusterBreakingPotential'),
  };
}

/** The `dryRun` values of a request (query parameters or DeleteOptions.dryRun): true when any; 400 for a value other than "All". */
export function dryRunOf(values: readonly string[]): boolean {
  for (const v of values) {
    if (v !== 'All') throw new BadRequestError(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  }
  return values.length > 0;
}

function numberField(o: Readonly<Record<string, unknown>>, name: string): number | undefined {
  const v = o[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number') throw new BadRequestError(`${name}: Invalid value: ${JSON.stringify(v)}: must be a number`);
  return v;
}

function stringField(o: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const v = o[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new BadRequestError(`${name}: Invalid value: ${JSON.stringify(v)}: must be a string`);
  return v;
}

function boolField(o: Readonly<Record<string, unknown>>, name: string): boolean | undefined {
  const v = o[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new BadRequestError(`${name}: Invalid value: ${JSON.stringify(v)}: must be a boolean`);
  return v;
}
