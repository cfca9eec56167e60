/**
 * The VM controller's DataVolume step (handleDataVolumes in
 * pkg/virt-controller/watch/vm/vm.go): every `spec.dataVolumeTemplates`
 * entry becomes a CDI DataVolume owned by the VM, and the VM starts only
 * once each is Succeeded, WaitForFirstConsumer or PendingPopulation. Without
 * CDI the create answers 404 and the VM never starts: a
 * `FailedDataVolumeCreate` event and a `Failure` condition say why.
 */
import type { KubeObject } from '../../../api/types.js';
import type { Client } from '../../../client/client.js';
import type { EventRecorder } from '../../../runtime/events.js';
import { errorMessage, statusCode } from '../errors.js';
import type { VirtualMachine } from '../types.js';
import type { SyncError } from '../vmi/vmi-status.js';
import { vmControllerRef } from './vm-owner-reference.js';

export const DATA_VOLUME_REF = { apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataVolume' };
/** Opt-out of creating DataVolumes before the VM is started. */
const IMMEDIATE_CREATION_ANNOTATION = 'kubevirt.io/immediate-data-volume-creation';
const READY_PHASES = ['Succeeded', 'WaitForFirstConsumer', 'PendingPopulation'];

interface DataVolumeTemplate {
  metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
}

export interface DataVolumeOutcome {
  /** Every DataVolume exists and is populated (or waits for its first consumer). */
  ready: boolean;
  syncError?: SyncError;
}

const templatesOf = (vm: VirtualMachine): DataVolumeTemplate[] =>
  (vm.spec as { dataVolumeTemplates?: DataVolumeTemplate[] }).dataVolumeTemplates ?? [];

export const createsDataVolumes = (vm: VirtualMachine): boolean =>
  templatesOf(vm).length > 0 && vm.metadata.annotations?.[IMMEDIATE_CREATION_ANNOTATION] !== 'false';

/** The DataVolume of a template (GenerateDataVolumeFromTemplate + CreateDataVolumeManifest). */
function dataVolumeFor(template: DataVolumeTemplate, vm: VirtualMachine): KubeObject {
  const spec = { ...(template.spec ?? {}) };
  const priorityClassName = vm.spec.template.spec.priorityClassName as string | undefined;
  if (!spec.priorityClassName && priorityClassName) spec.priorityClassName = priorityClassName;
  return {
    ...DATA_VOLUME_REF,
    metadata: {
      ...template.metadata,
      namespace: vm.metadata.namespace,
      labels: { ...(template.metadata?.labels ?? {}), 'kubevirt.io/created-by': vm.metadata.uid ?? '' },
      annotations: { ...(template.metadata?.annotations ?? {}), 'cdi.kubevirt.io/allowClaimAdoption': 'true' },
      ownerReferences: [vmControllerRef(vm)],
    },
    spec,
  };
}

/** Creates the missing DataVolumes of `vm` and tells whether all are ready. */
export async function handleDataVolumes(client: Client, recorder: EventRecorder, vm: VirtualMachine): Promise<DataVolumeOutcome> {
  let ready = true;
  for (const template of templatesOf(vm)) {
    const name = template.metadata?.name ?? '';
    let existing: KubeObject | undefined;
    try {
      existing = await client.get(DATA_VOLUME_REF, vm.metadata.namespace, name);
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
    }
    if (existing) {
      if (!READY_PHASES.includes((existing.status as { phase?: string } | undefined)?.phase ?? '')) ready = false;
      continue;
    }
    ready = false;
    try {
      await client.create(dataVolumeFor(template, vm));
    } catch (err) {
      void recorder.event(vm, 'Warning', 'FailedDataVolumeCreate', `Error creating DataVolume ${name}: ${errorMessage(err)}`);
      return {
        ready,
        syncError: {
          reason: 'FailedCreate',
          message: `Error encountered while creating DataVolumes: failed to create DataVolume: ${errorMessage(err)}`,
          requeue: true,
        },
      };
    }
    void recorder.event(vm, 'Normal', 'SuccessfulDataVolumeCreate', `Created DataVolume ${name}`);
  }
  return { ready };
}
