/**
 * virt-api's validating webhooks beyond VMs and VMIs, as far as the
 * behaviour reference describes them (§5.6, §6, §7): migrations, replica
 * sets, pools, snapshots, restores, exports, clones.
 */
import type { AdmissionResponse, AdmissionReview } from '../../../admission/webhooks/types.js';
import type { KubeObject } from '../../../api/types.js';
import { matchLabelSelector, type LabelSelectorObject } from '../../../api/selectors/label-selector.js';
import type { AdmissionDeps } from './deps.js';
import { VMI_NAME_LABEL } from './mutators.js';
import type { VmiSpec } from './spec-types.js';
import { validateVmiSpec } from './vmi-spec-validation.js';
import { allowed, cause, errorResponse, requestOf, verdict, type Cause } from './responses.js';

type Spec = Record<string, unknown>;
interface WithSpec extends KubeObject {
  spec?: Spec;
  status?: { phase?: string; complete?: boolean; conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> };
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
const objectOf = (review: AdmissionReview): WithSpec => requestOf(review).object as WithSpec;
const FINAL_MIGRATION_PHASES = ['Succeeded', 'Failed'];
const VIRT_CONTROLLER_SA = (namespace: string) => `system:serviceaccount:${namespace}:kubevirt-controller`;

/** /migration-validate-create (§5.6). */
export async function migrationCreateValidator(deps: AdmissionDeps, review: AdmissionReview): Promise<AdmissionResponse> {
  const request = requestOf(review);
  const config = deps.config();
  const spec = (objectOf(review).spec ?? {}) as { vmiName?: string; priority?: string; sendTo?: unknown; receive?: unknown };
  const causes: Cause[] = [];
  if (!spec.vmiName) causes.push(cause('FieldValueInvalid', 'vmiName is missing', 'spec.vmiName'));
  if (spec.priority !== undefined && request.userInfo.username !== VIRT_CONTROLLER_SA(config.installNamespace)) {
    causes.push(
      cause('FieldValueInvalid', 'Migration priority queue, only virt-controller is allowed to set priority field', 'spec.priority'),
    );
  }
  if ((spec.sendTo !== undefined || spec.receive !== undefined) && !config.isGateEnabled('DecentralizedLiveMigration')) {
    causes.push(cause('FieldValueInvalid', 'DecentralizedLiveMigration feature gate is not enabled in kubevirt resource', 'spec'));
  }
  if (causes.length) return verdict(request, causes);
  const namespace = request.namespace ?? '';
  const vmi = deps.vmis.getByName(namespace, spec.vmiName!) as WithSpec | undefined;
  if (!vmi) return errorResponse(request, `the VMI "${namespace}/${spec.vmiName}" does not exist`);
  if (FINAL_MIGRATION_PHASES.includes(vmi.status?.phase ?? '')) return errorResponse(request, 'Cannot migrate VMI in finalized state.');
  const migratable = vmi.status?.conditions?.find((c) => c.type === 'LiveMigratable');
  if (migratable?.status === 'False')
    return errorResponse(request, `Cannot migrate VMI, Reason: ${migratable.reason ?? ''}, Message: ${migratable.message ?? ''}`);
  const inFlight = (deps.migrations.listByNamespace(namespace) as WithSpec[]).find(
    (m) =>
      m.metadata.labels?.[VMI_NAME_LABEL] === spec.vmiName &&
      !FINAL_MIGRATION_PHASES.includes(m.status?.phase ?? '') &&
      m.metadata.name !== request.name,
  );
  if (inFlight)
    return errorResponse(
      request,
      `in-flight migration detected. Active migration job (${inFlight.metadata.uid}) is currently already in progress for VMI ${spec.vmiName}.`,
    );
  return allowed(request);
}

/** /migration-validate-update */
export async function migrationUpdateValidator(_deps: AdmissionDeps, review: AdmissionReview): Promise<AdmissionResponse> {
  const request = requestOf(review);
  const migration = objectOf(review);
  const old = request.oldObject as WithSpec;
  const causes: Cause[] = [];
  if (!sameJson(migration.spec, old.spec))
    causes.push(cause('FieldValueInvalid', "update of Migration object's spec is restricted", 'spec'));
  const inFlight = !FINAL_MIGRATION_PHASES.includes(migration.status?.phase ?? '');
  if (inFlight && old.metadata.labels?.[VMI_NAME_LABEL] !== undefined && migration.metadata.labels?.[VMI_NAME_LABEL] === undefined) {
    causes.push(cause('FieldValueInvalid', "selector label can't be removed from an in-flight migration", 'metadata.labels'));
  }
  return verdict(request, causes);
}

function selectorCauses(selector: LabelSelectorObject | undefined, labels: Record<string, string> | undefined): Cause[] {
  if (!selector) return [cause('FieldValueRequired', 'missing selector.', 'spec.selector')];
  return matchLabelSelector(selector, labels ?? {}) ? [] : [cause('FieldValueInvalid', 'selector does not match labels.', 'spec.selector')];
}

/** /virtualmachinereplicaset-validate (vmirs-admitter.go ValidateVMIRSSpec: the template's VMI spec, then the selector). */
export async function replicaSetValidator(deps: AdmissionDeps, review: AdmissionReview): Promise<AdmissionResponse> {
  const request = requestOf(review);
  const spec = (objectOf(review).spec ?? {}) as {
    selector?: LabelSelectorObject;
    template?: { metadata?: { labels?: Record<string, string> }; spec?: VmiSpec };
  };
  if (!spec.template) return verdict(request, [cause('FieldValueRequired', 'missing virtual machine template.', 'spec.template')]);
  return verdict(request, [
    ...validateVmiSpec('spec.template.spec', spec.template.spec ?? {}, deps.config()),
    ...selectorCauses(spec.selector, spec.template.metadata?.labels),
  ]);
}

/** /virtualmachinepool-validate */
export async function poolValidator(_deps: AdmissionDeps, review: AdmissionReview): Promise<AdmissionResponse> {
  const request = requestOf(review);
  type PoolSpec = {
    selector?: LabelSelectorObject;
    virtualMachineTemplate?: { metadata?: { labels?: Record<string, string> } };
    maxUnavailable?: number | string;
  };
  const spec = (objectOf(review).spec ?? {}) as PoolSpec;
  if (!spec.virtualMachineTemplate)
    return verdict(request, [cause('FieldValueRequired', 'missing virtual machine template.', 'spec.virtualMachineTemplate')]);
  const causes = selectorCauses(spec.selector, spec.virtualMachineTemplate.metadata?.labels);
  const oldSpec = ((request.oldObject as WithSpec | undefined)?.spec ?? undefined) as PoolSpec | undefined;
  if (request.operation === 'UPDATE' && oldSpec && !sameJson(oldSpec.selector, spec.selector))
    causes.push(cause('FieldValueInvalid', 'selector is immutable after creation.', 'spec.selector'));
  const maxUnavailable = spec.maxUnavailable;
  if (maxUnavailable !== undefined && (typeof maxUnavailable === 'number' ? maxUnavailable <= 0 : parseInt(maxUnavailable, 10) <= 0)) {
    causes.push(cause('FieldValueInvalid', 'maxUnavailable must be greater than 0', 'spec.maxUnavailable'));
  }
  return verdict(request, causes);
}

/** The create and immutability checks snapshots, restores and exports share; the gate message differs per kind. */
function immutableSpec(review: AdmissionReview): Cause[] {
  const request = requestOf(review);
  if (request.operation !== 'UPDATE') return [];
  return sameJson(objectOf(review).spec, (request.oldObject as WithSpec).spec)
    ? []
    : [cause('FieldValueInvalid', 'spec in immutable after creation', 'spec')];
}

interface SourceRef {
  apiGroup?: string;
  kind?: string;
  name?: string;
}

/** /virtualmachinesnapshots-validate */
export async function snapshotValidator(deps: AdmissionDeps, review: AdmissionReview): Promise<AdmissionResponse> {
  const request = requestOf(review);
  if (!deps.config().isGateEnabled('Snapshot')) return errorResponse(request, 'snapshot feature gate not enabled');
  if (request.operation === 'UPDATE') return verdict(request, immutableSpec(review));
  const source = (objectOf(review).spec?.source ?? {}) as SourceRef;
  if (!source.apiGroup) return verdict(request, [cause('FieldValueInvalid', 'missing apiGroup', 'spec.source.apiGroup')]);
  if (source.apiGroup !== 'kubevirt.io') return verdict(request, [cause('FieldValueInvalid', 'invalid apiGroup', 'spec.source.apiGroup')]);
  if (source.kind !== 'VirtualMachine') return verdict(request, [cause('FieldValueInvalid', 'invalid kind', 'spec.source.kind')]);
  return allowed(request);
}

/** /virtualmachinerestores-validate: one unfinished restore per target. */
export async function restoreValidator(deps: AdmissionDeps, review: AdmissionReview): Promise<AdmissionResponse> {
  const request = requestOf(review);
  if (!deps.config().isGateEnabled('Snapshot')) return errorResponse(request, 'Snapshot/Restore feature gate not enabled');
  if (request.operation === 'UPDATE') return verdict(request, immutableSpec(review));
  const target = (objectOf(review).spec?.target ?? {}) as SourceRef;
  const running = (deps.restores.listByNamespace(request.namespace ?? '') as WithSpec[]).find(
    (r) => r.metadata.name !== request.name && !r.status?.complete && ((r.spec?.target ?? {}) as SourceRef).name === target.name,
  );
  if (running)
    return verdict(request, [cause('FieldValueInvalid', `VirtualMachineRestore "${running.metadata.name}" in progress`, 'spec.target')]);
  return allowed(request);
}

/** /virtualmachineexports-validate */
export async function exportValidator(_deps: AdmissionDeps, review: AdmissionReview): Promise<AdmissionResponse> {
  const request = requestOf(review);
  if (request.operation === 'UPDATE') return verdict(request, immutableSpec(review));
  const source = (objectOf(review).spec?.source ?? {}) as SourceRef;
  const field = 'spec.source';
  const check = (): Cause | undefined => {
    switch (source.kind) {
      case 'PersistentVolumeClaim':
        if (!source.name) return cause('FieldValueInvalid', 'PVC name must not be empty', `${field}.name`);
        if (source.apiGroup) return cause('FieldValueInvalid', 'PVC API group must be missing or blank', `${field}.apiGroup`);
        return undefined;
      case 'VirtualMachineSnapshot':
        return source.name ? undefined : cause('FieldValueInvalid', 'VMSnapshot name must not be empty', `${field}.name`);
      case 'VirtualMachine':
        if (!source.name) return cause('FieldValueInvalid', 'Virtual Machine name must not be empty', `${field}.name`);
        if (source.apiGroup !== 'kubevirt.io') return cause('FieldValueInvalid', 'VM API group must be kubevirt.io', `${field}.apiGroup`);
        return undefined;
      default:
        return cause('FieldValueInvalid', 'invalid kind', `${field}.kind`);
    }
  };
  const problem = check();
  return verdict(request, problem ? [problem] : []);
}

const MAC_ADDRESS = /^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$/;

/** /vm-clone-validate-create */
export async function cloneValidator(deps: AdmissionDeps, review: AdmissionReview): Promise<AdmissionResponse> {
  const request = requestOf(review);
  if (!deps.config().isGateEnabled('Snapshot')) return errorResponse(request, 'snapshot feature gate is not enabled');
  const spec = (objectOf(review).spec ?? {}) as {
    source?: SourceRef;
    target?: SourceRef;
    newMacAddresses?: Record<string, string>;
    patches?: string[];
  };
  const causes: Cause[] = [];
  const source = spec.source;
  if (!source) causes.push(cause('FieldValueInvalid', 'Source cannot be nil', 'spec.source'));
  else if (!source.apiGroup) causes.push(cause('FieldValueInvalid', "Source's APIGroup cannot be empty", 'spec.source.apiGroup'));
  else if (source.kind !== 'VirtualMachine' && source.kind !== 'VirtualMachineSnapshot')
    causes.push(cause('FieldValueInvalid', 'Source kind is not supported', 'spec.source.kind'));
  if (spec.target?.kind && spec.target.kind !== 'VirtualMachine')
    causes.push(cause('FieldValueInvalid', 'Target kind is not supported', 'spec.target.kind'));
  if (
    source?.kind === 'VirtualMachine' &&
    (spec.target?.kind ?? 'VirtualMachine') === 'VirtualMachine' &&
    spec.target?.name === source.name
  ) {
    causes.push(cause('FieldValueInvalid', 'Target name cannot be equal to source name when both are VirtualMachines', 'spec.target.name'));
  }
  for (const [iface, mac] of Object.entries(spec.newMacAddresses ?? {})) {
    if (mac !== '' && !MAC_ADDRESS.test(mac))
      causes.push(cause('FieldValueInvalid', `interface ${iface} has malformed MAC address (${mac}).`, 'spec.newMacAddresses'));
  }
  for (const patch of spec.patches ?? []) {
    try {
      JSON.parse(patch);
    } catch {
      causes.push(cause('FieldValueInvalid', `patch is not valid JSON (${patch})`, 'spec.patches'));
    }
  }
  return verdict(request, causes);
}

/** Webhooks the reference gives no rules for: they answer, and allow. */
export function allowAll(_deps: AdmissionDeps, review: AdmissionReview): AdmissionResponse {
  return allowed(requestOf(review));
}
