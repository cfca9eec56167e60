/**
 * Answers kept per request shape: the resource type, the operation, the
 * subresource and whether the request is namespaced, which is all that
 * rule matching (webhook rules, policy resource rules) reads of a request.
 * Every write asks which webhooks and policies its shape concerns, and the
 * rules answer the same until they change; the owner drops the memo then.
 */
import type { ResourceType } from '../api/types.js';
import type { AdmissionAttributes, Operation } from './chain.js';

type ByScope<T> = { namespaced?: T; cluster?: T };

export class ShapeMemo<T> {
  private readonly byType = new Map<ResourceType, Map<Operation, Map<string, ByScope<T>>>>();

  /** The answer for the request's shape, computed from the request the first time the shape is seen. */
  get(attributes: AdmissionAttributes, compute: (attributes: AdmissionAttributes) => T): T {
    let byOperation = this.byType.get(attributes.type);
    if (!byOperation) this.byType.set(attributes.type, (byOperation = new Map()));
    let bySubresource = byOperation.get(attributes.operation);
    if (!bySubresource) byOperation.set(attributes.operation, (bySubresource = new Map()));
    const subresource = attributes.subresource ?? '';
    let byScope = bySubresource.get(subresource);
    if (!byScope) bySubresource.set(subresource, (byScope = {}));
    const scope = attributes.namespace ? 'namespaced' : 'cluster';
    let answer = byScope[scope];
    if (answer === undefined) byScope[scope] = answer = compute(attributes);
    return answer;
  }
}
