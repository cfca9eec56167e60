/** Whether two JSON values are equal whatever the order of their keys (objects from the server and recomputed ones may differ in order only). */
import { canonicalJson } from '../../api/builtins/json.js';

export const sameJson = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b);
