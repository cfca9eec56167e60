/**
 * The namespace controller (pkg/controller/namespace): once a Namespace is
 * Terminating and still carries the "kubernetes" finalizer, it deletes every
 * namespaced object in it, reports progress in the namespace's deletion
 * conditions, and, when nothing is left, removes its finalizer through the
 * finalize subresource, upon which the apiserver removes the namespace.
 */
import type { KubeObject } from '../../api/types.js';
import type { Client, KindRef } from '../../client/client.js';
import { rfc3339 } from '../../runtime/clock.js';
import { Controller, type ReconcileResult } from '../../runtime/controller.js';
import type { Informer } from '../../runtime/informer.js';
import { ExponentialBackoff } from '../../runtime/workqueue.js';
import type { ComponentContext } from '../../runtime/component-context.js';
import { findCondition } from '../workloads/conditions.js';
import { NAMESPACE, type Condition } from '../workloads/objects.js';
import { deleteIfPresent, isNotFound } from '../../kube/owners.js';

export const NAMESPACE_FINALIZER = 'kubernetes';

interface Namespace extends KubeObject {
  spec?: { finalizers?: string[] };
  status?: { phase?: string; conditions?: Condition[] };
}

/** What one pass over the namespace's content found. */
interface ContentReport {
  deleteErrors: string[];
  /** "pods." => 2: remaining objects by "<resource>.<group>". */
  remaining: Map<string, number>;
  /** Remaining objects by finalizer they carry. */
  finalizers: Map<string, number>;
}

/** The deletion conditions the controller owns, in the order Kubernetes writes them, with their "all is well" reason and message. */
const OK_CONDITIONS: Array<[type: string, reason: string, message: string]> = [
  ['NamespaceDeletionDiscoveryFailure', 'ResourcesDiscovered', 'All resources successfully discovered'],
  ['NamespaceDeletionGroupVersionParsingFailure', 'ParsedGroupVersions', 'All legacy kube types successfully parsed'],
  ['NamespaceDeletionContentFailure', 'ContentDeleted', 'All content successfully deleted, may be waiting on finalization'],
  ['NamespaceContentRemaining', 'ContentRemoved', 'All content successfully removed'],
  ['NamespaceFinalizersRemaining', 'ContentHasNoFinalizers', 'All content-preserving finalizers finished'],
];

/** A namespaced type to empty; the plural names it in the conditions' messages ("pods. has 2 resource instances"). */
export interface NamespacedKind extends KindRef {
  plural: string;
}

export interface NamespaceControllerOptions {
  /** Every namespaced kind served now, including CRD kinds, that supports list and delete. */
  namespacedKinds: () => NamespacedKind[];
}

export function namespaceController(ctx: ComponentContext, options: NamespaceControllerOptions): Controller {
  const namespaces = ctx.informers.informerFor<Namespace>(NAMESPACE);
  // Remaining content is polled with the namespace controller's back-off (5 ms doubling to 60 s), not on error paths.
  const recheck = new ExponentialBackoff(5, 60_000);
  const controller = new Controller({
    name: 'namespace-controller',
    clock: ctx.clock,
    logger: ctx.logger,
    reconcile: (name) => syncNamespace(ctx, namespaces, options, recheck, name),
  });
  return controller.watch(namespaces);
}

async function syncNamespace(
  ctx: ComponentContext,
  namespaces: Informer<Namespace>,
  options: NamespaceControllerOptions,
  recheck: ExponentialBackoff,
  name: string,
): Promise<ReconcileResult> {
  const ns = namespaces.get(name);
  if (!ns?.metadata.deletionTimestamp || !ns.spec?.finalizers?.includes(NAMESPACE_FINALIZER)) {
    recheck.forget(name);
    return;
  }
  // The real controller first runs discovery over every API group before it deletes anything: content
  // deletion starts that long after the namespace turned Terminating, and clients deleting objects of
  // the namespace in the meantime (`kubectl delete -f`) still find them.
  const waited = ctx.clock.nowMs() - Date.parse(ns.metadata.deletionTimestamp);
  if (waited < ctx.profile.namespaceDiscoveryMs) return { requeueAfterMs: ctx.profile.namespaceDiscoveryMs - waited };
  const kinds = options.namespacedKinds();
  const report = await deleteContent(ctx.client, name, kinds);
  await writeConditions(ctx, ns, report);
  if (report.remaining.size > 0 || report.deleteErrors.length > 0) return { requeueAfterMs: recheck.when(name) };
  recheck.forget(name);
  const latest = await ctx.client.get<Namespace>(NAMESPACE, undefined, name);
  const finalizers = (latest.spec?.finalizers ?? []).filter((f) => f !== NAMESPACE_FINALIZER);
  await ctx.client.update<Namespace>({ ...latest, spec: { ...latest.spec, finalizers } }, { subresource: 'finalize' });
}

/** Deletes what is not yet being deleted, then counts what is still there. */
async function deleteContent(client: Client, namespace: string, kinds: NamespacedKind[]): Promise<ContentReport> {
  const report: ContentReport = { deleteErrors: [], remaining: new Map(), finalizers: new Map() };
  for (const kind of kinds) {
    let items: KubeObject[];
    try {
      items = (await client.list(kind, { namespace })).items;
    } catch (err) {
      // A type that stopped being served (its CRD went away) has nothing left to delete.
      if (!isNotFound(err)) report.deleteErrors.push(`${kind.plural}: ${(err as Error).message}`);
      continue;
    }
    if (items.length === 0) continue;
    for (const item of items) {
      if (item.metadata.deletionTimestamp) continue;
      try {
        await deleteIfPresent(client, item, { propagationPolicy: 'Background' });
      } catch (err) {
        report.deleteErrors.push(`${kind.plural}: ${(err as Error).message}`);
        break;
      }
    }
    const left = (await client.list(kind, { namespace })).items;
    if (left.length === 0) continue;
    report.remaining.set(`${kind.plural}.${groupOf(kind.apiVersion)}`, left.length);
    for (const item of left) for (const f of item.metadata.finalizers ?? []) report.finalizers.set(f, (report.finalizers.get(f) ?? 0) + 1);
  }
  return report;
}

const groupOf = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '');

/** The failure conditions a pass calls for; a type not named here is written in its "ok" form. */
function failureConditions(report: ContentReport): Map<string, Pick<Condition, 'reason' | 'message'>> {
  const failures = new Map<string, Pick<Condition, 'reason' | 'message'>>();
  if (report.deleteErrors.length) {
    const messages = [...report.deleteErrors].sort();
    failures.set('NamespaceDeletionContentFailure', {
      reason: 'ContentDeletionFailed',
      message: `Failed to delete all resource types, ${messages.length} remaining: ${messages.join(', ')}`,
    });
  }
  if (report.remaining.size) {
    const parts = [...report.remaining].map(([resource, n]) => `${resource} has ${n} resource instances`).sort();
    failures.set('NamespaceContentRemaining', {
      reason: 'SomeResourcesRemain',
      message: `Some resources are remaining: ${parts.join(', ')}`,
    });
  }
  if (report.finalizers.size) {
    const parts = [...report.finalizers].map(([finalizer, n]) => `${finalizer} in ${n} resource instances`).sort();
    failures.set('NamespaceFinalizersRemaining', {
      reason: 'SomeFinalizersRemain',
      message: `Some content in the namespace has finalizers remaining: ${parts.join(', ')}`,
    });
  }
  return failures;
}

/** Writes the five deletion conditions when any of them changed; lastTransitionTime moves only with the status. */
async function writeConditions(ctx: ComponentContext, ns: Namespace, report: ContentReport): Promise<void> {
  const failures = failureConditions(report);
  const now = rfc3339(ctx.clock.now());
  let changed = false;
  const conditions = [...(ns.status?.conditions ?? [])];
  for (const [type, okReason, okMessage] of OK_CONDITIONS) {
    const failure = failures.get(type);
    const next: Condition = failure
      ? { type, status: 'True', lastTransitionTime: now, ...failure }
      : { type, status: 'False', lastTransitionTime: now, reason: okReason, message: okMessage };
    const old = findCondition(conditions, type);
    if (!old) {
      conditions.push(next);
      changed = true;
    } else if (old.status !== next.status || old.reason !== next.reason || old.message !== next.message) {
      conditions[conditions.indexOf(old)] = { ...next, lastTransitionTime: old.status === next.status ? old.lastTransitionTime : now };
      changed = true;
    }
  }
  if (!changed) return;
  try {
    await ctx.client.update<Namespace>({ ...ns, status: { ...ns.status, conditions } }, { subresource: 'status' });
  } catch (err) {
    // The namespace may have changed meanwhile; the next pass writes the conditions again.
    if (!isNotFound(err) && (err as { code?: unknown }).code !== 409) throw err;
  }
}
