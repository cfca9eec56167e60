/**
 * Lists and watches over the store, with label and field selectors, chunking
 * and resumable watches, as the apiserver serves them: continue tokens and
 * resourceVersion as kube-apiserver's etcd storage and watch cache read them.
 */
import type { Clock } from '../../runtime/clock.js';
import { objectKey, type Store, type StoreEvent, type StoreEventType } from '../../storage/store.js';
import { badRequest, gone, StatusError, tooLargeResourceVersion } from '../errors.js';
import { resourceFieldSelector } from '../selectors/field-selector.js';
import { labelSelectorMatcher } from '../selectors/label-selector.js';
import { apiVersionOf, type KubeObject, type ResourceType, type WatchEvent } from '../types.js';
import { toServedVersion } from '../conversion/index.js';
import { decodeContinue, encodeContinue, type ContinueToken } from './continue-token.js';

export interface ListQuery {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
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

/** resourceVersion as the apiserver's versioner parses it: "" and "0" mean any. */
function parseResourceVersion(resourceVersion: string | undefined): number {
  if (!resourceVersion) return 0;
  if (!/^\d+$/.test(resourceVersion)) throw badRequest(`invalid resource version: ${resourceVersion}`);
  return Number(resourceVersion);
}

/** kube-apiserver's answer to a continue token whose revision was compacted: 410 with a token that continues at the newest revision. */
class InconsistentContinueError extends StatusError {
  constructor(private readonly freshToken: string) {
    super(
      410,
      'Expired',
      'The provided continue parameter is too old to display a consistent list result. ' +
        'You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder ' +
        'of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, ' +
        'or deleted between the time the first chunk was returned and now may show up in the list.',
    );
  }

  override toStatus() {
    return { ...super.toStatus(), metadata: { continue: this.freshToken } };
  }
}

/**
 * Whether kube-apiserver serves this list from its watch cache, which waits
 * up to 3 s for a resourceVersion it has not reached, rather than from etcd,
 * which refuses it at once (the cacher's shouldDelegateList).
 */
export function servedFromWatchCache(query: ListQuery): boolean {
  const match = query.resourceVersionMatch ?? '';
  if (!query.resourceVersion || query.continue) return false;
  if (query.limit && query.limit > 0 && query.resourceVersion !== '0') return false;
  return match === '' || match === 'NotOlderThan';
}

/** The watch cache's wait for a resourceVersion it has not reached yet: 504 after 3 s, with a hint to retry in 1 s. */
export function untilFresh(store: Store, clock: Clock, resourceVersion: string | undefined): Promise<void> {
  const wanted = parseResourceVersion(resourceVersion);
  if (store.resourceVersion >= wanted) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const subscription = store.events.subscribe((event) => {
      if (event.resourceVersion < wanted) return;
      clock.clearTimeout(timer);
      subscription.unsubscribe();
      resolve();
    });
    const timer = clock.setTimeout(() => {
      subscription.unsubscribe();
      reject(tooLargeResourceVersion(wanted, store.resourceVersion, 1));
    }, watchCacheBlockMs);
  });
}

const watchCacheBlockMs = 3_000;

/** The revision a list reads at: the token's, an exact one asked for, or the newest. */
function listRevision(store: Store, query: ListQuery, token: ContinueToken | undefined): number {
  if (token) {
    if (query.resourceVersion && query.resourceVersion !== '0') {
      throw badRequest('specifying resource version is not allowed when using continue');
    }
    if (token.revision > store.resourceVersion) throw tooLargeResourceVersion(token.revision, store.resourceVersion);
    return token.revision > 0 ? token.revision : store.resourceVersion;
  }
  const requested = parseResourceVersion(query.resourceVersion);
  if (requested > store.resourceVersion) throw tooLargeResourceVersion(requested, store.resourceVersion);
  // etcd reads an exact revision for resourceVersionMatch=Exact, and for a limited list with a resourceVersion and no match (legacy).
  const exact = query.resourceVersionMatch === 'Exact' || (!query.resourceVersionMatch && requested > 0 && (query.limit ?? 0) > 0);
  return exact ? requested : store.resourceVersion;
}

export function listPage(store: Store, type: ResourceType, query: ListQuery): ListPage {
  const matches = selectorPredicate(type, query.labelSelector, query.fieldSelector);
  const token = query.continue ? decodeContinue(query.continue) : undefined;
  const revision = listRevision(store, query, token);
  const namespace = type.namespaced ? query.namespace : undefined;
  const view = store.listAt(type.storageKey, namespace, revision);
  if (!view) {
    if (token) throw new InconsistentContinueError(encodeContinue(withoutTrailingNul(token.startKey), -1));
    throw gone('The resourceVersion for the provided list is too old.');
  }
  const items: KubeObject[] = [];
  const limit = query.limit && query.limit > 0 ? query.limit : Infinity;
  let more = false;
  for (const obj of view.from(token?.startKey ?? '')) {
    if (!matches(obj)) continue;
    // The page is full, and another object matches: the client is told to continue.
    if (items.length === limit) {
      more = true;
      break;
    }
    items.push(toServedVersion(type, obj));
  }
  const page: ListPage = { items, resourceVersion: String(revision) };
  if (more) {
    const lastKey = keyInList(items[items.length - 1], namespace);
    page.continue = encodeContinue(lastKey, revision);
    // As etcd's storage counts it: the keys after the page, so only when no selector leaves some of them out.
    if (!query.labelSelector && !query.fieldSelector) page.remainingItemCount = view.countAfter(lastKey);
  }
  return page;
}

/** The key relative to the list's prefix, as kube's tokens carry it: the name within one namespace, "<namespace>/<name>" across all. */
const keyInList = (obj: KubeObject, namespace: string | undefined): string =>
  namespace === undefined ? objectKey(obj) : obj.metadata.name!;

/** A watch ready to start: the events it begins with, then every later one. */
export interface PreparedWatch {
  /** The synthetic ADDED per current object, or the history after the resourceVersion asked for. */
  initial(): WatchEvent[];
  /** Later events, as they are written; returns the unsubscribe. */
  subscribe(listener: (event: WatchEvent) => void): () => void;
}

/**
 * Watch events of one resource. Without a resourceVersion (or "0") the
 * stream starts with a synthetic ADDED per current object; with one, it
 * replays the history after it, or fails with 410 Gone when that is too old.
 * A resourceVersion the store has not reached yet is accepted, and the
 * stream starts once writes pass it, as the watch cache serves it.
 * An object that starts or stops matching the selectors is ADDED or DELETED,
 * as the apiserver's watch cache reports it.
 */
export function prepareWatch(store: Store, type: ResourceType, query: WatchQuery): PreparedWatch {
  const matches = selectorPredicate(type, query.labelSelector, query.fieldSelector);
  const rv = parseResourceVersion(query.resourceVersion);
  if (rv > 0 && !store.history.covers(type.storageKey, rv)) {
    throw gone(`too old resource version: ${rv} (${store.history.oldestResumable(type.storageKey)})`);
  }
  // Most objects are stored at the version served: known here once, not worked out again for each event.
  const servedApiVersion = apiVersionOf(type.group, type.version);
  const inScope = (e: StoreEvent) =>
    e.storageKey === type.storageKey && (!type.namespaced || !query.namespace || e.object.metadata.namespace === query.namespace);
  const translate = (e: StoreEvent): WatchEvent | undefined => {
    if (!inScope(e) || e.resourceVersion <= rv) return undefined;
    const now = matches(e.object);
    const before = e.previous ? matches(e.previous) : false;
    const seen =
      e.type === 'ADDED' ? (now ? 'ADDED' : undefined) : e.type === 'DELETED' ? (before ? 'DELETED' : undefined) : changeSeen(before, now);
    return seen && { type: seen, object: e.object.apiVersion === servedApiVersion ? e.object : toServedVersion(type, e.object) };
  };
  return {
    initial() {
      const events: WatchEvent[] = [];
      if (rv > 0) {
        for (const e of store.history.since(type.storageKey, rv)) {
          const event = translate(e);
          if (event) events.push(event);
        }
      } else {
        for (const obj of store.list(type.storageKey, type.namespaced ? query.namespace : undefined)) {
          if (matches(obj)) events.push({ type: 'ADDED', object: toServedVersion(type, obj) });
        }
      }
      return events;
    },
    subscribe(listener) {
      return store.onWrite(type.storageKey, (e) => {
        const event = translate(e);
        if (event) listener(event);
      });
    },
  };
}

/** What a watch with selectors sees of a change: it is ADDED when the object starts matching, DELETED when it stops. */
const changeSeen = (matchedBefore: boolean, matchesNow: boolean): StoreEventType | undefined =>
  matchedBefore ? (matchesNow ? 'MODIFIED' : 'DELETED') : matchesNow ? 'ADDED' : undefined;

/** A BOOKMARK event carrying only the kind and the current resourceVersion. */
export const bookmark = (type: ResourceType, resourceVersion: number): WatchEvent => ({
  type: 'BOOKMARK',
  object: { kind: type.kind, apiVersion: apiVersionOf(type.group, type.version), metadata: { resourceVersion: String(resourceVersion) } },
});

/** The key a continue token resumes after, without the NUL byte kube appends to step past it. */
const withoutTrailingNul = (key: string): string => (key.endsWith('\0') ? key.slice(0, -1) : key);
