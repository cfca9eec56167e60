/**
 * virtualmachines/{memorydump,removememorydump} (pkg/virt-api/rest/memorydump.go of KubeVirt v1.9): the request is
 * checked (the VMI running, the claim a writable filesystem claim big enough for the guest's memory plus 100 MiB and
 * the filesystem overhead) and written into the VM's status.memoryDumpRequest with a JSON patch guarded by a `test`;
 * virt-controller takes it from there. Success is 202 with an empty body.
 */
import { StatusError, badRequest, conflict, internalError, notFound } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/types.js';
import type { Client } from '../../../client/client.js';
import type { PersistentVolumeClaim } from '../../../kube/volumes.js';
import { formatQuantity, parseQuantity } from '../../../kube/quantity.js';
import { PVC_REF, VM_REF, VMI_REF } from '../../controller/constants.js';
import type { MemoryDumpRequest } from '../../controller/hotplug/memory-dump.js';
import type { VirtualMachine, VirtualMachineInstance } from '../../controller/types.js';
import { admissionConfig } from '../admission/config.js';
import { MESSAGES, decodeOptions, subjectConflict, subjectNotFound, vmConflict } from './responses.js';

const HOTPLUG_NOT_ENABLED = 'Enable DeclarativeHotplugVolumes or HotplugVolumes feature gate to use this API.';
/** kutil.CalcExpectedMemoryDumpSize: the dump holds the guest memory plus this much. */
const MEMORY_DUMP_OVERHEAD = 100 * 1024 * 1024;
/** CDI's default filesystem overhead (no CDIConfig in the cluster). */
const DEFAULT_FS_OVERHEAD = 0.055;
const MIB = 1024 * 1024;

/** Errors about the claim name KubeVirt's own resource (v1.Resource("persistentvolumeclaim")), hence the kubevirt.io group. */
const claimTarget = (name: string) => ({ group: 'kubevirt.io', resource: 'persistentvolumeclaim', name });

export class MemoryDump {
  constructor(
    private readonly client: Client,
    private readonly kubeVirt: () => Promise<KubeObject | undefined>,
  ) {}

  async request(namespace: string, name: string, body: Buffer | undefined): Promise<void> {
    const config = admissionConfig(await this.kubeVirt());
    if (!config.isGateEnabled('DeclarativeHotplugVolumes') && !config.isGateEnabled('HotplugVolumes'))
      throw badRequest(HOTPLUG_NOT_ENABLED);
    const request = decodeOptions<Partial<MemoryDumpRequest>>(body, 'v1.VirtualMachineMemoryDumpRequest');
    const vm = await this.fetchVm(namespace, name);
    const current = vm.status?.memoryDumpRequest as MemoryDumpRequest | undefined;
    let claimName = request.claimName ?? '';
    if (!claimName && !current) throw badRequest('Memory dump requires claim name to be set');
    if (current && claimName && current.claimName !== claimName)
      throw vmConflict(
        name,
        `can't request memory dump for pvc [${claimName}] while pvc [${current.claimName}] is still associated as the memory dump pvc`,
      );
    if (current && !claimName) claimName = current.claimName;
    const vmi = await this.client.get<VirtualMachineInstance>(VMI_REF, namespace, name).catch((err: unknown) => {
      throw err instanceof StatusError && err.code === 404 ? subjectNotFound('virtualmachineinstance', name) : err;
    });
    if (vmi.status?.phase !== 'Running') throw subjectConflict('virtualmachineinstance', name, MESSAGES.vmiNotRunning);
    await this.validateClaim(vmi, namespace, claimName);

    if (current?.phase === 'Dissociating')
      throw vmConflict(name, `can't dump memory for pvc [${claimName}] a remove memory dump request is in progress`);
    if (current && current.phase !== 'Completed' && current.phase !== 'Failed')
      throw vmConflict(name, `memory dump request for pvc [${claimName}] already in progress`);
    await this.patchRequest(vm, { ...request, claimName, phase: 'Associating' } as MemoryDumpRequest);
  }

  async remove(namespace: string, name: string): Promise<void> {
    const vm = await this.fetchVm(namespace, name);
    const current = vm.status?.memoryDumpRequest as MemoryDumpRequest | undefined;
    if (!current) throw vmConflict(name, `can't remove memory dump association for vm ${name}, no association found`);
    if (current.remove) throw vmConflict(name, `memory dump remove request for pvc [${current.claimName}] already exists`);
    await this.patchRequest(vm, { claimName: current.claimName, phase: 'Dissociating', remove: true });
  }

  /** validateMemoryDumpClaim. */
  private async validateClaim(vmi: VirtualMachineInstance, namespace: string, claimName: string): Promise<void> {
    let claim: PersistentVolumeClaim;
    try {
      claim = await this.client.get<PersistentVolumeClaim>(PVC_REF, namespace, claimName);
    } catch (err) {
      if (err instanceof StatusError && err.code === 404) throw notFound(claimTarget(claimName));
      throw internalError(`unable to retrieve pvc [${claimName}]: ${(err as Error).message}`);
    }
    if (claim.spec?.volumeMode === 'Block') throw conflict(claimTarget(claimName), 'pvc should be filesystem pvc');
    if (claim.spec?.accessModes?.includes('ReadOnlyMany')) throw conflict(claimTarget(claimName), "pvc access mode can't be read only");
    const requested = parseQuantity(claim.spec?.resources?.requests?.storage ?? '0');
    const scaled = Math.ceil(requested / 1000) * 1000;
    const memory = vmi.spec.domain.resources?.requests?.memory;
    const expected = Math.ceil(((1 + DEFAULT_FS_OVERHEAD) * ((memory ? parseQuantity(memory) : 0) + MEMORY_DUMP_OVERHEAD)) / MIB) * MIB;
    if (scaled < expected) {
      // The sizes print as Go's Quantity: the claim scaled to kilo, the expectation in the memory request's format.
      const needed = memory && /i$/.test(memory) ? formatQuantity('memory', expected) : formatQuantity('count', expected);
      throw conflict(claimTarget(claimName), `pvc size [${formatQuantity('count', scaled)}] should be bigger then [${needed}]`);
    }
  }

  private async fetchVm(namespace: string, name: string): Promise<VirtualMachine> {
    try {
      return await this.client.get<VirtualMachine>(VM_REF, namespace, name);
    } catch (err) {
      if (err instanceof StatusError && err.code === 404) throw subjectNotFound('virtualmachine', name);
      throw internalError(`unable to retrieve vm [${name}]: ${(err as Error).message}`);
    }
  }

  private async patchRequest(vm: VirtualMachine, next: MemoryDumpRequest): Promise<void> {
    const current = vm.status?.memoryDumpRequest;
    const ops = [
      { op: 'test', path: '/status/memoryDumpRequest', value: current ?? null },
      { op: current ? 'replace' : 'add', path: '/status/memoryDumpRequest', value: next },
    ];
    try {
      await this.client.patch(VM_REF, vm.metadata.namespace, vm.metadata.name ?? '', 'json', ops, { subresource: 'status' });
    } catch (err) {
      if (err instanceof StatusError && err.code === 422) throw err;
      throw internalError(`unable to patch vm status: ${(err as Error).message}`);
    }
  }
}
