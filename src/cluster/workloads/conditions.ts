/**
 * Status conditions as the apps controllers keep them: setting a condition
 * with the same status keeps its lastTransitionTime, a new status moves it.
 */
import type { Condition } from './objects.js';

export const findCondition = (conditions: Condition[] | undefined, type: string): Condition | undefined =>
  conditions?.find((c) => c.type === type);

/** The conditions with `next` set in place of any of its type. */
export function setCondition(conditions: Condition[] | undefined, next: Condition): Condition[] {
  const list = conditions ?? [];
  const current = findCondition(list, next.type);
  const merged =
    current && current.status === next.status && current.lastTransitionTime
      ? { ...next, lastTransitionTime: current.lastTransitionTime }
      : next;
  return current ? list.map((c) => (c.type === next.type ? merged : c)) : [...list, merged];
}

export const removeCondition = (conditions: Condition[] | undefined, type: string): Condition[] =>
  (conditions ?? []).filter((c) => c.type !== type);
