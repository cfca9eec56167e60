/**
 * virtualmachineinstances/{pause,unpause,softreboot,reset,freeze,unfreeze}
 * (pkg/virt-api/rest/lifecycle.go): virt-api validates the VMI, then asks the
 * virt-handler of the VMI's node to act on the domain. Success is 200 with an
 * empty body; a handler failure is a 500.
 */
import { StatusError, forbidden, internalError } from '../../../api/errors.js';
import type { Client } from '../../../client/client.js';
import { VMI_REF, VM_REF } from '../../controller/constants.js';
import type { VirtualMachine, VirtualMachineInstance } from '../../controller/types.js';
import type { GuestMachine } from '../../handler/guest/machine.js';
import { MESSAGES, subjectNotFound, vmConflict, vmiConflict } from './responses.js';

/**
 * What virt-api calls on virt-handler (in KubeVirt a REST call to the handler
 * of the VMI's node). src/kubevirt/handler's `handlerCommands(ctx)` provides
 * the required four; freeze/unfreeze are optional until the handler has them.
 */
export interface VirtHandlerClient {
  pause(namespace: string, name: string): Promise<void>;
  unpause(namespace: string, name: string): Promise<void>;
  softReboot(namespace: string, name: string): Promise<void>;
  reset(namespace: string, name: string): Promise<void>;
  /** The VMI's running guest (console, port-forward, guest agent); optional for handlers that simulate none. */
  guest?(namespace: string, name: string): Promise<GuestMachine>;
  freeze?(namespace: string, name: string, unfreezeTimeoutSeconds: number): Promise<void>;
  unfreeze?(namespace: string, name: string): Promise<void>;
}

/** A VMI check before the handler is called; returns the error to answer with. */
type Validation = (vmi: VirtualMachineInstance) => StatusError | undefined;

export class VmiLifecycle {
  constructor(
    private readonly client: Client,
    private readonly handler: VirtHandlerClient,
  ) {}

  async pause(namespace: string, name: string, dryRun: boolean): Promise<void> {
    await this.onHandler(namespace, name, pauseValidation, (h) => h.pause(namespace, name), dryRun);
  }

  async unpause(namespace: string, name: string, dryRun: boolean): Promise<void> {
    // Unpausing would let the guest write while a snapshot of its VM is taken.
    const vm = await this.client.get<VirtualMachine>(VM_REF, namespace, name).catch((err: unknown) => {
      if (err instanceof StatusError && err.code === 404) return undefined;
      throw err;
    });
    if (vm?.status?.snapshotInProgress) throw vmConflict(name, MESSAGES.vmSnapshotInProgress);
    await this.onHandler(namespace, name, unpauseValidation, (h) => h.unpause(namespace, name), dryRun);
  }

  async softReboot(namespace: string, name: string): Promise<void> {
    await this.onHandler(namespace, name, softRebootValidation, (h) => h.softReboot(namespace, name), false);
  }

  async freeze(namespace: string, name: string, unfreezeTimeoutSeconds: number): Promise<void> {
    await this.onHandler(
      namespace,
      name,
      runningValidation(MESSAGES.vmNotRunning),
      (h) => {
        if (!h.freeze) throw internalError('the simulated virt-handler does not support freezing guest filesystems');
        return h.freeze(namespace, name, unfreezeTimeoutSeconds);
      },
      false,
    );
  }

  async unfreeze(namespace: string, name: string): Promise<void> {
    await this.onHandler(
      namespace,
      name,
      runningValidation(MESSAGES.vmiNotRunning),
      (h) => {
        if (!h.unfreeze) throw internalError('the simulated virt-handler does not support freezing guest filesystems');
        return h.unfreeze(namespace, name);
      },
      false,
    );
  }

  /** reset has no validation; a failure on a VMI that is not running says so (errorPostProcessing). */
  async reset(namespace: string, name: string): Promise<void> {
    const vmi = await this.fetchVmi(namespace, name);
    try {
      await this.handler.reset(namespace, name);
    } catch (err) {
      const message =
        err instanceof StatusError ? err.message.replace(/^Internal error occurred: /, '') : String((err as Error).message ?? err);
      if (vmi.status?.phase !== 'Running')
        throw internalError(`Failed to reset non-running VMI with phase ${vmi.status?.phase ?? ''}: ${message}`);
      throw asInternal(err);
    }
  }

  async fetchVmi(namespace: string, name: string): Promise<VirtualMachineInstance> {
    try {
      return await this.client.get<VirtualMachineInstance>(VMI_REF, namespace, name);
    } catch (err) {
      if (err instanceof StatusError && err.code === 404) throw subjectNotFound('virtualmachineinstance', name);
      throw internalError(`unable to retrieve vmi [${name}]: ${(err as Error).message}`);
    }
  }

  private async onHandler(
    namespace: string,
    name: string,
    validate: Validation,
    act: (handler: VirtHandlerClient) => Promise<void>,
    dryRun: boolean,
  ): Promise<void> {
    const vmi = await this.fetchVmi(namespace, name);
    const invalid = validate(vmi);
    if (invalid) throw invalid;
    if (dryRun) return;
    try {
      await act(this.handler);
    } catch (err) {
      throw asInternal(err);
    }
  }
}

const asInternal = (err: unknown): StatusError =>
  err instanceof StatusError && err.code === 500 ? err : internalError(err instanceof Error ? err.message : String(err));

export const hasCondition = (vmi: VirtualMachineInstance, type: string): boolean =>
  (vmi.status?.conditions ?? []).some((c) => c.type === type);

const hasTrueCondition = (vmi: VirtualMachineInstance, type: string): boolean =>
  (vmi.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');

const runningValidation =
  (message: string): Validation =>
  (vmi) =>
    vmi.status?.phase !== 'Running' ? vmiConflict(vmi.metadata.name!, message) : undefined;

const pauseValidation: Validation = (vmi) => {
  const name = vmi.metadata.name!;
  if (vmi.status?.phase !== 'Running') return vmiConflict(name, MESSAGES.vmNotRunning);
  const probe = vmi.spec.livenessProbe as { guestAgentPing?: unknown } | undefined;
  if (probe && !probe.guestAgentPing) {
    return forbidden(
      { group: 'kubevirt.io', resource: 'virtualmachineinstance', name },
      'Pausing VMIs with a non-GuestAgentPing LivenessProbe is not supported',
    );
  }
  if (hasCondition(vmi, 'Paused')) return vmiConflict(name, 'VMI is already paused');
  return undefined;
};

const unpauseValidation: Validation = (vmi) => {
  const name = vmi.metadata.name!;
  if (vmi.status?.phase !== 'Running') return vmiConflict(name, MESSAGES.vmiNotRunning);
  if (!hasCondition(vmi, 'Paused')) return vmiConflict(name, MESSAGES.vmiNotPaused);
  return undefined;
};

const softRebootValidation: Validation = (vmi) => {
  const name = vmi.metadata.name!;
  if (vmi.status?.phase !== 'Running') return vmiConflict(name, MESSAGES.vmNotRunning);
  if (hasTrueCondition(vmi, 'Paused')) return vmiConflict(name, 'VMI is paused');
  const acpi = (vmi.spec.domain.features as { acpi?: { enabled?: boolean } } | undefined)?.acpi;
  if (!hasCondition(vmi, 'AgentConnected') && acpi?.enabled === false) {
    return vmiConflict(name, 'VMI neither have the agent connected nor the ACPI feature enabled');
  }
  return undefined;
};
