/**
 * virtualmachines/{start,stop,restart,migrate} (pkg/virt-api/rest/lifecycle.go).
 * They do not start or stop anything themselves: they record the request on
 * the VM (spec.runStrategy / spec.running, or status.stateChangeRequests via
 * the status subresource, guarded by JSON-patch tests) and the VM controller
 * acts on it. Success is 202 with an empty body.
 */
import { StatusError, badRequest, internalError } from '../../../api/errors.js';
import type { Client } from '../../../client/client.js';
import { VMI_REF, VM_REF } from '../../controller/constants.js';
import {
  isFinal,
  type RunStrategy,
  type StateChangeRequest,
  type VirtualMachine,
  type VirtualMachineInstance,
} from '../../controller/types.js';
import { MESSAGES, subjectNotFound, vmConflict } from './responses.js';

export interface StartOptions {
  paused?: boolean;
  dryRun?: string[];
}
export interface StopOptions {
  gracePeriod?: number;
  dryRun?: string[];
}
export interface RestartOptions {
  gracePeriodSeconds?: number;
  dryRun?: string[];
}
export interface MigrateOptions {
  addedNodeSelector?: Record<string, string>;
  dryRun?: string[];
}

type JsonPatchOp = { op: 'add' | 'replace' | 'remove' | 'test'; path: string; value?: unknown };

/** What the status patch of a change request meets when requests are already pending (getChangeRequestJson). */
const ALREADY_UNDERWAY = 'unable to complete request: stop/start already underway';
/** The text apimachinery's JSON patch gives for a failed test, which virt-api turns into a 409. */
const JSONPATCH_TEST_ERROR = 'jsonpatch test operation does not apply';

export class VmLifecycle {
  constructor(private readonly client: Client) {}

  async start(namespace: string, name: string, options: StartOptions): Promise<void> {
    const vm = await this.fetchVm(namespace, name);
    const vmi = await this.findVmi(namespace, name);
    const phase = vmi?.status?.phase ?? '';
    if (vmi && !isFinal(vmi) && phase !== 'Unknown' && phase !== '') throw vmConflict(name, 'VM is already running');
    if (hasTrueCondition(vm, 'ManualRecoveryRequired')) throw vmConflict(name, MESSAGES.manualRecoveryRequired);
    const startData: Record<string, string> = options.paused ? { paused: 'true' } : {};
    const strategy = runStrategyOf(vm);
    const dryRun = isDryRunAll(options.dryRun);
    switch (strategy) {
      case 'Halted':
        // A paused start goes through a Start request; the controller then flips the strategy to Always.
        if (options.paused) return this.patchStatus(vm, changeRequestPatch(vm, [{ action: 'Start', data: startData }]), dryRun);
        return this.patchSpec(vm, runningPatch(vm, true), dryRun);
      case 'RerunOnFailure':
      case 'Manual': {
        if (strategy === 'RerunOnFailure' && phase === 'Failed')
          throw vmConflict(name, 'RerunOnFailure does not support starting VM from failed state');
        const needsRestart = vmi !== undefined && (strategy === 'Manual' ? isFinal(vmi) : phase === 'Succeeded');
        const start: StateChangeRequest = { action: 'Start', data: startData };
        const requests: StateChangeRequest[] = needsRestart ? [{ action: 'Stop', uid: vmi!.metadata.uid }, start] : [start];
        return this.patchStatus(vm, changeRequestPatch(vm, requests), dryRun);
      }
      case 'Always':
      case 'Once':
        throw vmConflict(name, `${strategy} does not support manual start requests`);
      default:
        return undefined;
    }
  }

  async stop(namespace: string, name: string, options: StopOptions): Promise<void> {
    const vm = await this.fetchVm(namespace, name);
    const strategy = runStrategyOf(vm);
    const vmi = await this.findVmi(namespace, name);
    const dryRun = isDryRunAll(options.dryRun);
    const live = vmi !== undefined && !isFinal(vmi);
    let oldGracePeriod = 0;
    if (live && options.gracePeriod !== undefined) oldGracePeriod = await this.patchGracePeriod(vmi!, options.gracePeriod, dryRun);
    switch (strategy) {
      case 'Halted':
        if (!live) throw vmConflict(name, MESSAGES.vmNotRunning);
        if (
          options.gracePeriod === undefined ||
          (vmi!.spec.terminationGracePeriodSeconds !== undefined && options.gracePeriod >= oldGracePeriod)
        ) {
          throw vmConflict(name, 'Halted only supports manual stop requests with a shorter graceperiod');
        }
        return this.patchStatus(vm, changeRequestPatch(vm, [{ action: 'Stop', uid: vmi!.metadata.uid }]), dryRun);
      case 'RerunOnFailure':
      case 'Manual':
        if (!live) throw vmConflict(name, MESSAGES.vmNotRunning);
        return this.patchStatus(vm, changeRequestPatch(vm, [{ action: 'Stop', uid: vmi!.metadata.uid }]), dryRun);
      case 'Always':
      case 'Once':
        return this.patchSpec(vm, runningPatch(vm, false), dryRun);
      default:
        return undefined;
    }
  }

  async restart(namespace: string, name: string, options: RestartOptions): Promise<void> {
    const grace = options.gracePeriodSeconds;
    if (grace !== undefined && grace > 0) throw badRequest('For force restart, only gracePeriod=0 is supported for now');
    if (grace !== undefined && grace < 0) throw badRequest('gracePeriod has to be greater or equal to 0');
    const vm = await this.fetchVm(namespace, name);
    if (hasTrueCondition(vm, 'VolumesChange')) throw vmConflict(name, MESSAGES.manualRecoveryRequired);
    const strategy = runStrategyOf(vm);
    if (strategy === 'Halted' || strategy === 'Once')
      throw vmConflict(name, `RunStategy ${strategy} does not support manual restart requests`);
    const vmi = await this.findVmi(namespace, name);
    if (!vmi) throw vmConflict(name, 'VM is not running: Halted');
    const dryRun = isDryRunAll(options.dryRun);
    // A forced restart first shortens the guest's grace period to 1s so the shutdown is prompt; rolled back if the request fails.
    const force = grace === 0;
    let current = vmi;
    let oldGracePeriod = 0;
    if (force) {
      oldGracePeriod = await this.patchGracePeriod(vmi, 1, dryRun);
      current = { ...vmi, spec: { ...vmi.spec, terminationGracePeriodSeconds: 1 } };
    }
    try {
      await this.patchStatus(vm, changeRequestPatch(vm, [{ action: 'Stop', uid: vmi.metadata.uid }, { action: 'Start' }]), dryRun);
    } catch (err) {
      if (force) await this.patchGracePeriod(current, oldGracePeriod, dryRun).catch(() => undefined);
      throw err;
    }
  }

  async migrate(namespace: string, name: string, options: MigrateOptions): Promise<void> {
    await this.fetchVm(namespace, name);
    const vmi = await this.findVmi(namespace, name);
    if (!vmi) throw subjectNotFound('virtualmachineinstance', name);
    if (vmi.status?.phase !== 'Running') throw vmConflict(name, MESSAGES.vmNotRunning);
    const spec: Record<string, unknown> = { vmiName: name };
    if (options.addedNodeSelector) spec.addedNodeSelector = options.addedNodeSelector;
    try {
      await this.client.create(
        {
          apiVersion: 'kubevirt.io/v1',
          kind: 'VirtualMachineInstanceMigration',
          metadata: { generateName: 'kubevirt-migrate-vm-', namespace },
          spec,
        } as never,
        { dryRun: isDryRunAll(options.dryRun) },
      );
    } catch (err) {
      throw internalError(err instanceof Error ? err.message : String(err));
    }
  }

  private async fetchVm(namespace: string, name: string): Promise<VirtualMachine> {
    try {
      return await this.client.get<VirtualMachine>(VM_REF, namespace, name);
    } catch (err) {
      if (isNotFound(err)) throw subjectNotFound('virtualmachine', name);
      throw internalError(`unable to retrieve vm [${name}]: ${(err as Error).message}`);
    }
  }

  private async findVmi(namespace: string, name: string): Promise<VirtualMachineInstance | undefined> {
    try {
      return await this.client.get<VirtualMachineInstance>(VMI_REF, namespace, name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw internalError((err as Error).message);
    }
  }

  private async patchSpec(vm: VirtualMachine, patch: JsonPatchOp[], dryRun: boolean): Promise<void> {
    await this.applyPatch(vm, patch, undefined, dryRun);
  }

  private async patchStatus(vm: VirtualMachine, patch: JsonPatchOp[], dryRun: boolean): Promise<void> {
    await this.applyPatch(vm, patch, 'status', dryRun);
  }

  private async applyPatch(vm: VirtualMachine, patch: JsonPatchOp[], subresource: string | undefined, dryRun: boolean): Promise<void> {
    try {
      await this.client.patch(VM_REF, vm.metadata.namespace, vm.metadata.name!, 'json', patch, { subresource, dryRun });
    } catch (err) {
      // A failed `test` (someone changed the VM since it was read) is a conflict; anything else an internal error.
      if (err instanceof StatusError && err.code === 422) throw vmConflict(vm.metadata.name!, `${JSONPATCH_TEST_ERROR}: ${err.message}`);
      throw internalError(err instanceof Error ? err.message : String(err));
    }
  }

  /** Sets the VMI's terminationGracePeriodSeconds (guarded by a test of the old value); returns the old value. */
  private async patchGracePeriod(vmi: VirtualMachineInstance, seconds: number, dryRun: boolean): Promise<number> {
    const old = vmi.spec.terminationGracePeriodSeconds;
    const patch: JsonPatchOp[] =
      old === undefined
        ? [{ op: 'add', path: '/spec/terminationGracePeriodSeconds', value: seconds }]
        : [
            { op: 'test', path: '/spec/terminationGracePeriodSeconds', value: old },
            { op: 'replace', path: '/spec/terminationGracePeriodSeconds', value: seconds },
          ];
    try {
      await this.client.patch(VMI_REF, vmi.metadata.namespace, vmi.metadata.name!, 'json', patch, { dryRun });
    } catch (err) {
      throw internalError(err instanceof Error ? err.message : String(err));
    }
    return old ?? 0;
  }
}

/** VirtualMachine.RunStrategy(): spec.running maps to Always/Halted; neither set means Halted. */
export function runStrategyOf(vm: VirtualMachine): RunStrategy {
  if (vm.spec.running !== undefined && vm.spec.running !== null && vm.spec.runStrategy) {
    throw internalError('running and runstrategy are mutually exclusive');
  }
  if (vm.spec.running !== undefined && vm.spec.running !== null) return vm.spec.running ? 'Always' : 'Halted';
  return vm.spec.runStrategy ?? 'Halted';
}

/** The spec patch of start (Always) and stop (Halted), on whichever of running/runStrategy the VM uses. */
export function runningPatch(vm: VirtualMachine, running: boolean): JsonPatchOp[] {
  if (vm.spec.runStrategy !== undefined) {
    return [
      { op: 'test', path: '/spec/runStrategy', value: vm.spec.runStrategy },
      { op: 'replace', path: '/spec/runStrategy', value: running ? 'Always' : 'Halted' },
    ];
  }
  return [
    { op: 'test', path: '/spec/running', value: vm.spec.running },
    { op: 'replace', path: '/spec/running', value: running },
  ];
}

/**
 * The status patch recording change requests (getChangeRequestJson): a VM
 * with no status gets one; otherwise the pending requests are tested and the
 * new ones added when none are pending, or replace them when the new request
 * is a single Stop (a stop overrides); anything else is already underway.
 * Every request clears status.startFailure.
 */
export function changeRequestPatch(vm: VirtualMachine, requests: StateChangeRequest[]): JsonPatchOp[] {
  const cleaned = requests.map(withoutEmptyFields);
  const status = vm.status ?? {};
  if (Object.keys(status).length === 0) return [{ op: 'add', path: '/status', value: { stateChangeRequests: cleaned } }];
  const pending = status.stateChangeRequests ?? [];
  const patch: JsonPatchOp[] = [];
  // Go tests the value even when absent (null); RFC 6902 `test` needs the member, so only an existing list is tested.
  if (status.stateChangeRequests !== undefined)
    patch.push({ op: 'test', path: '/status/stateChangeRequests', value: status.stateChangeRequests });
  if (pending.length === 0) patch.push({ op: 'add', path: '/status/stateChangeRequests', value: cleaned });
  else if (cleaned.length === 1 && cleaned[0].action === 'Stop')
    patch.push({ op: 'replace', path: '/status/stateChangeRequests', value: cleaned });
  else throw internalError(ALREADY_UNDERWAY);
  if (status.startFailure !== undefined) patch.push({ op: 'remove', path: '/status/startFailure' });
  return patch;
}

/** Go's omitempty on the request's data and uid. */
function withoutEmptyFields(request: StateChangeRequest): StateChangeRequest {
  const out: StateChangeRequest = { action: request.action };
  if (request.data && Object.keys(request.data).length > 0) out.data = request.data;
  if (request.uid) out.uid = request.uid;
  return out;
}

const hasTrueCondition = (vm: VirtualMachine, type: string): boolean =>
  (vm.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');

const isDryRunAll = (dryRun: string[] | undefined): boolean => Array.isArray(dryRun) && dryRun.includes('All');

const isNotFound = (err: unknown): boolean => err instanceof StatusError && err.code === 404;
