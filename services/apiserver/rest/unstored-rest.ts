/**
 * The base of the resources the apiserver computes instead of storing (access reviews, resource
 * metrics): every operation answers 405 Method Not Allowed naming the verbs the resource does
 * serve, until a subclass overrides the ones it answers.
 */
import { MethodNotAllowedError } from '../../../lib/api/errors';
import type { KubeList, KubeObject, ResourceInfo } from '../../../lib/api/object';
import type { ResourceRest } from './resource-rest';

export abstract class UnstoredRest<T extends KubeObject> implements ResourceRest<T> {
  readonly subresources = [] as const;
  readonly returnsDeletedObject = false;
  abstract readonly verbs: readonly string[];

  constructor(readonly info: ResourceInfo) {}

  /** The 405 of a verb this resource does not serve. */
  protected refuse(): Promise<never> {
    const served = this.verbs.length === 1 && this.verbs[0] === 'create' ? 'created' : `read (${this.verbs.join(', ')})`;
    return Promise.reject(new MethodNotAllowedError(`${this.info.resource}.${this.info.group} can only be ${served}`));
  }
  create(..._args: unknown[]): Promise<T> {
    return this.refuse();
  }
  get(..._args: unknown[]): Promise<T> {
    return this.refuse();
  }
  list(..._args: unknown[]): Promise<KubeList<T>> {
    return this.refuse();
  }
  update(): Promise<T> {
    return this.refuse();
  }
  patch(): Promise<T> {
    return this.refuse();
  }
  delete(): Promise<never> {
    return this.refuse();
  }
  deleteCollection(): Promise<never> {
    return this.refuse();
  }
  watch(): Promise<never> {
    return this.refuse();
  }
}
