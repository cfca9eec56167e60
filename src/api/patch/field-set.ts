/**
 * Sets of field paths, the unit of ownership in server-side apply, and their
 * `FieldsV1` encoding. A path is a list of elements spelled as in FieldsV1:
 * `f:<field>` (a field or map key), `k:<json>` (a list-map item, by its
 * sorted key fields), `v:<json>` (a set item), `i:<index>`.
 */
import { isPooledFieldsV1, pooledFieldsV1 } from './fields-v1-pool.js';

export type FieldPath = readonly string[];

/** FieldsV1: nested objects keyed by path element; "." marks a path that is a member and also has children. */
export type FieldsV1 = { [element: string]: FieldsV1 };

const SELF = '.';

/** The children of a leaf: shared by every node without any, which are most nodes (never changed: insert replaces them). */
const NO_ELEMENTS: readonly string[] = Object.freeze([]);
const NO_SUBTREES: readonly FieldSet[] = Object.freeze([]);

/**
 * A set is built by `insert` (or decoded) and only read afterwards: the set
 * operations share unchanged subtrees with their operands and return an
 * operand itself when the result equals it. No node is ever empty (every
 * path ends at a member), so sets that print the same are the same trees.
 * A node's children are two arrays in encoding order (fields, then keys,
 * values and indexes, each by name): lighter than a Map per node (decoded
 * sets live as long as the stored versions whose managedFields they stand
 * for), searched by bisection, merged in one pass, encoded without sorting.
 */
export class FieldSet {
  private member = false;
  /** Each node's own arrays (never shared between nodes, only subtrees are), or the shared empty pair. */
  private elements: string[] = NO_ELEMENTS as string[];
  private subtrees: FieldSet[] = NO_SUBTREES as FieldSet[];
  /**
   * The (pooled, frozen) encoding, once made. Sets are not changed once built
   * (set operations share unchanged subtrees instead), so re-encoding a
   * manager's fields after a small change encodes only the changed subtrees.
   */
  private encoding: FieldsV1 | undefined;

  static of(paths: Iterable<FieldPath>): FieldSet {
    const set = new FieldSet();
    for (const path of paths) set.insert(path);
    return set;
  }

  /** The set an encoding stands for; one of our own (pooled) encodings decodes to the same set every time. */
  static fromFieldsV1(fields: unknown): FieldSet {
    const pooled = isPooledFieldsV1(fields) ? decodedSets.get(fields) : undefined;
    if (pooled) return pooled;
    const set = new FieldSet();
    set.readFieldsV1(fields);
    if (isPooledFieldsV1(fields)) {
      set.encoding = fields;
      decodedSets.set(fields, set);
    }
    return set;
  }

  /**
   * The set with these children (in encoding order, none empty, no element twice), shared with every equal set
   * built or decoded while its encoding is pooled: a builder that walks an object bottom-up gets each subtree
   * encoded as it goes, and an object of a shape seen before (every Event) costs one pool lookup per node.
   */
  static interned(member: boolean, elements: string[], subtrees: FieldSet[]): FieldSet {
    if (elements.length === 0) return member ? LEAF : EMPTY;
    const encoding = pooledFieldsV1(
      member,
      elements,
      subtrees.map((child) => child.toFieldsV1()),
    );
    let set = decodedSets.get(encoding);
    if (!set) {
      set = FieldSet.node(member, elements, subtrees);
      set.encoding = encoding;
      decodedSets.set(encoding, set);
    }
    return set;
  }

  /** `subtree` placed at `path`: a chain of non-member nodes down to it. */
  static at(path: FieldPath, subtree: FieldSet): FieldSet {
    let set = subtree;
    for (let i = path.length - 1; i >= 0; i--) set = FieldSet.node(false, [path[i]], [set]);
    return set;
  }

  /**
   * A node with these children (already in encoding order, none empty). The arrays are kept as exact copies: the set
   * operations build theirs by push, which leaves room for 17 entries (152 bytes for a node of one or two children),
   * and sets live as long as the stored versions whose managedFields they stand for (57 such arrays per VM in
   * bench/vm-scale.mjs, most of one to three children).
   */
  private static node(member: boolean, elements: string[], subtrees: FieldSet[]): FieldSet {
    const set = new FieldSet();
    set.member = member;
    if (elements.length > 0) {
      set.elements = elements.slice();
      set.subtrees = subtrees.slice();
    }
    return set;
  }

  /** The member leaf: the set holding only the empty path (shared; never inserted into). */
  static get leaf(): FieldSet {
    return LEAF;
  }

  /** The empty set (shared; never inserted into). */
  static get empty(): FieldSet {
    return EMPTY;
  }

  /**
   * Adds a path; only while the set is being built. A set once encoded may be shared (as the decoding of its
   * encoding, or inside other sets), so changing it then is a mistake this refuses.
   */
  insert(path: FieldPath): void {
    let node: FieldSet = this;
    for (let depth = 0; ; depth++) {
      if (node.encoding) throw new Error('FieldSet.insert into a set already read');
      if (depth === path.length) break;
      const element = path[depth];
      const at = node.indexOf(element);
      let child: FieldSet;
      if (at >= 0) child = node.subtrees[at];
      else {
        child = new FieldSet();
        if (node.elements === NO_ELEMENTS) {
          node.elements = [element];
          node.subtrees = [child];
        } else {
          node.elements.splice(-at - 1, 0, element);
          node.subtrees.splice(-at - 1, 0, child);
        }
      }
      node = child;
    }
    node.member = true;
  }

  /** The subtree under one path element, if any path goes through it. */
  child(element: string): FieldSet | undefined {
    const at = this.indexOf(element);
    return at >= 0 ? this.subtrees[at] : undefined;
  }

  /** Whether the empty path (this subtree's root) is itself a member. */
  get isMember(): boolean {
    return this.member;
  }

  has(path: FieldPath): boolean {
    return this.subtree(path)?.member ?? false;
  }

  /** Whether the path or anything below it is a member. */
  hasAnyUnder(path: FieldPath): boolean {
    return !(this.subtree(path)?.isEmpty() ?? true);
  }

  /** No node below the root is ever empty (see the class comment), so only a childless non-member is. */
  isEmpty(): boolean {
    return !this.member && this.elements.length === 0;
  }

  /** Member paths, depth first in encoding order. */
  paths(): FieldPath[] {
    const result: FieldPath[] = [];
    const walk = (node: FieldSet, prefix: string[]) => {
      if (node.member) result.push(prefix);
      for (let i = 0; i < node.elements.length; i++) walk(node.subtrees[i], [...prefix, node.elements[i]]);
    };
    walk(this, []);
    return result;
  }

  /** `this` itself when `other` adds nothing, so a writer that re-sets fields it owns keeps its set (and its encoding). */
  union(other: FieldSet): FieldSet {
    if (other.isEmpty()) return this;
    if (this.isEmpty()) return other;
    const elements: string[] = [];
    const subtrees: FieldSet[] = [];
    let grown = !this.member && other.member;
    let i = 0;
    let j = 0;
    while (i < this.elements.length || j < other.elements.length) {
      const order = j >= other.elements.length ? -1 : i >= this.elements.length ? 1 : byRankThenName(this.elements[i], other.elements[j]);
      if (order < 0) {
        elements.push(this.elements[i]);
        subtrees.push(this.subtrees[i++]);
      } else if (order > 0) {
        elements.push(other.elements[j]);
        subtrees.push(other.subtrees[j++]);
        grown = true;
      } else {
        const both = this.subtrees[i].union(other.subtrees[j++]);
        if (both !== this.subtrees[i]) grown = true;
        elements.push(this.elements[i++]);
        subtrees.push(both);
      }
    }
    return grown ? FieldSet.node(this.member || other.member, elements, subtrees) : this;
  }

  difference(other: FieldSet): FieldSet {
    if (this.isEmpty() || other.isEmpty()) return this;
    const member = this.member && !other.member;
    let changed = member !== this.member;
    const elements: string[] = [];
    const subtrees: FieldSet[] = [];
    let j = 0;
    for (let i = 0; i < this.elements.length; i++) {
      const element = this.elements[i];
      while (j < other.elements.length && byRankThenName(other.elements[j], element) < 0) j++;
      const theirs = j < other.elements.length && other.elements[j] === element ? other.subtrees[j] : undefined;
      const kept = theirs ? this.subtrees[i].difference(theirs) : this.subtrees[i];
      if (kept !== this.subtrees[i]) changed = true;
      if (kept.isEmpty()) continue;
      elements.push(element);
      subtrees.push(kept);
    }
    return changed ? FieldSet.node(member, elements, subtrees) : this;
  }

  intersection(other: FieldSet): FieldSet {
    // Most writes change nothing another manager owns: answer that without building a node per level.
    if (this.isEmpty() || other.isEmpty()) return EMPTY;
    const elements: string[] = [];
    const subtrees: FieldSet[] = [];
    let j = 0;
    for (let i = 0; i < this.elements.length; i++) {
      const element = this.elements[i];
      while (j < other.elements.length && byRankThenName(other.elements[j], element) < 0) j++;
      if (j >= other.elements.length || other.elements[j] !== element) continue;
      const both = this.subtrees[i].intersection(other.subtrees[j]);
      if (both.isEmpty()) continue;
      elements.push(element);
      subtrees.push(both);
    }
    const member = this.member && other.member;
    return member || elements.length > 0 ? FieldSet.node(member, elements, subtrees) : EMPTY;
  }

  /** The encoding, frozen and shared with every equal (sub)tree encoded recently (see fields-v1-pool.ts). */
  toFieldsV1(): FieldsV1 {
    if (this.encoding) return this.encoding;
    const children = this.subtrees.map((child) => child.toFieldsV1());
    // Unions and differences make fresh nodes, equal across objects (every launcher pod's status fields): each child
    // takes the set already kept for its encoding, so the managed fields of thousands of objects share one copy of
    // what they have in common, as their encodings do. Equal encodings are equal sets, and no set is changed once read.
    for (let i = 0; i < children.length; i++)
      this.subtrees[i] = children[i] === LEAF.encoding ? LEAF : (decodedSets.get(children[i]) ?? this.subtrees[i]);
    const encoding = pooledFieldsV1(this.member && this.elements.length > 0, this.elements, children);
    // The next version's decoding of this encoding finds this set (sets are not changed once read).
    if (!decodedSets.has(encoding) && this.elements.length > 0) decodedSets.set(encoding, this);
    return (this.encoding = encoding);
  }

  /** Where `element` is among the children, or `-(its place) - 1` when it is not there. */
  private indexOf(element: string): number {
    let high = this.elements.length - 1;
    // Objects are mostly walked in encoding order already: an element past the last is the common case.
    if (high < 0 || byRankThenName(this.elements[high], element) < 0) return -high - 2;
    let low = 0;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const order = byRankThenName(this.elements[middle], element);
      if (order < 0) low = middle + 1;
      else if (order > 0) high = middle - 1;
      else return middle;
    }
    return -low - 1;
  }

  private subtree(path: FieldPath): FieldSet | undefined {
    let node: FieldSet | undefined = this;
    for (const element of path) node = node?.child(element);
    return node;
  }

  private readFieldsV1(fields: unknown): void {
    if (typeof fields !== 'object' || fields === null) return;
    const entries = Object.entries(fields as Record<string, unknown>);
    if (entries.length === 0) {
      this.member = true;
      return;
    }
    const children: Array<[string, FieldSet]> = [];
    for (const [element, value] of entries) {
      if (element === SELF) {
        this.member = true;
      } else {
        const child = FieldSet.fromFieldsV1(value);
        if (!child.isEmpty()) children.push([element, child]);
      }
    }
    // A client's encoding may list its elements in any order.
    children.sort(([a], [b]) => byRankThenName(a, b));
    if (children.length > 0) {
      this.elements = children.map(([element]) => element);
      this.subtrees = children.map(([, child]) => child);
    }
  }
}

/** The sets pooled encodings decoded to, or were encoded from (see `fromFieldsV1`, `interned`). */
const decodedSets = new WeakMap<FieldsV1, FieldSet>();

const LEAF = FieldSet.of([[]]);
const EMPTY = new FieldSet();
// Encoded up front, which also seals them against `insert`.
LEAF.toFieldsV1();
EMPTY.toFieldsV1();

/** structured-merge-diff orders path elements fields first, then keys, values and indexes (by their first letter). */
function rank(element: string): number {
  switch (element.charCodeAt(0)) {
    case 102: // f
      return 0;
    case 107: // k
      return 1;
    case 118: // v
      return 2;
    case 105: // i
      return 3;
    default:
      return 4;
  }
}

export function byRankThenName(a: string, b: string): number {
  if (a === b) return 0;
  return rank(a) - rank(b) || (a < b ? -1 : 1);
}

/** A path as Kubernetes prints it in conflict messages: `.spec.containers[name="c"].image`. */
export function pathString(path: FieldPath): string {
  return path.map(elementString).join('');
}

function elementString(element: string): string {
  const body = element.slice(2);
  switch (element.slice(0, 2)) {
    case 'f:':
      return `.${body}`;
    case 'k:': {
      const keys = JSON.parse(body) as Record<string, unknown>;
      return `[${Object.entries(keys)
        .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
        .join(',')}]`;
    }
    case 'v:':
      return `[=${body}]`;
    default:
      return `[${body}]`;
  }
}
