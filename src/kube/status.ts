/**
 * Writing a controller's status: through the status subresource, only when
 * it changed, and once more on a fresh copy when the cached object was stale
 * (as the apps controllers' updateStatus helpers retry on conflict).
 */
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../api/types.js';
import type { Client } from '../client/client.js';
import { isConflict, isNotFound } from './owners.js';

export async function writeStatus<T extends KubeObject>(client: Client, obj: T, status: unknown): Promise<T | undefined> {
  if (isDeepStrictEqual(obj.status, status)) return obj;
  try {
    return await client.update<T>({ ...obj, status }, { subresource: 'status' });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    if (!isConflict(err)) throw err;
  }
  const latest = await client.get<T>(obj, obj.metadata.namespace, obj.metadata.name ?? '');
  if (isDeepStrictEqual(latest.status, status)) return latest;
  return client.update<T>({ ...latest, status }, { subresource: 'status' });
}

/** The status with zero and undefined fields dropped (Go's omitempty), except those listed as always present. */
export function omitZero<T extends object>(status: T, keep: Array<keyof T> = []): T {
  const out = {} as T;
  for (const [field, value] of Object.entries(status) as Array<[keyof T, T[keyof T]]>) {
    if (value === undefined || (value === 0 && !keep.includes(field))) continue;
    out[field] = value;
  }
  return out;
}
