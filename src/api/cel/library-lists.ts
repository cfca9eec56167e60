/**
 * Kubernetes' CEL list library (k8s.io/apiserver/pkg/cel/library/lists.go):
 * isSorted, sum, min, max, indexOf and lastIndexOf on lists of comparable
 * values. Errors are worded as kube's.
 */
import type { Environment } from '@marcbachmann/cel-js';
import { celCompare, celEquals } from './values.js';

function extremum(list: unknown[], pick: (order: number) => boolean, name: string): unknown {
  if (list.length === 0) throw new Error(`${name}(list) called on empty list`);
  return list.reduce((best, value) => (pick(celCompare(value, best)) ? value : best));
}

function sum(list: unknown[]): unknown {
  if (list.length === 0) return 0n;
  return list.reduce((total, value) => {
    if (typeof total === 'bigint' && typeof value === 'bigint') return total + value;
    return Number(total) + Number(value);
  });
}

const indexOf = (list: unknown[], value: unknown): bigint => BigInt(list.findIndex((item) => celEquals(item, value)));

function lastIndexOf(list: unknown[], value: unknown): bigint {
  for (let i = list.length - 1; i >= 0; i--) if (celEquals(list[i], value)) return BigInt(i);
  return -1n;
}

export function registerListLibrary(env: Environment): void {
  env
    .registerFunction('list.isSorted(): bool', (list: unknown[]) => list.every((v, i) => i === 0 || celCompare(list[i - 1], v) <= 0))
    .registerFunction('list.sum(): dyn', sum)
    .registerFunction('list.min(): dyn', (list: unknown[]) => extremum(list, (o) => o < 0, 'min'))
    .registerFunction('list.max(): dyn', (list: unknown[]) => extremum(list, (o) => o > 0, 'max'))
    .registerFunction('list.indexOf(dyn): int', indexOf)
    .registerFunction('list.lastIndexOf(dyn): int', lastIndexOf);
}
