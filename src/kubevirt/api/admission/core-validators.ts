/**
 * virt-api's validating webhooks for VMIs and VMs (vmi-create-admitter.go,
 * vmi-update-admitter.go, vms-admitter.go): the spec rules after the
 * defaults a VMI would get, the mandatory memory, reserved labels, the run
 * strategy, and who may change a running VMI.
 */
import type { AdmissionResponse, AdmissionReview } from '../../../admission/webhooks/types.js';
import type { KubeObject } from '../../../api/types.js';
import { isKubeVirtServiceAccount, type AdmissionConfig } from './config.js';
import type { ApplicableSpec } from '../../controller/instancetype/instancetype-apply.js';
import type { VirtualMachine } from '../../controller/types.js';
import type { AdmissionDeps } from './deps.js';
import { applyInstancetypeToTemplate } from './instancetype-conflicts.js';
import { cause, mutableCopy, requestOf, verdict, type Cause } from './responses.js';
import type { VmiSpec } from './spec-types.js';
import { setDefaultVmiSpec } from './vmi-defaults.js';
import { validateGatedAnnotations, validateVmiSpec } from './vmi-spec-validation.js';
import { preferenceRequirementCauses } from './preference-requirements.js';

/** Labels only KubeVirt's components may set on a VMI (restrictedVmiLabels). */
const RESERVED_VMI_LABELS = [
  'kubevirt.io/created-by',
  'kubevirt.io/migrationJobUID',
  'kubevirt.io/nodeName',
  'kubevirt.io/migrationTargetNodeName',
  'kubevirt.io/schedulable',
  'kubevirt.io/install-strategy',
];
const RUN_STRATEGIES = ['Always', 'RerunOnFailure', 'Manual', 'Halted', 'Once', 'WaitAsReceiver'];
export const RUNNING_DEPRECATED_WARNING = 'spec.running is deprecated, please use spec.runStrategy instead.';

interface Vmi extends KubeObject {
  spec: VmiSpec;
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

function memoryRequested(spec: VmiSpec): boolean {
  const domain = spec.domain;
  return Boolean(domain?.memory?.guest || domain?.memory?.hugepages?.pageSize || domain?.resources?.requests?.memory);
}

/** Volumes of a VMI must each be used by a disk or a filesystem (note the odd `domain.volumes` path of the message). */
function volumesWithoutDisks(spec: VmiSpec): Cause[] {
  const used = new Set([
    ...(spec.domain?.devices?.disks ?? []).map((d) => d.name),
    ...(spec.domain?.devices?.filesystems ?? []).map((f) => f.name),
  ]);
  return (spec.volumes ?? []).flatMap((v, i) =>
    used.has(v.name)
      ? []
      : [cause('FieldValueInvalid', `spec.domain.volumes[${i}].name '${v.name}' not found.`, `spec.domain.volumes[${i}].name`)],
  );
}

/** /virtualmachineinstances-validate-create */
export function vmiCreateValidator(deps: AdmissionDeps, review: AdmissionReview): AdmissionResponse {
  const request = requestOf(review);
  const config = deps.config();
  const vmi = request.object as Vmi;
  const causes = [...validateVmiSpec('spec', vmi.spec ?? {}, config), ...volumesWithoutDisks(vmi.spec ?? {})];
  if (!memoryRequested(vmi.spec ?? {})) {
    causes.push(
      cause(
        'FieldValueRequired',
        "no memory requested, at least one of 'spec.domain.memory.guest', 'spec.domain.memory.hugepages.pageSize' or 'spec.domain.resources.requests.memory' must be set",
      ),
    );
  }
  causes.push(...validateGatedAnnotations('metadata', vmi.metadata.annotations, config));
  if (
    !isKubeVirtServiceAccount(request.userInfo.username, config) &&
    RESERVED_VMI_LABELS.some((l) => vmi.metadata.labels?.[l] !== undefined)
  ) {
    causes.push(
      cause(
        'FieldValueNotSupported',
        'creation of the following reserved kubevirt.io/ labels on a VMI object is prohibited',
        'metadata.labels',
      ),
    );
  }
  return verdict(request, causes);
}

/** /virtualmachineinstances-validate-update: users may not change a VMI's spec or its reserved labels. */
export function vmiUpdateValidator(deps: AdmissionDeps, review: AdmissionReview): AdmissionResponse {
  const request = requestOf(review);
  const config = deps.config();
  if (isKubeVirtServiceAccount(request.userInfo.username, config)) return verdict(request, []);
  const vmi = request.object as Vmi;
  const old = request.oldObject as Vmi;
  const causes: Cause[] = [];
  if (!sameJson(vmi.spec, old.spec)) causes.push(cause('FieldValueNotSupported', 'update of VMI object is restricted'));
  const reservedChanged = RESERVED_VMI_LABELS.some((l) => vmi.metadata.labels?.[l] !== old.metadata.labels?.[l]);
  if (reservedChanged)
    causes.push(
      cause(
        'FieldValueNotSupported',
        'modification of the following reserved kubevirt.io/ labels on a VMI object is prohibited',
        'metadata.labels',
      ),
    );
  return verdict(request, causes);
}

interface Vm extends KubeObject {
  spec?: {
    running?: boolean;
    runStrategy?: string;
    template?: { metadata?: { annotations?: Record<string, string> }; spec?: VmiSpec };
    dataVolumeTemplates?: Array<{ metadata?: { name?: string; namespace?: string } }>;
    instancetype?: unknown;
    preference?: unknown;
  };
}

function validateRunStrategy(vm: Vm, config: AdmissionConfig): Cause[] {
  const { running, runStrategy } = vm.spec ?? {};
  if (running !== undefined && runStrategy !== undefined) {
    return [
      cause(
        'FieldValueInvalid',
        'Running and RunStrategy are mutually exclusive. Note that Running is deprecated, please use RunStrategy instead',
        'spec.running',
      ),
    ];
  }
  if (running === undefined && runStrategy === undefined)
    return [cause('FieldValueInvalid', 'RunStrategy must be specified', 'spec.running')];
  if (runStrategy === undefined) return [];
  if (!RUN_STRATEGIES.includes(runStrategy))
    return [cause('FieldValueInvalid', `Invalid RunStrategy (${runStrategy})`, 'spec.runStrategy')];
  if (runStrategy === 'WaitAsReceiver' && !config.isGateEnabled('DecentralizedLiveMigration')) {
    return [
      cause(
        'FieldValueInvalid',
        'Invalid RunStrategy (WaitAsReceiver), DecentralizedLiveMigration feature gate is not enabled in kubevirt resource',
        'spec.runStrategy',
      ),
    ];
  }
  return [];
}

function validateDataVolumeTemplates(vm: Vm): Cause[] {
  const volumes = vm.spec?.template?.spec?.volumes ?? [];
  return (vm.spec?.dataVolumeTemplates ?? []).flatMap((template, i) => {
    const name = template.metadata?.name;
    const at = `spec.dataVolumeTemplate[${i}]`;
    if (!name)
      return [cause('FieldValueRequired', `'name' field must not be empty for DataVolumeTemplate entry ${at}.name.`, `${at}.name`)];
    const causes: Cause[] = [];
    if (
      !volumes.some(
        (v) => v.dataVolume?.name === name || (v.persistentVolumeClaim as { claimName?: string } | undefined)?.claimName === name,
      )
    ) {
      causes.push(cause('FieldValueInvalid', `DataVolumeTemplate entry ${at} must be referenced in the VMI template's 'volumes' list`, at));
    }
    const namespace = template.metadata?.namespace;
    if (namespace && namespace !== vm.metadata.namespace)
      causes.push(
        cause(
          'FieldValueInvalid',
          `Embedded DataVolume namespace ${namespace} differs from VM namespace ${vm.metadata.namespace}`,
          `${at}.metadata.namespace`,
        ),
      );
    return causes;
  });
}

/** /virtualmachines-validate: the template is checked with the defaults a VMI would get, without the VMI-only memory rule. */
export function vmValidator(deps: AdmissionDeps, review: AdmissionReview): AdmissionResponse | Promise<AdmissionResponse> {
  const request = requestOf(review);
  const vm = request.object as Vm;
  const warnings = vm.spec?.running !== undefined ? [RUNNING_DEPRECATED_WARNING] : [];
  if (!vm.spec?.template)
    return verdict(request, [cause('FieldValueRequired', 'missing virtual machine template.', 'spec.template')], warnings);
  // Only a VM that names an instancetype or a preference needs a read of the API (and an answer later).
  if (!vm.spec.instancetype && !vm.spec.preference) return verdict(request, knownVmCauses(deps.config(), vm, vm.spec), warnings);
  const spec = mutableCopy(vm.spec.template.spec ?? {});
  return applyInstancetypeToTemplate(deps.lookup, vm as unknown as VirtualMachine, spec as ApplicableSpec).then((applied) =>
    verdict(request, vmCauses(deps.config(), vm, spec, applied), warnings),
  );
}

/**
 * The causes of a VM that names no instancetype or preference, which depend on its spec, the configuration and its
 * namespace only: kept per frozen spec, which the versions of a VM that leave the spec alone share by identity (a
 * VM is validated on its create and again on each update of its metadata).
 */
const knownCauses = new WeakMap<object, { config: AdmissionConfig; namespace: string | undefined; causes: readonly Cause[] }>();

function knownVmCauses(config: AdmissionConfig, vm: Vm, spec: NonNullable<Vm['spec']>): Cause[] {
  const known = knownCauses.get(spec);
  if (known?.config === config && known.namespace === vm.metadata.namespace) return [...known.causes];
  const causes = vmCauses(config, vm, mutableCopy(spec.template?.spec ?? {}), { conflicts: [] });
  if (Object.isFrozen(spec)) knownCauses.set(spec, { config, namespace: vm.metadata.namespace, causes: [...causes] });
  return causes;
}

/** The VM's causes with the instancetype and preference applied to `spec` (a copy of the template spec), defaults set. */
function vmCauses(
  config: AdmissionConfig,
  vm: Vm,
  spec: VmiSpec,
  applied: Awaited<ReturnType<typeof applyInstancetypeToTemplate>>,
): Cause[] {
  if (applied.conflicts.length > 0) return applied.conflicts;
  try {
    setDefaultVmiSpec(spec, config);
  } catch (err) {
    return [cause('FieldValueInvalid', (err as Error).message, 'spec.template.spec.domain.devices.interfaces')];
  }
  const unmet = preferenceRequirementCauses(applied.instancetype, applied.preference, spec as ApplicableSpec);
  if (unmet.length > 0) return unmet;
  return [
    ...validateRunStrategy(vm, config),
    ...validateVmiSpec('spec.template.spec', spec, config),
    ...validateGatedAnnotations('spec.template.metadata', vm.spec?.template?.metadata?.annotations, config),
    ...validateDataVolumeTemplates(vm),
  ];
}
