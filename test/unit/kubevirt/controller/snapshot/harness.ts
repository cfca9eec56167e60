/**
 * The virt-controller harness (test/unit/kubevirt/controller/harness.ts)
 * plus KubeVirt's snapshot, restore, clone and export CRDs; no virt-api, so
 * objects are stored as written. A claim is bound by a volume made for it by
 * hand (a CSI volume pre-bound to the claim), which the cluster's PV controller binds.
 */
import type { KubeObject } from '../../../../../src/api/types.js';
import type { KindRef } from '../../../../../src/client/client.js';
import { startHarness, type Harness } from '../harness.js';
import { projectYaml } from '../../../../helpers/project-yaml.js';

export const SNAPSHOT: KindRef = { apiVersion: 'snapshot.kubevirt.io/v1beta1', kind: 'VirtualMachineSnapshot' };
export const CONTENT: KindRef = { apiVersion: 'snapshot.kubevirt.io/v1beta1', kind: 'VirtualMachineSnapshotContent' };
export const RESTORE: KindRef = { apiVersion: 'snapshot.kubevirt.io/v1beta1', kind: 'VirtualMachineRestore' };
export const CLONE: KindRef = { apiVersion: 'clone.kubevirt.io/v1beta1', kind: 'VirtualMachineClone' };
export const EXPORT: KindRef = { apiVersion: 'export.kubevirt.io/v1', kind: 'VirtualMachineExport' };
export const PVC: KindRef = { apiVersion: 'v1', kind: 'PersistentVolumeClaim' };

const CRDS = [
  'virtualmachinesnapshots.snapshot.kubevirt.io',
  'virtualmachinesnapshotcontents.snapshot.kubevirt.io',
  'virtualmachinerestores.snapshot.kubevirt.io',
  'virtualmachineclones.clone.kubevirt.io',
  'virtualmachineexports.export.kubevirt.io',
];
const crd = (name: string): KubeObject =>
  projectYaml(new URL(`../../../../../schemas/kubevirt/crds/${name}.yaml`, import.meta.url)) as KubeObject;

export async function startSnapshotHarness(): Promise<Harness> {
  const h = await startHarness();
  for (const name of CRDS) await h.client.create(crd(name));
  await h.waitFor('storage kinds served', async () => {
    for (const ref of [SNAPSHOT, CONTENT, RESTORE, CLONE, EXPORT]) await h.client.list(ref, { namespace: 'default' });
    return true;
  });
  return h;
}

export type Status = Record<string, unknown> & { phase?: string; conditions?: Array<{ type: string; status: string; reason?: string }> };
export type WithStatus = KubeObject & { status?: Status; spec?: Record<string, unknown> };

export const statusOf = async (h: Harness, ref: KindRef, name: string): Promise<Status> =>
  ((await h.client.get<WithStatus>(ref, 'default', name)).status ?? {}) as Status;

export const condition = (status: Status, type: string): { status: string; reason?: string } | undefined =>
  status.conditions?.find((c) => c.type === type);

export async function waitForPhase(h: Harness, ref: KindRef, name: string, phase: string): Promise<Status> {
  return h.waitFor(`${ref.kind} ${name} ${phase}`, async () => {
    const status = (await h.tryGet<WithStatus>(ref, 'default', name))?.status;
    return status?.phase === phase ? status : undefined;
  });
}

/** A bound claim, as if a provisioner had bound it. */
export async function boundClaim(h: Harness, name: string, storageClassName = 'standard'): Promise<void> {
  const spec = { accessModes: ['ReadWriteOnce'], storageClassName };
  await h.client.create({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: 'default' },
    spec: { ...spec, resources: { requests: { storage: '1Gi' } } },
  } as KubeObject);
  await h.client.create({
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: `pv-${name}` },
    spec: {
      ...spec,
      capacity: { storage: '1Gi' },
      claimRef: { namespace: 'default', name },
      csi: { driver: 'csi.example.com', volumeHandle: name },
    },
  } as KubeObject);
  await h.waitFor(`claim ${name} bound`, async () => (await h.tryGet<WithStatus>(PVC, 'default', name))?.status?.phase === 'Bound');
}

export const snapshotOf = (name: string, vm: string, extra: Record<string, unknown> = {}): KubeObject =>
  ({
    apiVersion: SNAPSHOT.apiVersion,
    kind: SNAPSHOT.kind,
    metadata: { name, namespace: 'default' },
    spec: { source: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: vm }, ...extra },
  }) as KubeObject;
