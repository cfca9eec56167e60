/**
 * JSON Patch as kube-apiserver 1.32 applies application/json-patch+json: gopkg.in/evanphx/json-patch.v4 (v4.12.0)
 * with its defaults (negative array indices allowed), which differs from RFC 6902 where clients notice it:
 * `replace` (and `test` against null) of a missing key of an object succeeds, a path without a leading "/" names a
 * key of the document itself, an operation without a value adds null, and a `move` removes before it adds.
 * A body that is not a list of operation objects is a 400 (it fails to decode), more than 10000 operations a 413,
 * and any operation that fails to apply the generic 422 (handlers/patch.go wraps evanphx's error with
 * NewGenericServerResponse, which keeps none of it).
 */
import { badRequest, tooLarge } from '../errors.js';
import { patchNotApplicable } from './errors.js';
import { deepClone, goJsonTypeName, isJsonObject, type JsonObject, type JsonValue } from './json.js';

/** The apiserver's maxJSONPatchOperations. */
const MAX_OPERATIONS = 10000;

type Container = JsonObject | JsonValue[];
export type Operation = Record<string, JsonValue | undefined>;

/** An evanphx error: its message names what failed, though the apiserver answers the same generic 422 for all. */
export class JsonPatchError extends Error {}

/** A body jsonpatch.DecodePatch refuses, with Go's json error. */
export class JsonPatchDecodeError extends Error {}

/** The patch handler: the engine below, with kube-apiserver's answers for a patch it refuses. */
export function applyJsonPatch(original: JsonObject, patch: unknown): JsonObject {
  let operations: Operation[];
  try {
    operations = decodeJsonPatch(patch);
  } catch (err) {
    throw err instanceof JsonPatchDecodeError ? badRequest(err.message) : err;
  }
  if (operations.length > MAX_OPERATIONS) {
    throw tooLarge(`The allowed maximum operations in a JSON patch is ${MAX_OPERATIONS}, got ${operations.length}`);
  }
  try {
    return applyDecodedJsonPatch(original, operations);
  } catch (err) {
    throw err instanceof JsonPatchError ? patchNotApplicable() : err;
  }
}

/**
 * evanphx's Patch.Apply on decoded operations, as admission applies a mutating webhook's patch too: a patch that
 * does not apply throws a JsonPatchError with evanphx's message. Patched in place, but only on copies: each container
 * an operation changes is copied first (with the containers above it), so frozen inputs are safe and the result keeps
 * every part the patch does not touch as the original's own (a stored object's frozen subtrees stay shared).
 */
export function applyDecodedJsonPatch(original: JsonObject, operations: readonly Operation[]): JsonObject {
  const doc = new PatchedDocument(original);
  for (const op of operations) applyOperation(doc, op);
  if (!isJsonObject(doc.root)) return fail('the patched document is not an object');
  return doc.root;
}

/** The document being patched: its root, and which of its containers are this patch's own copies. */
class PatchedDocument {
  private readonly copies = new WeakSet<Container>();

  constructor(public root: Container) {}

  /** `container` if it is one of this patch's copies, else a new shallow copy that is. */
  private owned(container: Container): Container {
    if (this.copies.has(container)) return container;
    // A spread defines "__proto__" as an own member, as setMember does.
    const copy: Container = Array.isArray(container) ? container.slice() : { ...container };
    this.copies.add(copy);
    return copy;
  }

  /** evanphx's findObject for an operation that changes the container: the containers on the path become own copies. */
  writable(path: string): [Container, string] {
    const parts = splitPath(path);
    this.root = this.owned(this.root);
    let container = this.root;
    for (let i = 1; i < parts.length - 1; i++) {
      const key = decodeKey(parts[i]);
      const next = get(container, key, true);
      if (typeof next !== 'object' || next === null) return fail(`doc is missing path: "${path}"`);
      const copy = this.owned(next as Container);
      if (copy !== next) {
        if (Array.isArray(container)) container[resolvedIndex(container, key)] = copy;
        else setMember(container, key, copy);
      }
      container = copy;
    }
    return [container, decodeKey(parts[parts.length - 1])];
  }
}

/** Mirrors how Go decodes the body into jsonpatch.Patch ([]map[string]*json.RawMessage). */
export function decodeJsonPatch(patch: unknown): Operation[] {
  if (patch === null) return [];
  if (!Array.isArray(patch)) {
    throw new JsonPatchDecodeError(`json: cannot unmarshal ${goJsonTypeName(patch)} into Go value of type jsonpatch.Patch`);
  }
  const wrongElement = patch.find((op) => !isJsonObject(op) && op !== null);
  if (wrongElement !== undefined) {
    throw new JsonPatchDecodeError(`json: cannot unmarshal ${goJsonTypeName(wrongElement)} into Go value of type jsonpatch.Operation`);
  }
  return patch.filter(isJsonObject) as Operation[];
}

const fail = (message: string): never => {
  throw new JsonPatchError(message);
};

/** Operation.Path / From: a string member, else the operation fails. */
function pathOf(op: Operation, member: 'path' | 'from'): string {
  const value = op[member];
  if (typeof value !== 'string') return fail(`operation missing ${member} field`);
  return value;
}

/** The operation's value; a missing one is Go's nil node, which is written as null. */
const operationValue = (op: Operation): JsonValue => (op.value === undefined ? null : deepClone(op.value));

function applyOperation(doc: PatchedDocument, op: Operation): void {
  switch (op.op) {
    case 'add': {
      const [container, key] = doc.writable(pathOf(op, 'path'));
      add(container, key, operationValue(op));
      return;
    }
    case 'remove': {
      const [container, key] = doc.writable(pathOf(op, 'path'));
      remove(container, key);
      return;
    }
    case 'replace':
      replace(doc, op);
      return;
    case 'move': {
      const [from, fromKey] = doc.writable(pathOf(op, 'from'));
      const value = get(from, fromKey);
      remove(from, fromKey);
      const [to, toKey] = doc.writable(pathOf(op, 'path'));
      add(to, toKey, value ?? null);
      return;
    }
    case 'copy': {
      const [from, fromKey] = findContainer(doc.root, pathOf(op, 'from'));
      const value = get(from, fromKey);
      const [to, toKey] = doc.writable(pathOf(op, 'path'));
      // A copy of its own, so a later operation on one of the two places never shows in the other.
      add(to, toKey, deepClone(value ?? null));
      return;
    }
    case 'test':
      test(doc.root, op);
      return;
    default:
      fail(`Unexpected kind: ${String(op.op)}`);
  }
}

function replace(doc: PatchedDocument, op: Operation): void {
  const path = pathOf(op, 'path');
  if (path === '') {
    const value = operationValue(op);
    if (typeof value !== 'object' || value === null) fail('replace operation value must be object or array');
    doc.root = value as Container;
    return;
  }
  const [container, key] = doc.writable(path);
  // An object's get never fails, so replacing a missing key adds it; an array's fails out of range.
  if (Array.isArray(container)) {
    get(container, key);
    container[arrayIndex(key, container.length)] = operationValue(op);
  } else {
    setMember(container, key, operationValue(op));
  }
}

function test(doc: Container, op: Operation): void {
  const path = pathOf(op, 'path');
  const actual = path === '' ? doc : get(...findContainer(doc, path));
  const expected = op.value;
  if ((actual === undefined || actual === null) && expected === null) return;
  if (actual === undefined || actual === null || expected === undefined || !sameJson(actual, expected)) {
    fail(`testing value ${path} failed`);
  }
}

/** The path split at "/"; evanphx skips the first part (before the first "/") and fails a path without one. */
function splitPath(path: string): string[] {
  const parts = path.split('/');
  if (parts.length < 2) return fail(`doc is missing path: "${path}"`);
  return parts;
}

/** evanphx's findObject: every part but the last must exist and be an object or array; the last is the key. */
function findContainer(doc: Container, path: string): [Container, string] {
  const parts = splitPath(path);
  let container: Container = doc;
  for (const part of parts.slice(1, -1)) {
    const next = get(container, decodeKey(part), true);
    if (typeof next !== 'object' || next === null) return fail(`doc is missing path: "${path}"`);
    container = next as Container;
  }
  return [container, decodeKey(parts[parts.length - 1])];
}

const decodeKey = (key: string): string => key.replace(/~[01]/g, (sequence) => (sequence === '~1' ? '/' : '~'));

function get(container: Container, key: string, lookingForPath = false): JsonValue | undefined {
  if (!Array.isArray(container)) return Object.hasOwn(container, key) ? container[key] : undefined;
  const index = lookingForPath ? parseIndex(key) : arrayIndex(key, container.length);
  if (index === undefined) return undefined;
  const resolved = fromEnd(container, index);
  if (resolved < 0 || resolved >= container.length) return lookingForPath ? undefined : fail(`Unable to access invalid index: ${index}`);
  return container[resolved];
}

/** A negative index counts from the end (evanphx); others are as they are. */
const fromEnd = (list: JsonValue[], index: number): number => (index < 0 && index >= -list.length ? index + list.length : index);

/** Where `get(list, key, true)` found an item. */
const resolvedIndex = (list: JsonValue[], key: string): number => fromEnd(list, parseIndex(key)!);

function add(container: Container, key: string, value: JsonValue): void {
  if (!Array.isArray(container)) {
    setMember(container, key, value);
    return;
  }
  if (key === '-') {
    container.push(value);
    return;
  }
  container.splice(arrayIndex(key, container.length + 1), 0, value);
}

/** An own member even for "__proto__", which plain assignment would take as the prototype. */
function setMember(object: JsonObject, key: string, value: JsonValue): void {
  Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
}

function remove(container: Container, key: string): void {
  if (!Array.isArray(container)) {
    if (!Object.hasOwn(container, key)) fail(`Unable to remove nonexistent key: ${key}`);
    delete container[key];
    return;
  }
  container.splice(arrayIndex(key, container.length), 1);
}

/** strconv.Atoi of an array key; evanphx allows negative indices counted from the end. */
function parseIndex(key: string): number | undefined {
  return /^[+-]?\d+$/.test(key) ? Number(key) : undefined;
}

/** A valid position below `size` (the array's length, or one more where add may append), negative from the end. */
function arrayIndex(key: string, size: number): number {
  const index = parseIndex(key);
  if (index === undefined) return fail(`value was not a proper array index: '${key}'`);
  if (index >= size || index < -size) return fail(`Unable to access invalid index: ${index}`);
  return index < 0 ? index + size : index;
}

/** lazyNode.equal: objects and arrays member by member, scalars by their JSON text. */
function sameJson(a: JsonValue, b: JsonValue): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
  }
  if (isJsonObject(a) || isJsonObject(b)) {
    if (!isJsonObject(a) || !isJsonObject(b)) return false;
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && sameJson(a[k], b[k]));
  }
  return JSON.stringify(a) === JSON.stringify(b);
}
