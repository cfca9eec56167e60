/**
 * Per schema node, the values a check of that node found nothing to change or
 * report in, trusted once they are frozen. Stored objects are deep-frozen and
 * never change, and a write hands back most of the stored version's subtrees
 * as they are (a status write keeps the spec), so a check that is a function
 * of the value and the node alone need not walk such a subtree again.
 *
 * An answer is remembered for the value the write checks, still unfrozen:
 * the store freezes that very value (or an equal one it already holds) when
 * the write lands, and the next write that hands it back finds it. Only the
 * store freezes, and only as part of a write whose checks saw each unfrozen
 * value as it is then (an unfrozen value is always checked again, and a value
 * found wanting is forgotten), so a frozen value's answer was found on the
 * content it keeps. Kept only where the walks are deep enough to pay for the
 * lookup (the callers choose the nodes); the sets hold their values weakly.
 */
export class FrozenAnswers<Node extends object> {
  private readonly byNode = new WeakMap<Node, WeakSet<object>>();

  /** Whether `value` is frozen and was found clean at `node`. */
  has(node: Node, value: unknown): boolean {
    return isFrozenObject(value) && this.byNode.get(node)?.has(value) === true;
  }

  /** Remembers that the check of `node` found `value` (as it is now) clean. */
  add(node: Node, value: unknown): void {
    if (typeof value !== 'object' || value === null) return;
    let values = this.byNode.get(node);
    if (!values) this.byNode.set(node, (values = new WeakSet()));
    values.add(value);
  }

  /** Forgets `value` at `node`: the check found something in it (it was changed since it was found clean). */
  forget(node: Node, value: unknown): void {
    if (typeof value === 'object' && value !== null) this.byNode.get(node)?.delete(value);
  }
}

const isFrozenObject = (value: unknown): value is object => typeof value === 'object' && value !== null && Object.isFrozen(value);
