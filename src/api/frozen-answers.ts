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
/** The values remembered at one node, and how often remembering an unfrozen one paid off there. */
interface NodeAnswers {
  values: WeakSet<object>;
  /** Unfrozen values remembered. */
  fresh: number;
  /** Lookups that found a value. */
  hits: number;
}

/**
 * After this many unfrozen values remembered at a node, it goes on remembering them only while at least one lookup in
 * FRESH_HITS_PER_VALUE finds a value there: a node whose values are rebuilt by every write (a status) would fill its
 * set with values never seen again. Frozen values found clean are remembered in any case.
 */
const FRESH_TRIAL = 64;
const FRESH_HITS_PER_VALUE = 8;

export class FrozenAnswers<Node extends object> {
  private readonly byNode = new WeakMap<Node, NodeAnswers>();

  /** Whether `value` is frozen and was found clean at `node`. */
  has(node: Node, value: unknown): boolean {
    if (!isFrozenObject(value)) return false;
    const answers = this.byNode.get(node);
    if (!answers?.values.has(value)) return false;
    answers.hits++;
    return true;
  }

  /** Remembers that the check of `node` found `value` (as it is now) clean. */
  add(node: Node, value: unknown): void {
    if (typeof value !== 'object' || value === null) return;
    let answers = this.byNode.get(node);
    if (!answers) this.byNode.set(node, (answers = { values: new WeakSet(), fresh: 0, hits: 0 }));
    if (!Object.isFrozen(value)) {
      if (answers.fresh >= FRESH_TRIAL && answers.hits * FRESH_HITS_PER_VALUE < answers.fresh) return;
      answers.fresh++;
    }
    answers.values.add(value);
  }

  /** Forgets `value` at `node`: the check found something in it (it was changed since it was found clean). */
  forget(node: Node, value: unknown): void {
    if (typeof value === 'object' && value !== null) this.byNode.get(node)?.values.delete(value);
  }
}

const isFrozenObject = (value: unknown): value is object => typeof value === 'object' && value !== null && Object.isFrozen(value);
