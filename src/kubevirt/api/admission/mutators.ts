/**
 * virt-api's mutating webhooks (pkg/virt-api/webhooks/mutating-webhook/
 * mutators): VMI presets, defaults and status protection, VM firmware and machine
 * defaults, the migration's label and finalizer, the clone's target name.
 */
import type { AdmissionResponse, AdmissionReview } from '../../../admission/webhooks/types.js';
import type { KubeObject } from '../../../api/types.js';
import { rfc3339 } from '../../../runtime/clock.js';
import { FINALIZER_VMI } from '../../controller/constants.js';
import { isKubeVirtServiceAccount } from './config.js';
import type { AdmissionDeps } from './deps.js';
import { allowed, errorResponse, mutableCopy, replacing, requestOf } from './responses.js';
import { applyPresets, hasPresetAnnotation, PRESET_DEPRECATION_WARNING } from './presets.js';
import type { VmiSpec } from './spec-types.js';
import { defaultMachineType, setDefaultVmiSpec, setLiveUpdateDefaults, setObjectDefaults } from './vmi-defaults.js';

export const PCI_TOPOLOGY_ANNOTATION = 'kubevirt.io/pci-topology-version';
const PCI_TOPOLOGY_VERSION = 'v3';
/** virt-launcher runs as the qemu user unless the Root feature gate is on. */
const NON_ROOT_UID = 107;
export const MIGRATION_FINALIZER = 'kubevirt.io/migrationJobFinalize';
export const VMI_NAME_LABEL = 'kubevirt.io/vmi-name';

interface Vmi extends KubeObject {
  spec: VmiSpec;
  status?: Record<string, unknown>;
}

const usesPciTopology = (spec: VmiSpec): boolean =>
  (spec.architecture === 'amd64' || spec.architecture === 'arm64') && /^(pc-)?q35|^virt/.test(spec.domain?.machine?.type ?? '');

function mutateVmiCreate(deps: AdmissionDeps, vmi: Vmi): void {
  const config = deps.config();
  setDefaultVmiSpec(vmi.spec, config);
  setObjectDefaults(vmi.spec, config, deps.uuid());
  setLiveUpdateDefaults(vmi.spec, config);
  const { cpu, memory } = vmi.spec.domain!;
  if (usesPciTopology(vmi.spec))
    vmi.metadata.annotations = { ...vmi.metadata.annotations, [PCI_TOPOLOGY_ANNOTATION]: PCI_TOPOLOGY_VERSION };
  const finalizers = vmi.metadata.finalizers ?? [];
  if (!finalizers.includes(FINALIZER_VMI)) vmi.metadata.finalizers = [...finalizers, FINALIZER_VMI];
  const now = rfc3339(deps.now());
  // The creator's status stays (the VM controller sends virtualMachineRevisionName), but a new VMI is Pending.
  const sent = vmi.status ?? {};
  vmi.status = {
    ...sent,
    phase: 'Pending',
    phaseTransitionTimestamps: [
      ...((sent.phaseTransitionTimestamps as unknown[] | undefined) ?? []),
      { phase: 'Pending', phaseTransitionTimestamp: now },
    ],
    currentCPUTopology: { sockets: cpu?.sockets, cores: cpu?.cores, threads: cpu?.threads },
    ...(memory?.guest ? { memory: { guestAtBoot: memory.guest, guestCurrent: memory.guest, guestRequested: memory.guest } } : {}),
    guestOSInfo: {},
    ...(config.isGateEnabled('Root') ? {} : { runtimeUser: NON_ROOT_UID }),
  };
}

/** /virtualmachineinstances-mutate */
export function vmiMutator(deps: AdmissionDeps, review: AdmissionReview): AdmissionResponse {
  const request = requestOf(review);
  if (request.operation === 'CREATE') {
    const vmi = mutableCopy(request.object as Vmi);
    const presetError = applyPresets(vmi, deps.presets.listByNamespace(request.namespace ?? vmi.metadata.namespace ?? ''));
    if (presetError) return errorResponse(request, presetError, 422);
    try {
      mutateVmiCreate(deps, vmi);
    } catch (err) {
      return errorResponse(request, (err as Error).message);
    }
    return replacing(request, vmi, ['spec', 'metadata', 'status'], hasPresetAnnotation(vmi) ? [PRESET_DEPRECATION_WARNING] : []);
  }
  if (request.operation === 'UPDATE' && !isKubeVirtServiceAccount(request.userInfo.username, deps.config())) {
    // Only KubeVirt's components write a VMI's status; anyone else's change is silently undone.
    // `replacing` only serialises the members it compares, so the old status needs no copy.
    return replacing(request, { ...(request.object as Vmi), status: (request.oldObject as Vmi | undefined)?.status }, ['status']);
  }
  return allowed(request);
}

interface Vm extends KubeObject {
  spec: { template?: { metadata?: { annotations?: Record<string, string> } & Record<string, unknown>; spec?: VmiSpec } } & Record<
    string,
    unknown
  >;
}

/** /virtualmachines-mutate */
export function vmMutator(deps: AdmissionDeps, review: AdmissionReview): AdmissionResponse {
  const request = requestOf(review);
  const original = request.object as Vm;
  if (original.metadata.deletionTimestamp || !original.spec?.template) return allowed(request);
  // An update of a VM whose architecture and machine type are set (each one after its create) has nothing to default.
  const templateSpec = original.spec.template.spec;
  if (request.operation === 'UPDATE' && templateSpec?.architecture && templateSpec.domain?.machine?.type) return allowed(request);
  const vm = mutableCopy(original);
  const config = deps.config();
  const template = vm.spec!.template!;
  const spec = (template.spec ??= {});
  const domain = (spec.domain ??= {});
  if (request.operation === 'CREATE') {
    const firmware = (domain.firmware ??= {});
    firmware.uuid ||= deps.uuid();
    firmware.serial ||= deps.uuid();
  }
  spec.architecture ||= config.defaultArchitecture;
  domain.machine = { ...domain.machine, type: domain.machine?.type || defaultMachineType(spec.architecture) };
  if (request.operation === 'CREATE' && usesPciTopology(spec)) {
    template.metadata = {
      ...template.metadata,
      annotations: { ...template.metadata?.annotations, [PCI_TOPOLOGY_ANNOTATION]: PCI_TOPOLOGY_VERSION },
    };
  }
  return replacing(request, vm, ['spec', 'metadata']);
}

/** /migration-mutate-create: the VMI name label and the migration finalizer. */
export async function migrationMutator(_deps: AdmissionDeps, review: AdmissionReview): Promise<AdmissionResponse> {
  const request = requestOf(review);
  const migration = mutableCopy(request.object as KubeObject & { spec?: { vmiName?: string } });
  migration.metadata.labels = { ...migration.metadata.labels, [VMI_NAME_LABEL]: migration.spec?.vmiName ?? '' };
  const finalizers = migration.metadata.finalizers ?? [];
  if (!finalizers.includes(MIGRATION_FINALIZER)) migration.metadata.finalizers = [...finalizers, MIGRATION_FINALIZER];
  return replacing(request, migration, ['metadata']);
}

interface Clone extends KubeObject {
  spec?: { source?: { name?: string }; target?: { apiGroup?: string; kind?: string; name?: string } } & Record<string, unknown>;
}

/** /vm-clone-mutate-create: a missing target becomes a new VM named clone-<source>-<random>. */
export async function cloneMutator(deps: AdmissionDeps, review: AdmissionReview): Promise<AdmissionResponse> {
  const request = requestOf(review);
  const clone = mutableCopy(request.object as Clone);
  if (!clone.spec) return allowed(request);
  const generated = () => deps.withRandomSuffix(`clone-${clone.spec!.source?.name ?? ''}-`);
  if (!clone.spec.target) clone.spec.target = { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: generated() };
  else if (!clone.spec.target.name) clone.spec.target.name = generated();
  return replacing(request, clone, ['spec']);
}
