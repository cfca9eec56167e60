/**
 * Lists and watches over the store, with label and field selectors, chunking
 * and resumable watches, as the apiserver serves them.
 */
import { Observable } from 'rxjs';
import type { Store, StoreEvent } from '../../storage/store.js';
import { badRequest, gone } from '../errors.js';
import { resourceFieldSelector } from '../selectors/field-selector.js';
import { labelSelectorMatcher } from '../selectors/label-selector.js';
import { apiVersionOf, type KubeObject, type ResourceType, type WatchEvent } from '../types.js';

export interface ListQuery {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export interface ListPage {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface WatchQuery extends ListQuery {
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
}

type Predicate = (obj: KubeObject) => boolean;

/** One predicate for both selectors; invalid selectors fail with 400 before anything is read. */
export function selectorPredicate(type: ResourceType, labelSelector?: string, fieldSelector?: string): Predicate {
  const labels = labelSelector ? labelSelectorMatcher(labelSelector) : undefined;
  const fields = fieldSelector ? resourceFieldSelector(fieldSelector, type) : undefined;
  return (obj) => (!labels || labels(obj.metadata.labels)) && (!fields || fields(obj));
}

interface ContinueToken {
  rv: number;
  /** Key ("namespace/name") of the last item returned. */
  after: string;
}

const keyOf = (obj: KubeObject) => `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;

function decodeContinue(token: string): ContinueToken {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as ContinueToken;
    if (typeof parsed.rv === 'number' && typeof parsed.after === 'string') return parsed;
  } catch {
    // fall through to the error below
  }
  throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}

const encodeContinue = (token: ContinueToken) => Buffer.from(JSON.stringify(token)).toString('base64url');

export function listPage(store: Store, type: ResourceType, query: ListQuery): ListPage {
  const matches = selectorPredicate(type, query.labelSelector, query.fieldSelector);
  const token = query.continue ? decodeContinue(query.continue) : undefined;
  const all = store.list(type.storageKey, type.namespaced ? query.namespace : undefined);
  const resourceVersion = String(token?.rv ?? store.resourceVersion);
  const items: KubeObject[] = [];
  const limit = query.limit && query.limit > 0 ? query.limit : Infinity;
  let index = 0;
  if (token) while (index < all.length && keyOf(all[index]) <= token.after) index++;
  for (; index < all.length && items.length < limit; index++) {
    if (matches(all[index])) items.push(withVersion(type, all[index]));
  }
  let remaining = 0;
  for (let i = index; i < all.length; i++) if (matches(all[i])) remaining++;
  const page: ListPage = { items, resourceVersion };
  if (remaining > 0 && items.length > 0) {
    page.continue = encodeContinue({ rv: Number(resourceVersion), after: keyOf(items[items.length - 1]) });
    page.remainingItemCount = remaining;
  }
  return page;
}

export function withVersion(type: ResourceType, obj: KubeObject): KubeObject {
  const apiVersion = apiVersionOf(type.group, type.version);
  return obj.apiVersion === apiVersion ? obj : { ...obj, apiVersion };
}

/**
 * Watch events of one resource. Without a resourceVersion (or "0") the
 * stream starts with a synthetic ADDED per current object; with one, it
 * replays the history after it, or fails with 410 Gone when that is too old.
 * An object that starts or stops matching the selectors is ADDED or DELETED,
 * as the apiserver's watch cache reports it.
 */
export function watchResource(store: Store, type: ResourceType, query: WatchQuery): Observable<WatchEvent> {
  const matches = selectorPredicate(type, query.labelSelector, query.fieldSelector);
  const rv = query.resourceVersion ? Number(query.resourceVersion) : 0;
  if (query.resourceVersion && !Number.isFinite(rv)) throw badRequest(`invalid resource version: ${query.resourceVersion}`);
  if (rv > 0 && !store.history.covers(rv)) {
    throw gone(`too old resource version: ${rv} (${store.history.oldestResumable + 1})`);
  }
  const inScope = (e: StoreEvent) => e.storageKey === type.storageKey && (!type.namespaced || !query.namespace || e.object.metadata.namespace === query.namespace);

  return new Observable<WatchEvent>((subscriber) => {
    const translate = (e: StoreEvent): WatchEvent | undefined => {
      if (!inScope(e)) return undefined;
      const now = matches(e.object);
      const before = e.previous ? matches(e.previous) : false;
      const object = withVersion(type, e.object);
      if (e.type === 'ADDED') return now ? { type: 'ADDED', object } : undefined;
      if (e.type === 'DELETED') return before ? { type: 'DELETED', object } : undefined;
      if (now && before) return { type: 'MODIFIED', object };
      if (now) return { type: 'ADDED', object };
      if (before) return { type: 'DELETED', object };
      return undefined;
    };
    // Replay and subscribe in one synchronous step, so no write falls between them.
    if (rv > 0) {
      for (const e of store.history.since(rv)) {
        const event = translate(e);
        if (event) subscriber.next(event);
      }
    } else {
      for (const obj of store.list(type.storageKey, type.namespaced ? query.namespace : undefined)) {
        if (matches(obj)) subscriber.next({ type: 'ADDED', object: withVersion(type, obj) });
      }
    }
    const subscription = store.events.subscribe((e) => {
      const event = translate(e);
      if (event) subscriber.next(event);
    });
    return () => subscription.unsubscribe();
  });
}

/** A BOOKMARK event carrying only the kind and the current resourceVersion. */
export const bookmark = (type: ResourceType, resourceVersion: number): WatchEvent => ({
  type: 'BOOKMARK',
  object: { kind: type.kind, apiVersion: apiVersionOf(type.group, type.version), metadata: { resourceVersion: String(resourceVersion) } },
});
