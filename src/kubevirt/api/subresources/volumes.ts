/**
 * virtualmachines/{addvolume,removevolume} and virtualmachineinstances/{addvolume,removevolume}
 * (pkg/virt-api/rest/volumes.go of KubeVirt v1.9): the options checked, then a JSON patch with `test`
 * operations (so a concurrent change fails instead of being overwritten) on
 * - the VM's template (DeclarativeHotplugVolumes, Beta, on by default: virt-controller then carries the change to
 *   the running VMI),
 * - the VM's status.volumeRequests (the deprecated HotplugVolumes gate),
 * - the VMI's spec (the VMI subresource: a standalone VMI, or any VMI under HotplugVolumes).
 * Success is 202 with an empty body.
 */
import { StatusError, badRequest, internalError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/types.js';
import type { Client, KindRef } from '../../../client/client.js';
import { VM_REF, VMI_REF } from '../../controller/constants.js';
import {
  type AddVolumeOptions,
  type RemoveVolumeOptions,
  type VolumeRequest,
  applyVolumeRequest,
  claimNameOf,
} from '../../controller/hotplug/volumes.js';
import type { VirtualMachine, VirtualMachineInstance, Volume, VmiSpec } from '../../controller/types.js';
import { admissionConfig } from '../admission/config.js';
import { MESSAGES, decodeOptions, subjectConflict, subjectNotFound, type Subject } from './responses.js';

const HOTPLUG_NOT_ENABLED = 'Enable DeclarativeHotplugVolumes or HotplugVolumes feature gate to use this API.';

type Target = 'vm' | 'vmi';

export class VolumeHotplug {
  constructor(
    private readonly client: Client,
    private readonly kubeVirt: () => Promise<KubeObject | undefined>,
  ) {}

  async add(target: Target, namespace: string, name: string, body: Buffer | undefined): Promise<void> {
    const gates = await this.gates();
    const opts = decodeOptions<AddVolumeOptions>(body, 'v1.AddVolumeOptions');
    if (!opts.name) throw badRequest('AddVolumeOptions requires name to be set');
    if (!opts.disk) throw badRequest('AddVolumeOptions requires disk to not be nil');
    if (!opts.volumeSource) throw badRequest('AddVolumeOptions requires VolumeSource to not be nil');
    const source = opts.volumeSource;
    const request: VolumeRequest = {
      addVolumeOptions: {
        ...opts,
        disk: { ...opts.disk, name: opts.name },
        volumeSource: source.dataVolume
          ? { ...source, dataVolume: { ...source.dataVolume, hotpluggable: true } }
          : source.persistentVolumeClaim
            ? { ...source, persistentVolumeClaim: { ...source.persistentVolumeClaim, hotpluggable: true } }
            : source,
      },
    };
    await this.dispatch(target, namespace, name, request, gates);
  }

  async remove(target: Target, namespace: string, name: string, body: Buffer | undefined): Promise<void> {
    const gates = await this.gates();
    const opts = decodeOptions<RemoveVolumeOptions>(body, 'v1.RemoveVolumeOptions');
    if (!opts.name) throw badRequest('RemoveVolumeOptions requires name to be set');
    await this.dispatch(target, namespace, name, { removeVolumeOptions: opts }, gates);
  }

  /** The feature gates that decide the path; neither on is a 400 before the body is read. */
  private async gates(): Promise<{ legacy: boolean }> {
    const config = admissionConfig(await this.kubeVirt());
    const legacy = config.isGateEnabled('HotplugVolumes');
    if (!legacy && !config.isGateEnabled('DeclarativeHotplugVolumes')) throw badRequest(HOTPLUG_NOT_ENABLED);
    return { legacy };
  }

  private async dispatch(target: Target, namespace: string, name: string, request: VolumeRequest, gates: { legacy: boolean }) {
    const dryRun = dryRunOf(request);
    if (target === 'vmi') {
      const vmi = await this.fetch<VirtualMachineInstance>(VMI_REF, 'virtualmachineinstance', namespace, name);
      if (ownedByVm(vmi) && !gates.legacy) throw badRequest(`VMI ${namespace}/${name} is owned by a VM`);
      if (vmi.status?.phase !== 'Running') throw subjectConflict('virtualmachineinstance', name, MESSAGES.vmiNotRunning);
      verifyVolumeOption(vmi.spec.volumes ?? [], request, 'virtualmachineinstance', name);
      await this.patch(VMI_REF, 'vmi', namespace, name, specPatch('', vmi.spec, request), dryRun);
      return;
    }
    const vm = await this.fetch<VirtualMachine>(VM_REF, 'virtualmachine', namespace, name);
    verifyVolumeOption(vm.spec.template.spec.volumes ?? [], request, 'virtualmachine', name);
    if (gates.legacy) await this.patch(VM_REF, 'vm status', namespace, name, volumeRequestsPatch(vm, request), dryRun, 'status');
    else await this.patch(VM_REF, 'vm', namespace, name, specPatch('/spec/template', vm.spec.template.spec, request), dryRun);
  }

  private async fetch<T extends KubeObject>(ref: KindRef, subject: Subject, namespace: string, name: string): Promise<T> {
    try {
      return await this.client.get<T>(ref, namespace, name);
    } catch (err) {
      if (err instanceof StatusError && err.code === 404) throw subjectNotFound(subject, name);
      throw internalError(`unable to retrieve ${subject === 'virtualmachine' ? 'vm' : 'vmi'} [${name}]: ${(err as Error).message}`);
    }
  }

  /** Invalid (422) answers pass through as they are; anything else is virt-api's 500 "unable to patch ...". */
  private async patch(ref: KindRef, what: string, ns: string, name: string, ops: unknown[], dryRun: boolean, subresource?: string) {
    try {
      await this.client.patch(ref, ns, name, 'json', ops, { dryRun, subresource });
    } catch (err) {
      if (err instanceof StatusError && err.code === 422) throw err;
      throw internalError(`unable to patch ${what}: ${(err as Error).message}`);
    }
  }
}

const dryRunOf = (request: VolumeRequest): boolean => (request.addVolumeOptions ?? request.removeVolumeOptions)?.dryRun?.[0] === 'All';

function ownedByVm(vmi: VirtualMachineInstance): boolean {
  const owner = vmi.metadata.ownerReferences?.find((ref) => ref.controller);
  return owner?.kind === 'VirtualMachine' && owner.apiVersion === 'kubevirt.io/v1';
}

const isHotpluggable = (volume: Volume): boolean =>
  Boolean((volume.dataVolume as { hotpluggable?: boolean } | undefined)?.hotpluggable) ||
  Boolean((volume.persistentVolumeClaim as { hotpluggable?: boolean } | undefined)?.hotpluggable);

/** verifyVolumeOption: no name or claim twice on add; on remove the volume (by name or claim) must exist and be hotpluggable. */
function verifyVolumeOption(volumes: readonly Volume[], request: VolumeRequest, subject: Subject, name: string): void {
  const fail = (why: string) => subjectConflict(subject, name, why);
  const add = request.addVolumeOptions;
  if (add) {
    const sourceName = add.volumeSource?.dataVolume?.name ?? add.volumeSource?.persistentVolumeClaim?.claimName ?? '';
    for (const volume of volumes) {
      if (volume.name === add.name) throw fail(`Unable to add volume [${add.name}] because volume with that name already exists`);
      if (claimOf(volume) === sourceName) throw fail(`Unable to add volume source [${sourceName}] because it already exists`);
    }
    return;
  }
  const removed = request.removeVolumeOptions!.name;
  const found = volumes.find((v) => v.name === removed || claimOf(v) === removed);
  if (!found) throw fail(`Unable to remove volume [${removed}] because it does not exist`);
  if (!isHotpluggable(found)) throw fail(`Unable to remove volume [${found.name}] because it is not hotpluggable`);
}

/** volumeSourceExists compares only PVC and DataVolume sources. */
const claimOf = (volume: Volume): string | undefined => (volume.memoryDump ? undefined : claimNameOf(volume));

/** generateVolumeRequestPatch: test both lists as they were, then replace (or add, when empty) them. */
function specPatch(prefix: string, spec: VmiSpec, request: VolumeRequest): unknown[] {
  const next = applyVolumeRequest(spec, request);
  const lists = [
    { path: `${prefix}/spec/volumes`, before: spec.volumes, after: next.volumes },
    { path: `${prefix}/spec/domain/devices/disks`, before: spec.domain.devices?.disks, after: next.domain.devices?.disks },
  ];
  return [
    ...lists.map((l) => ({ op: 'test', path: l.path, value: l.before ?? null })),
    ...lists.map((l) => ({ op: l.before?.length ? 'replace' : 'add', path: l.path, value: l.after ?? [] })),
  ];
}

/** generateVMVolumeRequestPatch: the request appended to status.volumeRequests (a remove drops a pending add of the volume). */
function volumeRequestsPatch(vm: VirtualMachine, request: VolumeRequest): unknown[] {
  const current = (vm.status?.volumeRequests as VolumeRequest[] | undefined) ?? [];
  const conflict = (why: string) => subjectConflict('virtualmachine', vm.metadata.name ?? '', why);
  let next: VolumeRequest[];
  if (request.addVolumeOptions) {
    const name = request.addVolumeOptions.name;
    for (const r of current) {
      if (r.addVolumeOptions?.name === name) throw conflict(`add volume request for volume [${name}] already exists`);
      if (r.removeVolumeOptions?.name === name)
        throw conflict(
          `unable to add volume since a remove volume request for volume [${name}] already exists and is still being processed`,
        );
    }
    next = [...current, request];
  } else {
    const name = request.removeVolumeOptions!.name;
    if (current.some((r) => r.removeVolumeOptions?.name === name))
      throw conflict(`a remove volume request for volume [${name}] already exists and is still being processed`);
    next = [...current.filter((r) => r.addVolumeOptions?.name !== name), request];
  }
  return [
    { op: 'test', path: '/status/volumeRequests', value: current.length ? current : null },
    { op: current.length ? 'replace' : 'add', path: '/status/volumeRequests', value: next },
  ];
}
