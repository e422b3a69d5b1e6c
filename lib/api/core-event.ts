import type { KubeObject, ResourceInfo } from './object';
import { RESOURCES } from './resources';

/**
 * The core/v1 Event kind as both its writers (the event recorder in lib/client/events) and its
 * server (the apiserver's Event strategy) see it, in Kubernetes' JSON field names.
 */

/** A reference to one object (core/v1 ObjectReference). */
export interface ObjectReference {
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

/** Where an Event comes from (core/v1 EventSource). */
export interface EventSource {
  component?: string;
  host?: string;
}

/** A core/v1 Event (no spec). Timestamps are RFC 3339 strings. */
export interface Event extends KubeObject {
  involvedObject?: ObjectReference;
  reason?: string;
  message?: string;
  source?: EventSource;
  type?: string;
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  /** When the event was first observed (MicroTime, RFC 3339 with microseconds). */
  eventTime?: string;
  /** Data about the series this event represents (an isomorphic event seen again). */
  series?: { count?: number; lastObservedTime?: string };
  /** What was taken, or failed to be taken, about the involved object. */
  action?: string;
  /** An optional second object the event is about. */
  related?: ObjectReference;
  /** The controller that emitted the event (Go: ReportingController). */
  reportingComponent?: string;
  reportingInstance?: string;
}

/** An Event about something that went as expected. */
export const EVENT_TYPE_NORMAL = 'Normal';
/** An Event about something that went wrong. */
export const EVENT_TYPE_WARNING = 'Warning';
/** The Event types the API accepts. */
export const EVENT_TYPES: readonly string[] = [EVENT_TYPE_NORMAL, EVENT_TYPE_WARNING];
/** An Event's type. */
export type EventType = typeof EVENT_TYPE_NORMAL | typeof EVENT_TYPE_WARNING;

/** The core/v1 events resource, as clients address it. */
export const EVENTS_RESOURCE: ResourceInfo = RESOURCES.events;
