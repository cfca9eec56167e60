/**
 * The garbage collector (pkg/controller/garbagecollector), driven by owner
 * references matched by uid:
 * - Background: a dependent whose owners are all gone is deleted.
 * - Foreground: an owner being deleted with the `foregroundDeletion`
 *   finalizer has its dependents deleted; once no dependent with
 *   blockOwnerDeletion is left, the finalizer goes and the owner with it.
 * - Orphan: an owner being deleted with the `orphan` finalizer has its
 *   references removed from its dependents, then loses the finalizer.
 * Its graph is the union of the informers of every kind it watches.
 */
import type { KubeObject, OwnerReference } from '../../api/types.js';
import type { Client, KindRef, PropagationPolicy } from '../../client/client.js';
import { Controller, type ReconcileResult } from '../../runtime/controller.js';
import { objectKey, type Informer } from '../../runtime/informer.js';
import type { ComponentContext } from '../../runtime/component-context.js';
import {
  CONFIG_MAP,
  CONTROLLER_REVISION,
  DAEMON_SET,
  DEPLOYMENT,
  ENDPOINT_SLICE,
  ENDPOINTS,
  JOB,
  POD,
  REPLICA_SET,
  SERVICE,
  SERVICE_ACCOUNT,
  STATEFUL_SET,
} from '../workloads/objects.js';
import { deleteIfPresent, isConflict, isNotFound, writeOwnerReferences } from '../../kube/owners.js';

export const FOREGROUND_FINALIZER = 'foregroundDeletion';
export const ORPHAN_FINALIZER = 'orphan';

/** Built-in kinds that own or are owned in a plain cluster; custom resources join as their CRDs are Established. */
export const DEFAULT_GC_KINDS: KindRef[] = [
  POD,
  REPLICA_SET,
  DEPLOYMENT,
  DAEMON_SET,
  STATEFUL_SET,
  CONTROLLER_REVISION,
  JOB,
  { apiVersion: 'batch/v1', kind: 'CronJob' },
  CONFIG_MAP,
  { apiVersion: 'v1', kind: 'Secret' },
  SERVICE,
  ENDPOINTS,
  ENDPOINT_SLICE,
  SERVICE_ACCOUNT,
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim' },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' },
  { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' },
];

const OWNER_UID_INDEX = 'garbage-collector/owner-uid';
const CRD: KindRef = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' };

/** The fields of a CRD the collector reads. */
interface CustomResourceDefinition extends KubeObject {
  spec: { group: string; names: { kind: string }; versions: Array<{ name: string; storage: boolean }> };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

/** A graph node's key: kind and place, so one queue serves every kind. */
const nodeKey = (ref: KindRef, namespace: string | undefined, name: string): string =>
  JSON.stringify([ref.apiVersion, ref.kind, namespace ?? '', name]);
const keyOf = (obj: KubeObject): string => nodeKey(obj, obj.metadata.namespace, obj.metadata.name ?? '');
const kindKey = (ref: KindRef): string => `${ref.apiVersion}/${ref.kind}`;

type OwnerState = 'solid' | 'dangling' | 'waiting';

export class GarbageCollector {
  readonly controller: Controller;
  private readonly informers = new Map<string, Informer>();

  constructor(
    private readonly ctx: ComponentContext,
    kinds: KindRef[],
  ) {
    this.controller = new Controller({
      name: 'garbage-collector',
      clock: ctx.clock,
      logger: ctx.logger,
      workers: 2,
      reconcile: (key) => this.sync(key),
    });
    for (const kind of kinds) this.watchKind(kind);
    // Custom resources join the graph once their CRD is Established, as the real collector's discovery-driven monitors do.
    ctx.informers.informerFor<CustomResourceDefinition>(CRD).addEventHandler({
      onAdd: (crd) => this.watchCustomResources(crd),
      onUpdate: (_, crd) => this.watchCustomResources(crd),
    });
  }

  private watchKind(kind: KindRef): void {
    if (this.informers.has(kindKey(kind))) return;
    const informer = this.ctx.informers.informerFor(kind);
    informer.addIndexer(OWNER_UID_INDEX, (obj) => (obj.metadata.ownerReferences ?? []).map((ref) => ref.uid));
    this.informers.set(kindKey(kind), informer);
    // A change concerns the object itself and its owners (a foreground owner waits on it); its dependents only
    // when it is going or gone, as the graph builder does: a status update of an owner with thousands of
    // dependents must not requeue them all.
    this.controller.watch(informer, (obj) => {
      const goingOrGone = obj.metadata.deletionTimestamp !== undefined || informer.get(objectKey(obj)) === undefined;
      return [keyOf(obj), ...(goingOrGone ? this.dependentsOf(obj).map(keyOf) : []), ...this.ownerKeysOf(obj)];
    });
  }

  /** The storage version of an Established CRD's kind: dependents are found under the version they are read back in. */
  private watchCustomResources(crd: CustomResourceDefinition): void {
    const established = crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    const storage = crd.spec.versions.find((v) => v.storage);
    if (!established || !storage) return;
    this.watchKind({ apiVersion: `${crd.spec.group}/${storage.name}`, kind: crd.spec.names.kind });
  }

  private dependentsOf(owner: KubeObject): KubeObject[] {
    const uid = owner.metadata.uid;
    if (!uid) return [];
    return [...this.informers.values()].flatMap((informer) => informer.byIndex(OWNER_UID_INDEX, uid));
  }

  private ownerKeysOf(obj: KubeObject): string[] {
    return (obj.metadata.ownerReferences ?? []).map((ref) => nodeKey(ref, obj.metadata.namespace, ref.name));
  }

  private async sync(key: string): Promise<ReconcileResult> {
    const [apiVersion, kind, namespace, name] = JSON.parse(key) as [string, string, string, string];
    const informer = this.informers.get(`${apiVersion}/${kind}`);
    const obj = informer?.getByName(namespace || undefined, name);
    if (!obj) return;
    if (obj.metadata.deletionTimestamp) {
      const finalizers = obj.metadata.finalizers ?? [];
      if (finalizers.includes(ORPHAN_FINALIZER)) await this.orphanDependents(obj);
      else if (finalizers.includes(FOREGROUND_FINALIZER)) await this.deleteDependents(obj);
      return;
    }
    if (obj.metadata.ownerReferences?.length) await this.collectIfOwnersGone(obj);
  }

  /** Orphan: every dependent forgets the owner, then the owner loses its `orphan` finalizer. */
  private async orphanDependents(owner: KubeObject): Promise<void> {
    for (const dependent of this.dependentsOf(owner)) {
      const latest = await this.latest(dependent);
      if (!latest) continue;
      await writeOwnerReferences(
        this.ctx.client,
        latest,
        (latest.metadata.ownerReferences ?? []).filter((ref) => ref.uid !== owner.metadata.uid),
      );
    }
    await this.removeFinalizer(owner, ORPHAN_FINALIZER);
  }

  /** Foreground: dependents are deleted (through their own reconcile); the owner goes once no blocking dependent is left. */
  private async deleteDependents(owner: KubeObject): Promise<void> {
    const dependents = this.dependentsOf(owner);
    for (const dependent of dependents) if (!dependent.metadata.deletionTimestamp) this.controller.enqueue(keyOf(dependent));
    const blocking = dependents.filter((d) =>
      d.metadata.ownerReferences?.some((ref) => ref.uid === owner.metadata.uid && ref.blockOwnerDeletion),
    );
    if (blocking.length === 0) await this.removeFinalizer(owner, FOREGROUND_FINALIZER);
  }

  /**
   * Background collection: with no solid owner left the dependent is deleted
   * (in the foreground when an owner waits for it and it has dependents of
   * its own, as Kubernetes does so the wait covers the whole subtree);
   * with a solid owner, references to owners that are gone or going are dropped.
   */
  private async collectIfOwnersGone(obj: KubeObject): Promise<void> {
    const refs = obj.metadata.ownerReferences ?? [];
    const states = await Promise.all(refs.map((ref) => this.ownerState(obj, ref)));
    const solid = states.filter((s) => s === 'solid').length;
    if (solid > 0) {
      if (solid === refs.length) return;
      const latest = await this.latest(obj);
      if (!latest) return;
      const gone = new Set(refs.filter((_, i) => states[i] !== 'solid').map((ref) => ref.uid));
      await writeOwnerReferences(
        this.ctx.client,
        latest,
        (latest.metadata.ownerReferences ?? []).filter((ref) => !gone.has(ref.uid)),
      );
      return;
    }
    const waited = states.includes('waiting') && this.dependentsOf(obj).length > 0;
    const policy: PropagationPolicy = waited ? 'Foreground' : 'Background';
    this.ctx.logger.info(
      `garbage-collector: deleting ${obj.kind} ${obj.metadata.namespace ?? ''}/${obj.metadata.name} (owners gone), propagation ${policy}`,
    );
    await deleteIfPresent(this.ctx.client, obj, { propagationPolicy: policy });
  }

  /** Solid: exists and is not waiting on its dependents; waiting: foreground deletion in progress; dangling: gone or replaced (uid differs). */
  private async ownerState(dependent: KubeObject, ref: OwnerReference): Promise<OwnerState> {
    // Owners of namespaced objects live in the same namespace, or are cluster-scoped (then the namespace is ignored).
    const namespace = dependent.metadata.namespace;
    let owner: KubeObject | undefined = this.informers.get(kindKey(ref))?.getByName(namespace, ref.name);
    // The cache may lag behind a just-created owner: absence is confirmed with the API before anything is deleted.
    if (owner?.metadata.uid !== ref.uid) owner = await this.lookup(ref, namespace);
    if (!owner || owner.metadata.uid !== ref.uid) return 'dangling';
    const waiting = owner.metadata.deletionTimestamp && owner.metadata.finalizers?.includes(FOREGROUND_FINALIZER);
    return waiting ? 'waiting' : 'solid';
  }

  private async lookup(ref: OwnerReference, namespace: string | undefined): Promise<KubeObject | undefined> {
    try {
      return await this.ctx.client.get({ apiVersion: ref.apiVersion, kind: ref.kind }, namespace, ref.name);
    } catch (err) {
      // A kind the server does not serve (a 404 without an object name) is not proof of absence: leave the dependent alone.
      if (isObjectNotFound(err)) return undefined;
      throw err;
    }
  }

  private async latest(obj: KubeObject): Promise<KubeObject | undefined> {
    try {
      const latest = await this.ctx.client.get(obj, obj.metadata.namespace, obj.metadata.name ?? '');
      return latest.metadata.uid === obj.metadata.uid ? latest : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async removeFinalizer(obj: KubeObject, finalizer: string): Promise<void> {
    const latest = await this.latest(obj);
    if (!latest?.metadata.finalizers?.includes(finalizer)) return;
    const finalizers = latest.metadata.finalizers.filter((f) => f !== finalizer);
    try {
      await updateMeta(this.ctx.client, latest, { finalizers: finalizers.length ? finalizers : undefined });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
      if (isConflict(err)) this.controller.enqueue(keyOf(obj));
    }
  }
}

const updateMeta = (client: Client, obj: KubeObject, changes: Partial<KubeObject['metadata']>): Promise<KubeObject> =>
  client.update({ ...obj, metadata: { ...obj.metadata, ...changes } });

function isObjectNotFound(err: unknown): boolean {
  return isNotFound(err) && typeof (err as { details?: { name?: unknown } }).details?.name === 'string';
}
