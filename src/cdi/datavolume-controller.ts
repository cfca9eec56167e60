/**
 * CDI's DataVolume controllers (pkg/controller/datavolume, CDI v1.64.0: the
 * import and clone reconcilers over controller-base.go): a DataVolume gets its
 * claim, and its status follows the claim: Pending, WaitForFirstConsumer while a
 * late-binding class waits for a consumer (HonorWaitForFirstConsumer, on by
 * default), PVCBound, then the importer's (or cloner's) pod phase written on the
 * claim: ImportScheduled → ImportInProgress (with `progress`) → Succeeded
 * (CloneScheduled → CloneInProgress → Succeeded), and Bound/Ready/Running
 * conditions. Events as CDI records them: the phase's (ImportScheduled "Import
 * into x scheduled", ...) and every change of the Bound condition.
 */
import type { PersistentVolumeClaim, StorageClass } from '../kube/volumes.js';
import { ANN_SELECTED_NODE } from '../kube/volumes.js';
import { controllerKeyOf, isAlreadyExists, isControlledBy } from '../kube/owners.js';
import { writeStatus } from '../kube/status.js';
import { rfc3339 } from '../runtime/clock.js';
import type { ComponentContext } from '../runtime/component-context.js';
import { Controller, type ReconcileResult } from '../runtime/controller.js';
import { EventRecorder, type EventType } from '../runtime/events.js';
import type { Informer } from '../runtime/informer.js';
import { claimFor, resolveSource, type ResolvedSource } from './datavolume-claim.js';
import { dataVolumeConditions } from './datavolume-conditions.js';
import type { TransferProgress } from './import-simulator.js';
import {
  ANN_ALLOW_CLAIM_ADOPTION,
  ANN_IMPORT_POD,
  ANN_POD_PHASE,
  type DataSource,
  type DataVolume,
  type DataVolumeStatus,
} from './types.js';

export interface DataVolumeInformers {
  dataVolumes: Informer<DataVolume>;
  claims: Informer<PersistentVolumeClaim>;
  classes: Informer<StorageClass>;
  dataSources: Informer<DataSource>;
}

interface PhaseEvent {
  type: EventType;
  reason: string;
  message: string;
}

/** How often the progress of a running transfer is written (CDI requeues while its importer pod runs). */
const PROGRESS_INTERVAL_MS = 2_000;

/** The transfer pod's phases, and the DataVolume phases from the claim's binding to the transfer's end, in order. */
const POD_PHASES = ['Pending', 'Running', 'Succeeded'];
const STEPS = {
  import: ['PVCBound', 'ImportScheduled', 'ImportInProgress', 'Succeeded'],
  clone: ['PVCBound', 'CloneScheduled', 'CloneInProgress', 'Succeeded'],
};

/**
 * The phases and events of a transfer's pod phase, for imports and clones (updateStatusPhase of each reconciler).
 * When the transfer has run ahead of the DataVolume (the instant profile binds, imports and completes at once), the
 * DataVolume takes the step after its phase: each phase is written as its own update with its event, in the order a
 * watch of a real import sees them.
 */
function transferPhase(dv: DataVolume, pvc: PersistentVolumeClaim, source: ResolvedSource): { phase: string; event?: PhaseEvent } {
  let podPhase = pvc.metadata.annotations?.[ANN_POD_PHASE];
  const reached = STEPS[source.kind === 'clone' ? 'clone' : 'import'].indexOf(dv.status?.phase ?? '');
  if (POD_PHASES.indexOf(podPhase ?? '') > reached) {
    if (reached < 0) return { phase: 'PVCBound' };
    podPhase = POD_PHASES[reached]; // step reached + 1 follows this pod phase
  }
  const name = pvc.metadata.name ?? '';
  if (source.kind === 'clone') {
    const what = `${source.namespace}/${source.name} into ${dv.metadata.namespace}/${name}`;
    if (podPhase === 'Running')
      return { phase: 'CloneInProgress', event: ev('Normal', 'CloneInProgress', `Cloning from ${what} in progress`) };
    if (podPhase === 'Succeeded') return { phase: 'Succeeded', event: ev('Normal', 'CloneSucceeded', `Successfully cloned from ${what}`) };
    return { phase: 'CloneScheduled', event: ev('Normal', 'CloneScheduled', `Cloning from ${what} scheduled`) };
  }
  if (podPhase === 'Running')
    return { phase: 'ImportInProgress', event: ev('Normal', 'ImportInProgress', `Import into ${name} in progress`) };
  if (podPhase === 'Succeeded')
    return { phase: 'Succeeded', event: ev('Normal', 'ImportSucceeded', `Successfully imported into PVC ${name}`) };
  if (podPhase === 'Failed')
    return { phase: dv.status?.phase ?? 'ImportScheduled', event: ev('Warning', 'ImportFailed', `Failed to import into PVC ${name}`) };
  return { phase: 'ImportScheduled', event: ev('Normal', 'ImportScheduled', `Import into ${name} scheduled`) };
}

const ev = (type: EventType, reason: string, message: string): PhaseEvent => ({ type, reason, message });

export function dataVolumeController(ctx: ComponentContext, informers: DataVolumeInformers, progress: TransferProgress): Controller {
  const { dataVolumes, claims, classes, dataSources } = informers;
  const recorder = new EventRecorder(ctx.client, ctx.clock, { component: 'datavolume-import-controller' }, ctx.logger);

  /** The source, with a DataSource `sourceRef` resolved to what the DataSource points at. */
  function sourceOf(dv: DataVolume): ResolvedSource {
    const ref = dv.spec.sourceRef;
    if (!ref) return resolveSource(dv, dv.spec.source);
    const dataSource = dataSources.getByName(ref.namespace ?? dv.metadata.namespace, ref.name);
    if (!dataSource) return { kind: 'unsupported', what: `DataSource ${ref.namespace ?? dv.metadata.namespace}/${ref.name}` };
    return resolveSource({ ...dv, metadata: { ...dv.metadata, namespace: dataSource.metadata.namespace } }, dataSource.spec.source);
  }

  /** A late-binding class whose claim has no node yet: the DataVolume waits for its first consumer. */
  function waitsForFirstConsumer(pvc: PersistentVolumeClaim): boolean {
    const cls = classes.getByName(undefined, pvc.spec?.storageClassName ?? '');
    return cls?.volumeBindingMode === 'WaitForFirstConsumer' && !pvc.metadata.annotations?.[ANN_SELECTED_NODE];
  }

  function nextPhase(
    dv: DataVolume,
    pvc: PersistentVolumeClaim | undefined,
    source: ResolvedSource,
  ): { phase: string; event?: PhaseEvent } {
    const current = dv.status?.phase ?? '';
    if (!pvc) return { phase: 'Pending' };
    const annotations = pvc.metadata.annotations ?? {};
    if (annotations[ANN_POD_PHASE] === 'Succeeded') return transferPhase(dv, pvc, source);
    switch (pvc.status?.phase) {
      case 'Pending':
        return { phase: waitsForFirstConsumer(pvc) ? 'WaitForFirstConsumer' : 'Pending' };
      case 'Bound': {
        // shouldUpdateStatusPhase: the phase follows the transfer once its pod is named (clones: once it has a phase).
        const started = annotations[ANN_IMPORT_POD] !== undefined || (source.kind === 'clone' && annotations[ANN_POD_PHASE] !== undefined);
        if (started) return transferPhase(dv, pvc, source);
        return { phase: ['', 'Pending', 'WaitForFirstConsumer', 'Unknown'].includes(current) ? 'PVCBound' : current };
      }
      case 'Lost':
        return { phase: 'Failed', event: ev('Warning', 'ErrClaimLost', `PVC ${pvc.metadata.name} lost`) };
      default:
        return { phase: current || 'Pending' };
    }
  }

  async function writeDataVolumeStatus(
    dv: DataVolume,
    pvc: PersistentVolumeClaim | undefined,
    source: ResolvedSource,
  ): Promise<ReconcileResult> {
    const now = ctx.clock.nowMs();
    const { phase, event } = nextPhase(dv, pvc, source);
    const status: DataVolumeStatus = { ...(dv.status ?? {}), phase };
    if (pvc) status.claimName = pvc.metadata.name;
    status.progress =
      phase === 'Succeeded' ? '100.0%' : ((pvc && progress.percent(pvc.metadata.uid ?? '', now)) ?? dv.status?.progress ?? 'N/A');
    if (phase === 'ImportScheduled' || phase === 'CloneScheduled') status.progress = dv.status?.progress ?? 'N/A';
    status.conditions = dataVolumeConditions(status, pvc, rfc3339(new Date(now)));
    const before = dv.status?.conditions?.find((c) => c.type === 'Bound');
    const written = await writeStatus(ctx.client, dv, status);
    if (written && written !== dv) {
      if (event && phase !== dv.status?.phase) void recorder.event(written, event.type, event.reason, event.message);
      const bound = status.conditions.find((c) => c.type === 'Bound');
      if (bound && (bound.status !== before?.status || bound.reason !== before?.reason || bound.message !== before?.message))
        void recorder.event(written, 'Normal', bound.reason ?? '', bound.message ?? '');
    }
    return phase === 'ImportInProgress' || phase === 'CloneInProgress' ? { requeueAfterMs: PROGRESS_INTERVAL_MS } : undefined;
  }

  async function reconcile(key: string): Promise<ReconcileResult> {
    const dv = dataVolumes.get(key);
    if (!dv || dv.metadata.deletionTimestamp) return;
    const namespace = dv.metadata.namespace ?? '';
    const name = dv.metadata.name ?? '';
    const source = sourceOf(dv);
    let pvc = claims.getByName(namespace, name);
    if (pvc && !isControlledBy(pvc, dv)) {
      if (dv.metadata.annotations?.[ANN_ALLOW_CLAIM_ADOPTION] !== 'true') {
        void recorder.event(dv, 'Warning', 'ErrResourceExists', `Resource "${name}" already exists and is not managed by DataVolume`);
        return;
      }
      // Adoption (AllowClaimAdoption): the claim is taken as already populated.
      return writeDataVolumeStatus(dv, pvc, source);
    }
    if (!pvc) {
      if (source.kind === 'unsupported') return writeDataVolumeStatus(dv, undefined, source);
      if (source.kind === 'clone' && !claims.getByName(source.namespace, source.name)) {
        void recorder.event(dv, 'Warning', 'CloneWithoutSource', `The source pvc ${source.name} doesn't exist`);
        await writeDataVolumeStatus(dv, undefined, source);
        return { requeueAfterMs: PROGRESS_INTERVAL_MS };
      }
      try {
        pvc = await ctx.client.create<PersistentVolumeClaim>(claimFor(dv, source, classes.list()));
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        return { requeueAfterMs: 0 };
      }
    }
    return writeDataVolumeStatus(dv, pvc, source);
  }

  const controller = new Controller({ name: 'cdi/datavolume-controller', clock: ctx.clock, logger: ctx.logger, reconcile, workers: 3 });
  controller.watch(dataVolumes);
  controller.watch(claims, (pvc) => {
    const key = controllerKeyOf(pvc, 'DataVolume');
    return key ? [key] : [];
  });
  // Classes are read (binding mode, default class), not reconciled: watched so they are synced before the first DataVolume.
  controller.watch(classes, () => []);
  controller.watch(dataSources, (source) =>
    dataVolumes
      .listByNamespace(source.metadata.namespace ?? '')
      .filter((dv) => dv.spec.sourceRef?.name === source.metadata.name)
      .map((dv) => `${dv.metadata.namespace}/${dv.metadata.name}`),
  );
  return controller;
}
