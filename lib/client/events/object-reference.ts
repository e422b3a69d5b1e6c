import type { ObjectReference } from '../../api/core-event';
import type { KubeObject } from '../../api/object';

/** What an Event may be about: an API object (with apiVersion and kind) or a reference to one. */
export type EventSubject = KubeObject | ObjectReference;

/**
 * The reference an Event carries to `subject` (client-go's ref.GetReference): kind, apiVersion,
 * namespace, name, uid and resourceVersion of an object, or the reference itself. Undefined
 * when it names no kind or no name (such an Event cannot be written).
 */
export function referenceTo(subject: EventSubject): ObjectReference | undefined {
  let ref: ObjectReference;
  if (isObject(subject)) {
    const m = subject.metadata;
    ref = { kind: subject.kind, namespace: m.namespace, name: m.name, uid: m.uid, apiVersion: subject.apiVersion, resourceVersion: m.resourceVersion };
  } else {
    ref = { ...subject };
  }
  if (!ref.kind || !ref.name) return undefined;
  return Object.fromEntries(Object.entries(ref).filter(([, v]) => v !== undefined && v !== '')) as ObjectReference;
}

function isObject(subject: EventSubject): subject is KubeObject {
  return typeof (subject as KubeObject).metadata === 'object' && (subject as KubeObject).metadata !== null;
}
