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

/**
 * A set is built by `insert` (or decoded) and only read afterwards: the set
 * operations share unchanged subtrees with their operands and return an
 * operand itself when the result equals it. No node is ever empty (every
 * path ends at a member), so sets that print the same are the same trees.
 */
export class FieldSet {
  private member = false;
  private readonly children = new Map<string, FieldSet>();
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

  /** Adds a path; only while the set is being built. */
  insert(path: FieldPath): void {
    let node: FieldSet = this;
    node.encoding = undefined;
    for (const element of path) {
      let child = node.children.get(element);
      if (!child) node.children.set(element, (child = new FieldSet()));
      node = child;
      node.encoding = undefined;
    }
    node.member = true;
  }

  /** The subtree under one path element, if any path goes through it. */
  child(element: string): FieldSet | undefined {
    return this.children.get(element);
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
    return !this.member && this.children.size === 0;
  }

  /** Member paths, depth first in encoding order. */
  paths(): FieldPath[] {
    const result: FieldPath[] = [];
    const walk = (node: FieldSet, prefix: string[]) => {
      if (node.member) result.push(prefix);
      for (const element of sortedElements(node.children.keys())) walk(node.children.get(element) as FieldSet, [...prefix, element]);
    };
    walk(this, []);
    return result;
  }

  /** `this` itself when `other` adds nothing, so a writer that re-sets fields it owns keeps its set (and its encoding). */
  union(other: FieldSet): FieldSet {
    if (other.isEmpty()) return this;
    if (this.isEmpty()) return other;
    const grown: Array<[string, FieldSet]> = [];
    for (const [element, theirs] of other.children) {
      const mine = this.children.get(element);
      const both = mine ? mine.union(theirs) : theirs;
      if (both !== mine) grown.push([element, both]);
    }
    if (grown.length === 0 && (this.member || !other.member)) return this;
    const out = new FieldSet();
    out.member = this.member || other.member;
    for (const [element, child] of this.children) out.children.set(element, child);
    for (const [element, child] of grown) out.children.set(element, child);
    return out;
  }

  difference(other: FieldSet): FieldSet {
    if (this.isEmpty() || other.isEmpty()) return this;
    const out = new FieldSet();
    out.member = this.member && !other.member;
    let changed = out.member !== this.member;
    for (const [element, child] of this.children) {
      const theirs = other.children.get(element);
      const kept = theirs ? child.difference(theirs) : child;
      if (kept !== child) changed = true;
      if (!kept.isEmpty()) out.children.set(element, kept);
    }
    return changed ? out : this;
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    out.member = this.member && other.member;
    for (const [element, child] of this.children) {
      const theirs = other.children.get(element);
      if (!theirs) continue;
      const both = child.intersection(theirs);
      if (!both.isEmpty()) out.children.set(element, both);
    }
    return out;
  }

  /** The encoding, frozen and shared with every equal (sub)tree encoded recently (see fields-v1-pool.ts). */
  toFieldsV1(): FieldsV1 {
    if (this.encoding) return this.encoding;
    const elements: string[] = [];
    const children: FieldsV1[] = [];
    for (const element of sortedElements(this.children.keys())) {
      const child = this.children.get(element) as FieldSet;
      if (child.isEmpty()) continue;
      elements.push(element);
      children.push(child.toFieldsV1());
    }
    return (this.encoding = pooledFieldsV1(this.member && elements.length > 0, elements, children));
  }

  private subtree(path: FieldPath): FieldSet | undefined {
    let node: FieldSet | undefined = this;
    for (const element of path) node = node?.children.get(element);
    return node;
  }

  private readFieldsV1(fields: unknown): void {
    if (typeof fields !== 'object' || fields === null) return;
    const entries = Object.entries(fields as Record<string, unknown>);
    if (entries.length === 0) {
      this.member = true;
      return;
    }
    for (const [element, value] of entries) {
      if (element === SELF) {
        this.member = true;
      } else {
        const child = FieldSet.fromFieldsV1(value);
        if (!child.isEmpty()) this.children.set(element, child);
      }
    }
  }
}

/** The sets pooled encodings decoded to (see `fromFieldsV1`). */
const decodedSets = new WeakMap<FieldsV1, FieldSet>();

/** structured-merge-diff orders path elements fields first, then keys, values and indexes. */
const ELEMENT_RANK: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };

const rank = (element: string) => ELEMENT_RANK[element[0]] ?? 4;
const byRankThenName = (a: string, b: string) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);

function sortedElements(elements: Iterable<string>): string[] {
  const sorted = [...elements];
  // Most nodes have one child: nothing to sort.
  return sorted.length > 1 ? sorted.sort(byRankThenName) : sorted;
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
