/**
 * An in-memory Client double for the runtime tests: a versioned store with
 * watch history, 410 on a compacted resourceVersion, and hooks to break or end
 * the open watches. Merge patch only; label selectors of the "k=v,k2=v2" form.
 */
import { Observable, type Subscriber } from 'rxjs';
import { alreadyExists, gone, notFound } from '../../../src/api/errors.js';
import type { KubeList, KubeObject, WatchEvent } from '../../../src/api/types.js';
import type { Client, KindRef, ListOptions, WatchOptions } from '../../../src/client/client.js';
import { deepFreeze } from '../../../src/runtime/deep-freeze.js';

interface Change {
  kind: string;
  rv: number;
  event: WatchEvent<KubeObject>;
}

interface OpenWatch {
  kind: string;
  options: WatchOptions;
  subscriber: Subscriber<WatchEvent<KubeObject>>;
}

const kindOf = (ref: KindRef): string => `${ref.apiVersion}/${ref.kind}`;
const keyOf = (namespace: string | undefined, name: string): string => `${namespace ?? ''}/${name}`;
const subject = (ref: KindRef, name?: string) => ({ group: '', resource: `${ref.kind.toLowerCase()}s`, name });

function matches(obj: KubeObject, options: ListOptions): boolean {
  if (options.namespace && obj.metadata.namespace !== options.namespace) return false;
  const wanted = (options.labelSelector ?? '')
    .split(',')
    .filter(Boolean)
    .map((term) => term.split('='));
  return wanted.every(([label, value]) => obj.metadata.labels?.[label] === value);
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const result: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [field, value] of Object.entries(patch)) {
    if (value === null) delete result[field];
    else result[field] = mergePatch(result[field], value);
  }
  return result;
}

export class FakeClient implements Client {
  readonly objects = new Map<string, Map<string, KubeObject>>();
  readonly history: Change[] = [];
  readonly watches = new Set<OpenWatch>();
  /** Calls made, for assertions: "list Pod", "watch Pod@12", "patch Event ns/name". */
  readonly calls: string[] = [];
  private revision = 0;
  private compactedRevision = 0;
  private uidCounter = 0;

  constructor(private readonly now: () => string = () => '2026-01-01T00:00:00Z') {}

  get resourceVersion(): string {
    return String(this.revision);
  }

  async get<T extends KubeObject = KubeObject>(ref: KindRef, namespace: string | undefined, name: string): Promise<T> {
    const obj = this.bucket(ref).get(keyOf(namespace, name));
    if (!obj) throw notFound(subject(ref, name));
    return obj as T;
  }

  async list<T extends KubeObject = KubeObject>(ref: KindRef, options: ListOptions = {}): Promise<KubeList<T>> {
    this.calls.push(`list ${ref.kind}`);
    const items = [...this.bucket(ref).values()].filter((obj) => matches(obj, options)) as T[];
    return { apiVersion: ref.apiVersion, kind: `${ref.kind}List`, metadata: { resourceVersion: this.resourceVersion }, items };
  }

  async create<T extends KubeObject = KubeObject>(obj: T): Promise<T> {
    const bucket = this.bucket(obj);
    const name = obj.metadata.name ?? `${obj.metadata.generateName ?? ''}${++this.uidCounter}`;
    const key = keyOf(obj.metadata.namespace, name);
    if (bucket.has(key)) throw alreadyExists(subject(obj, name));
    const metadata = { ...obj.metadata, name, uid: `uid-${++this.uidCounter}`, creationTimestamp: this.now() };
    return this.write({ ...obj, metadata }, 'ADDED') as T;
  }

  async update<T extends KubeObject = KubeObject>(obj: T): Promise<T> {
    const current = await this.get(obj, obj.metadata.namespace, obj.metadata.name ?? '');
    return this.write({ ...obj, metadata: { ...obj.metadata, uid: current.metadata.uid } }, 'MODIFIED') as T;
  }

  async patch<T extends KubeObject = KubeObject>(
    ref: KindRef,
    namespace: string | undefined,
    name: string,
    type: string,
    patch: unknown,
  ): Promise<T> {
    this.calls.push(`patch ${ref.kind} ${namespace ?? ''}/${name}`);
    if (type !== 'merge' && type !== 'strategic') throw new Error(`fake client: ${type} patch not supported`);
    const current = await this.get(ref, namespace, name);
    return this.write(mergePatch(current, patch) as KubeObject, 'MODIFIED') as T;
  }

  async delete<T extends KubeObject = KubeObject>(ref: KindRef, namespace: string | undefined, name: string): Promise<T> {
    const current = await this.get(ref, namespace, name);
    this.bucket(ref).delete(keyOf(namespace, name));
    return this.record(ref, { ...current, metadata: { ...current.metadata, resourceVersion: String(++this.revision) } }, 'DELETED') as T;
  }

  watch<T extends KubeObject = KubeObject>(ref: KindRef, options: WatchOptions = {}): Observable<WatchEvent<T>> {
    const kind = kindOf(ref);
    return new Observable<WatchEvent<KubeObject>>((subscriber) => {
      this.calls.push(`watch ${ref.kind}@${options.resourceVersion ?? ''}`);
      const from = Number(options.resourceVersion ?? this.revision);
      if (from < this.compactedRevision) {
        subscriber.error(gone(`too old resource version: ${from} (${this.compactedRevision})`));
        return;
      }
      for (const change of this.history) {
        if (change.kind === kind && change.rv > from && matches(change.event.object, options)) subscriber.next(change.event);
      }
      const open: OpenWatch = { kind, options, subscriber };
      this.watches.add(open);
      return () => this.watches.delete(open);
    }) as Observable<WatchEvent<T>>;
  }

  /** Forgets the history up to now, so that watches from an older resourceVersion get 410. */
  compact(): void {
    this.compactedRevision = this.revision;
    this.history.length = 0;
  }

  /** Fails every open watch with `err` (e.g. a 410 StatusError). */
  breakWatches(err: unknown): void {
    for (const open of [...this.watches]) open.subscriber.error(err);
  }

  /** Sends `event` as it is to the open watches of the kind, whatever it holds (a malformed object). */
  emit(ref: KindRef, event: WatchEvent<KubeObject>): void {
    for (const open of [...this.watches]) if (open.kind === kindOf(ref)) open.subscriber.next(event);
  }

  /** Ends every open watch normally, as a server-side timeout does. */
  completeWatches(): void {
    for (const open of [...this.watches]) open.subscriber.complete();
  }

  /** Changes the store without any watcher hearing about it (as if the events were lost). */
  silently(mutate: (objects: Map<string, KubeObject>) => void, ref: KindRef): void {
    mutate(this.bucket(ref));
    this.revision++;
  }

  private write(obj: KubeObject, type: 'ADDED' | 'MODIFIED'): KubeObject {
    const stored = deepFreeze({ ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.revision) } });
    this.bucket(obj).set(keyOf(stored.metadata.namespace, stored.metadata.name ?? ''), stored);
    return this.record(obj, stored, type);
  }

  private record(ref: KindRef, obj: KubeObject, type: WatchEvent['type']): KubeObject {
    const frozen = deepFreeze(obj);
    const change: Change = { kind: kindOf(ref), rv: this.revision, event: { type, object: frozen } };
    this.history.push(change);
    for (const open of this.watches) {
      if (open.kind === change.kind && matches(frozen, open.options)) open.subscriber.next(change.event);
    }
    return frozen;
  }

  private bucket(ref: KindRef): Map<string, KubeObject> {
    let bucket = this.objects.get(kindOf(ref));
    if (!bucket) this.objects.set(kindOf(ref), (bucket = new Map()));
    return bucket;
  }
}
