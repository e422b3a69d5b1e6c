import type { FieldError } from '../../../../lib/api/errors';
import { EVENT_TYPES, type Event } from '../../../../lib/api/core-event';
import { invalid, required, toPath, tooLong } from '../../../../lib/api/validation';
import type { Strategy } from '../../registry/strategy';
import { validateEnum } from './common';
import { RESOURCES } from '../../../../lib/api/resources';

export type { Event, ObjectReference } from '../../../../lib/api/core-event';
export { EVENT_TYPES } from '../../../../lib/api/core-event';

/** How long an Event is kept after its last write, in seconds (Kubernetes' apiserver --event-ttl default, 1 h). */
export const DEFAULT_EVENT_TTL_SECONDS = 3600;
/** Longest event reason, in bytes. */
export const EVENT_REASON_MAX_LENGTH = 128;
/** Longest event message kept by the API, in bytes. */
export const EVENT_MESSAGE_MAX_LENGTH = 4096;
/** Namespaces an event about a cluster-scoped object (no involvedObject.namespace) may live in. */
export const EVENT_NAMESPACES_FOR_CLUSTER_OBJECTS: readonly string[] = ['default', 'kube-system'];

function validateEvent(obj: Event): FieldError[] {
  const errs: FieldError[] = [];
  const io = obj.involvedObject;
  const iop = toPath('involvedObject');
  if (!io || typeof io !== 'object' || Object.keys(io).length === 0) errs.push(required(iop));
  else {
    if (!io.kind) errs.push(required(iop.child('kind')));
    if (!io.name) errs.push(required(iop.child('name')));
    const ns = obj.metadata.namespace ?? '';
    // Kubernetes: an event about a cluster-scoped object lives in default or kube-system;
    // otherwise the namespaces must agree.
    const ioNs = io.namespace ?? '';
    if ((ioNs === '' && !EVENT_NAMESPACES_FOR_CLUSTER_OBJECTS.includes(ns)) || (ioNs !== '' && ioNs !== ns)) {
      errs.push(invalid(iop.child('namespace'), ioNs, 'does not match event.namespace'));
    }
  }
  if (obj.reason !== undefined && Buffer.byteLength(String(obj.reason)) > EVENT_REASON_MAX_LENGTH) errs.push(tooLong('reason', obj.reason, EVENT_REASON_MAX_LENGTH));
  if (obj.message !== undefined && Buffer.byteLength(String(obj.message)) > EVENT_MESSAGE_MAX_LENGTH) errs.push(tooLong('message', obj.message, EVENT_MESSAGE_MAX_LENGTH));
  if (obj.type !== undefined && obj.type !== '') errs.push(...validateEnum(obj.type, EVENT_TYPES, 'type'));
  if (obj.count !== undefined && obj.count < 0) errs.push(invalid('count', obj.count, 'must be greater than or equal to 0'));
  return errs;
}

/**
 * Events (ev): involvedObject (kind, name, and the event's namespace for namespaced kinds) is
 * required (with a namespace agreeing with the event's); reason ≤ 128 bytes, message ≤ 4 KiB, type Normal or Warning. Selectable by the
 * involvedObject fields, reason, source, type and reportingComponent. Events expire: the
 * ResourceSet stores them with a TTL (DEFAULT_EVENT_TTL_SECONDS, `bosun apiserver --event-ttl`).
 */
export const eventStrategy: Strategy<Event> = {
  info: RESOURCES.events,
  hasStatus: false,
  prepareForCreate() {},
  prepareForUpdate() {},
  validate: validateEvent,
  validateUpdate: validateEvent,
  specChanged() {
    return false;
  },
  selectableFields(obj) {
    const io = obj.involvedObject ?? {};
    return {
      'involvedObject.kind': io.kind ?? '',
      'involvedObject.namespace': io.namespace ?? '',
      'involvedObject.name': io.name ?? '',
      'involvedObject.uid': io.uid ?? '',
      'involvedObject.apiVersion': io.apiVersion ?? '',
      'involvedObject.resourceVersion': io.resourceVersion ?? '',
      'involvedObject.fieldPath': io.fieldPath ?? '',
      reason: obj.reason ?? '',
      reportingComponent: obj.reportingComponent ?? '',
      source: obj.source?.component ?? '',
      type: obj.type ?? '',
    };
  },
};
