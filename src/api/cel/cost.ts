/**
 * CEL cost, approximated. cel-go estimates a rule's worst-case cost from the
 * schema's bounds (maxItems, maxLength, maxProperties, else what fits in a
 * 3 MiB request) and meters the actual cost while it runs; kube refuses a
 * rule whose estimate is over its limits when the CRD or policy is written
 * and stops evaluation past the runtime budget. @marcbachmann/cel-js has no
 * cost hooks, so this module applies a simplified version of cel-go's model
 * to the AST: one unit per node, list macros costing their body once per
 * element, string scans (contains, matches, startsWith, ...) a tenth of a
 * unit per character, and list or string equality and concatenation per
 * element. The same walk with the actual values' sizes in place of the
 * schema's gives the runtime cost, an upper bound of what the evaluation did.
 */
import type { ASTNode } from '@marcbachmann/cel-js';
import type { CrdSchemaNode } from '../crd/crd-types.js';
import { escapePropertyName } from './schema-types.js';

/** kube-apiserver's limits (k8s.io/apiserver/pkg/apis/cel/config.go). */
export const costLimits = {
  /** Per expression, at runtime. */
  perCall: 1_000_000,
  /** Per custom resource (or admission request), at runtime. */
  runtimeBudget: 10_000_000,
  /** Per rule, estimated, times how often it runs. */
  staticPerExpression: 10_000_000,
  /** For a whole CRD schema, estimated. */
  staticPerCrd: 100_000_000,
};

/** What fits in a request when the schema sets no bound (apiextensions' maxRequestSizeBytes). */
const MAX_REQUEST_BYTES = 3 * 1024 * 1024;

/** The smallest JSON an element of this schema takes, with its separator: how many fit in a request. */
function minSerializedSize(schema: CrdSchemaNode | undefined): number {
  switch (schema?.type) {
    case 'string':
    case 'object':
    case 'array':
      return 2;
    case 'boolean':
      return 4;
    default:
      return 1;
  }
}

/** The most elements (or characters, or entries) a value of `schema` can hold; 1 for scalars and fixed objects. */
export function maxSize(schema: CrdSchemaNode | undefined): number {
  if (!schema) return MAX_REQUEST_BYTES;
  if (schema.type === 'string') return typeof schema.maxLength === 'number' ? schema.maxLength : MAX_REQUEST_BYTES;
  if (schema.type === 'array')
    return typeof schema.maxItems === 'number' ? schema.maxItems : Math.floor(MAX_REQUEST_BYTES / (minSerializedSize(schema.items) + 1));
  if (schema.type !== 'object') return 1;
  if (typeof schema.maxProperties === 'number') return schema.maxProperties;
  if (schema.properties) return Object.keys(schema.properties).length;
  // A map entry is at least `"":` plus its value and a separator.
  const values = typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
  return Math.floor(MAX_REQUEST_BYTES / (minSerializedSize(values) + 4));
}

/** Functions that scan their receiver string (times the argument's size). */
const RECEIVER_SCANS = new Set([
  'contains',
  'matches',
  'find',
  'findAll',
  'indexOf',
  'lastIndexOf',
  'replace',
  'split',
  'lowerAscii',
  'upperAscii',
  'trim',
]);
/** Functions bounded by their argument: a prefix or suffix compare stops at the argument's end. */
const ARGUMENT_SCANS = new Set(['startsWith', 'endsWith']);
const MACROS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);

interface Estimate {
  cost: number;
  /** The schema of the expression's value, when it is a path into a known schema. */
  schema?: CrdSchemaNode;
}

type Scope = Map<string, CrdSchemaNode | undefined>;

const child = (schema: CrdSchemaNode | undefined, name: string): CrdSchemaNode | undefined => {
  if (!schema) return undefined;
  if (schema.properties) {
    const key = Object.keys(schema.properties).find((k) => escapePropertyName(k) === name);
    return key === undefined ? undefined : schema.properties[key];
  }
  return typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
};

const elementOf = (schema: CrdSchemaNode | undefined): CrdSchemaNode | undefined =>
  schema?.type === 'array' ? schema.items : typeof schema?.additionalProperties === 'object' ? { type: 'string' } : undefined;

/** A tenth of a unit per character or element, as cel-go's traversal cost factor. */
const scan = (schema: CrdSchemaNode | undefined): number =>
  schema?.type === 'string' || schema?.type === 'array' || (schema?.type === 'object' && !schema.properties)
    ? Math.ceil(0.1 * maxSize(schema))
    : 1;

function estimate(node: ASTNode, scope: Scope): Estimate {
  switch (node.op) {
    case 'value':
      return { cost: 0, schema: typeof node.args === 'string' ? { type: 'string', maxLength: node.args.length } : undefined };
    case 'id':
      return { cost: 1, schema: scope.get(node.args) };
    case '.':
    case '.?': {
      const target = estimate(node.args[0], scope);
      return { cost: target.cost + 1, schema: child(target.schema, node.args[1]) };
    }
    case '[]':
    case '[?]': {
      const [target, index] = [estimate(node.args[0], scope), estimate(node.args[1], scope)];
      return { cost: target.cost + index.cost + 1, schema: elementOf(target.schema) ?? child(target.schema, '') };
    }
    case 'rcall': {
      const [name, receiverNode, argNodes] = node.args;
      const receiver = estimate(receiverNode, scope);
      if (MACROS.has(name) && argNodes.length >= 2 && argNodes[0].op === 'id') {
        const inner = new Map(scope).set(argNodes[0].args as string, elementOf(receiver.schema));
        const body = argNodes.slice(1).reduce((sum, arg) => sum + estimate(arg, inner).cost, 0);
        return { cost: receiver.cost + 1 + maxSize(receiver.schema) * (body + 1), schema: name === 'filter' ? receiver.schema : undefined };
      }
      const args = argNodes.map((a) => estimate(a, scope));
      const argsCost = args.reduce((sum, a) => sum + a.cost, 0);
      const argScan = Math.max(1, ...args.map((a) => scan(a.schema)));
      const work = RECEIVER_SCANS.has(name) ? scan(receiver.schema) * argScan : ARGUMENT_SCANS.has(name) ? argScan : 1;
      return { cost: receiver.cost + argsCost + work };
    }
    case 'call': {
      const [, argNodes] = node.args;
      return { cost: 1 + argNodes.reduce((sum, a) => sum + estimate(a, scope).cost, 0) };
    }
    case 'list':
      return { cost: 10 + node.args.reduce((sum, a) => sum + estimate(a, scope).cost, 0) };
    case 'map':
      return { cost: 30 + node.args.reduce((sum, [k, v]) => sum + estimate(k, scope).cost + estimate(v, scope).cost, 0) };
    case '?:': {
      const [c, a, b] = node.args.map((n) => estimate(n, scope));
      return { cost: c.cost + Math.max(a.cost, b.cost) };
    }
    case '!_':
    case '-_':
      return { cost: estimate(node.args, scope).cost + 1 };
    case 'in': {
      // cel-go's InList: O(n) in the list's size, whatever the element (a literal list's size is its length).
      const [a, b] = (node.args as [ASTNode, ASTNode]).map((n) => estimate(n, scope));
      const list = (node.args as [ASTNode, ASTNode])[1];
      const size = list.op === 'list' ? (list.args as ASTNode[]).length : b.schema ? maxSize(b.schema) : 1;
      return { cost: a.cost + b.cost + Math.max(size, 1) };
    }
    case '==':
    case '!=': {
      // Equality traverses the smaller of the two sides (a literal's length bounds it).
      const [a, b] = (node.args as [ASTNode, ASTNode]).map((n) => estimate(n, scope));
      const sized = a.schema && b.schema ? Math.min(scan(a.schema), scan(b.schema)) : Math.max(scan(a.schema), scan(b.schema));
      return { cost: a.cost + b.cost + Math.max(sized, 1) };
    }
    default: {
      const [a, b] = (node.args as [ASTNode, ASTNode]).map((n) => estimate(n, scope));
      const sized = node.op === '+' ? Math.max(scan(a.schema), scan(b.schema), 1) : 1;
      return { cost: a.cost + b.cost + (a.schema || b.schema ? sized : 1) };
    }
  }
}

/** The estimated worst-case cost of an expression whose variables have the given schemas. */
export function estimateCost(ast: ASTNode, variables: Record<string, CrdSchemaNode | undefined>): number {
  return estimate(ast, new Map(Object.entries(variables))).cost;
}

/** How many times a rule on the node at the end of `path` runs per object: the product of the enclosing lists' and maps' sizes. */
export function cardinality(ancestors: CrdSchemaNode[]): number {
  return ancestors.reduce((n, s) => (s.type === 'array' || (s.type === 'object' && !s.properties) ? n * maxSize(s) : n), 1);
}

/** "2.5x" or "more than 100x", as kube words how far over a limit an estimate is. */
export function costFactor(cost: number, limit: number): string {
  return cost > limit * 100 ? 'more than 100x' : `${(cost / limit).toFixed(1)}x`;
}

/** Bounds of an actual value as a schema, so the estimator prices what is there instead of what could be. */
export function boundsOf(value: unknown): CrdSchemaNode | undefined {
  if (typeof value === 'string') return { type: 'string', maxLength: value.length };
  if (Array.isArray(value)) {
    return {
      type: 'array',
      maxItems: value.length,
      items: value.reduce<CrdSchemaNode | undefined>((b, v) => widest(b, boundsOf(v)), undefined),
    };
  }
  if (typeof value === 'object' && value !== null) {
    const properties: Record<string, CrdSchemaNode> = {};
    for (const [k, v] of Object.entries(value)) properties[k] = boundsOf(v) ?? {};
    return { type: 'object', properties, maxProperties: Object.keys(properties).length };
  }
  return undefined;
}

function widest(a: CrdSchemaNode | undefined, b: CrdSchemaNode | undefined): CrdSchemaNode | undefined {
  if (!a || !b) return a ?? b;
  return {
    ...a,
    ...b,
    maxLength: Math.max((a.maxLength as number) ?? 0, (b.maxLength as number) ?? 0),
    maxItems: Math.max((a.maxItems as number) ?? 0, (b.maxItems as number) ?? 0),
  };
}
