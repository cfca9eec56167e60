/**
 * CDI's import and clone controllers seen from the claim (pkg/controller/import-controller.go,
 * CDI v1.64.0): once a claim the DataVolume controller annotated for an import
 * (`storage.import.source`) or a clone (`k8s.io/CloneRequest`) is bound, the
 * importer pod is scheduled, runs, and completes, and each step is written onto
 * the claim as the real controller writes it from the pod: `storage.pod.phase`
 * Pending → Running → Succeeded, and the running condition ("Pod is running", then
 * "Import Complete"/"Clone Complete" with reason Completed). No importer pod is
 * created: the steps follow the profile's pod start and transfer times, and the
 * transfer's progress is kept here for the DataVolume controller (which scrapes it
 * from the pod's metrics in CDI).
 */
import type { PersistentVolumeClaim } from '../kube/volumes.js';
import type { ComponentContext } from '../runtime/component-context.js';
import { Controller, type ReconcileResult } from '../runtime/controller.js';
import type { Informer } from '../runtime/informer.js';
import {
  ANN_CLONE_REQUEST,
  ANN_IMPORT_POD,
  ANN_POD_PHASE,
  ANN_POD_RESTARTS,
  ANN_RUNNING_CONDITION,
  ANN_RUNNING_MESSAGE,
  ANN_RUNNING_REASON,
  ANN_SOURCE,
} from './types.js';

/** Transfers in progress by claim uid: when the pod started running and how long the transfer takes. */
export class TransferProgress {
  private readonly running = new Map<string, { sinceMs: number; durationMs: number }>();

  started(uid: string, sinceMs: number, durationMs: number): void {
    this.running.set(uid, { sinceMs, durationMs });
  }

  finished(uid: string): void {
    this.running.delete(uid);
  }

  /** How long the transfer still takes (0 when unknown: a transfer begun before a restart ends at once). */
  remainingMs(uid: string, nowMs: number): number {
    const transfer = this.running.get(uid);
    return transfer ? Math.max(0, transfer.sinceMs + transfer.durationMs - nowMs) : 0;
  }

  /** The percentage done, as CDI's DataVolume status shows it ("42.50%"); undefined when unknown. */
  percent(uid: string, nowMs: number): string | undefined {
    const transfer = this.running.get(uid);
    if (!transfer) return undefined;
    const done = transfer.durationMs <= 0 ? 1 : Math.min(1, (nowMs - transfer.sinceMs) / transfer.durationMs);
    return `${(done * 100).toFixed(2)}%`;
  }
}

const isImport = (pvc: PersistentVolumeClaim): boolean => pvc.metadata.annotations?.[ANN_SOURCE] !== undefined;
const isClone = (pvc: PersistentVolumeClaim): boolean => pvc.metadata.annotations?.[ANN_CLONE_REQUEST] !== undefined;
/** cc.IsBound: the claim's phase, not its volumeName (the PV controller writes the latter first). */
const isBound = (pvc: PersistentVolumeClaim): boolean => pvc.status?.phase === 'Bound';

export function importSimulator(ctx: ComponentContext, claims: Informer<PersistentVolumeClaim>, progress: TransferProgress): Controller {
  /** When each claim's current pod phase began, in clock time (lost on restart: the step then starts again from now). */
  const phaseSince = new Map<string, number>();

  async function annotate(pvc: PersistentVolumeClaim, annotations: Record<string, string>): Promise<void> {
    phaseSince.set(pvc.metadata.uid ?? '', ctx.clock.nowMs());
    await ctx.client.patch(pvc, pvc.metadata.namespace, pvc.metadata.name ?? '', 'merge', { metadata: { annotations } });
  }

  async function reconcile(key: string): Promise<ReconcileResult> {
    const pvc = claims.get(key);
    if (!pvc || pvc.metadata.deletionTimestamp || !(isImport(pvc) || isClone(pvc)) || !isBound(pvc)) return;
    const uid = pvc.metadata.uid ?? '';
    const annotations = pvc.metadata.annotations ?? {};
    const phase = annotations[ANN_POD_PHASE];
    const now = ctx.clock.nowMs();
    const since = phaseSince.get(uid) ?? now;
    if (!phaseSince.has(uid)) phaseSince.set(uid, now);
    if (phase === undefined) {
      await annotate(pvc, {
        ...(isImport(pvc) && { [ANN_IMPORT_POD]: `importer-${pvc.metadata.name}` }),
        [ANN_POD_PHASE]: 'Pending',
        [ANN_POD_RESTARTS]: '0',
        [ANN_RUNNING_CONDITION]: 'false',
        [ANN_RUNNING_MESSAGE]: '',
        [ANN_RUNNING_REASON]: '',
      });
      return;
    }
    if (phase === 'Pending') {
      const wait = ctx.random.jitter(ctx.profile.podStartMs, ctx.profile.jitter) - (now - since);
      if (wait > 0) return { requeueAfterMs: wait };
      const durationMs = ctx.random.jitter(ctx.profile.dataImportMs, ctx.profile.jitter);
      progress.started(uid, now, durationMs);
      await annotate(pvc, {
        [ANN_POD_PHASE]: 'Running',
        [ANN_RUNNING_CONDITION]: 'true',
        [ANN_RUNNING_MESSAGE]: '',
        [ANN_RUNNING_REASON]: 'Pod is running',
      });
      return;
    }
    if (phase === 'Running') {
      const remaining = progress.remainingMs(uid, now);
      if (remaining > 0) return { requeueAfterMs: remaining };
      progress.finished(uid);
      await annotate(pvc, {
        [ANN_POD_PHASE]: 'Succeeded',
        [ANN_RUNNING_CONDITION]: 'false',
        [ANN_RUNNING_MESSAGE]: isImport(pvc) ? 'Import Complete' : 'Clone Complete',
        [ANN_RUNNING_REASON]: 'Completed',
      });
      phaseSince.delete(uid);
    }
  }

  const controller = new Controller({ name: 'cdi/import-controller', clock: ctx.clock, logger: ctx.logger, reconcile });
  controller.watch(claims);
  return controller;
}
