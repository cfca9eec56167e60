/**
 * Kubernetes' CEL quantity library (k8s.io/apiserver/pkg/cel/library/quantity.go):
 * quantity(), isQuantity() and arithmetic and comparison on resource
 * quantities. Values are kept as a JavaScript number of base units, which is
 * exact for the sizes and counts resources use (below 2^53).
 */
import type { Environment } from '@marcbachmann/cel-js';
import { parseQuantity } from '../../kube/quantity.js';

export class Quantity {
  constructor(
    readonly value: number,
    readonly text: string,
  ) {}
  compareTo(other: Quantity): number {
    return Math.sign(this.value - other.value);
  }
}

function quantity(text: string): Quantity {
  try {
    return new Quantity(parseQuantity(text), text);
  } catch {
    throw new Error("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
  }
}

const isQuantity = (text: string): boolean => {
  try {
    parseQuantity(text);
    return true;
  } catch {
    return false;
  }
};

const plus = (a: Quantity, b: Quantity | bigint, sign: number): Quantity => {
  const value = a.value + sign * (typeof b === 'bigint' ? Number(b) : b.value);
  return new Quantity(value, String(value));
};

function asInteger(q: Quantity): bigint {
  if (!Number.isInteger(q.value) || !Number.isSafeInteger(q.value)) throw new Error('cannot convert value to integer');
  return BigInt(q.value);
}

export function registerQuantityLibrary(env: Environment): void {
  env
    .registerType('Quantity', Quantity)
    .registerFunction('quantity(string): Quantity', quantity)
    .registerFunction('isQuantity(string): bool', isQuantity)
    .registerFunction('Quantity.sign(): int', (q: Quantity) => BigInt(Math.sign(q.value)))
    .registerFunction('Quantity.isGreaterThan(Quantity): bool', (a: Quantity, b: Quantity) => a.value > b.value)
    .registerFunction('Quantity.isLessThan(Quantity): bool', (a: Quantity, b: Quantity) => a.value < b.value)
    .registerFunction('Quantity.compareTo(Quantity): int', (a: Quantity, b: Quantity) => BigInt(a.compareTo(b)))
    .registerFunction('Quantity.add(Quantity): Quantity', (a: Quantity, b: Quantity) => plus(a, b, 1))
    .registerFunction('Quantity.add(int): Quantity', (a: Quantity, b: bigint) => plus(a, b, 1))
    .registerFunction('Quantity.sub(Quantity): Quantity', (a: Quantity, b: Quantity) => plus(a, b, -1))
    .registerFunction('Quantity.sub(int): Quantity', (a: Quantity, b: bigint) => plus(a, b, -1))
    .registerFunction('Quantity.isInteger(): bool', (q: Quantity) => Number.isSafeInteger(q.value))
    .registerFunction('Quantity.asInteger(): int', asInteger)
    .registerFunction('Quantity.asApproximateFloat(): double', (q: Quantity) => q.value)
    .registerOperator('Quantity == Quantity', (a: Quantity, b: Quantity) => a.value === b.value);
}
