/**
 * Condition lists as KubeVirt's condition managers keep them: one entry per
 * type; replacing a condition that says the same thing (status, reason,
 * message) keeps the old one, so an unchanged state writes nothing.
 */
import type { Condition } from './types.js';

export const findCondition = (conditions: readonly Condition[] | undefined, type: string): Condition | undefined =>
  conditions?.find((c) => c.type === type);

export const hasCondition = (conditions: readonly Condition[] | undefined, type: string, status: string, reason?: string): boolean => {
  const found = findCondition(conditions, type);
  return found !== undefined && found.status === status && (reason === undefined || found.reason === reason);
};

const sameMeaning = (a: Condition, b: Condition): boolean =>
  a.status === b.status && (a.reason ?? '') === (b.reason ?? '') && (a.message ?? '') === (b.message ?? '');

/** `conditions` with `condition` in place of the one of its type (appended when new). */
export function withCondition(conditions: readonly Condition[] | undefined, condition: Condition): Condition[] {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((c) => c.type === condition.type);
  if (index < 0) list.push(condition);
  else if (!sameMeaning(list[index], condition)) list[index] = condition;
  return list;
}

export const withoutCondition = (conditions: readonly Condition[] | undefined, type: string): Condition[] =>
  (conditions ?? []).filter((c) => c.type !== type);
