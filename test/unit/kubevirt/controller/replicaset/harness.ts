/**
 * The virt-controller harness (test/unit/kubevirt/controller/harness.ts)
 * plus the VirtualMachineInstanceReplicaSet and VirtualMachinePool CRDs:
 * their informers, started before the CRDs exist, list again once they do.
 */
import type { KubeObject } from '../../../../../src/api/types.js';
import type { KindRef } from '../../../../../src/client/client.js';
import { startHarness, type Harness } from '../harness.js';
import { projectYaml } from '../../../../helpers/project-yaml.js';

export const VMIRS: KindRef = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceReplicaSet' };
export const POOL: KindRef = { apiVersion: 'pool.kubevirt.io/v1beta1', kind: 'VirtualMachinePool' };
const CRD: KindRef = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' };

const crd = (name: string): KubeObject =>
  projectYaml(new URL(`../../../../../schemas/kubevirt/crds/${name}.yaml`, import.meta.url)) as KubeObject;

export async function startReplicaHarness(): Promise<Harness> {
  const h = await startHarness();
  for (const name of ['virtualmachineinstancereplicasets.kubevirt.io', 'virtualmachinepools.pool.kubevirt.io'])
    await h.client.create(crd(name));
  await h.waitFor('VMIRS and pool served', async () => {
    await h.client.list(VMIRS, { namespace: 'default' });
    await h.client.list(POOL, { namespace: 'default' });
    return (await h.client.list(CRD)).items.length >= 5;
  });
  return h;
}

export interface ReplicaStatusView {
  replicas?: number;
  readyReplicas?: number;
  labelSelector?: string;
  conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
}

export const statusOf = async (h: Harness, ref: KindRef, name: string): Promise<ReplicaStatusView> =>
  ((await h.client.get(ref, 'default', name)).status ?? {}) as ReplicaStatusView;

/** A merge patch of `/scale` over HTTP, as `kubectl scale` sends it (the in-process client has no scale subresource). */
export async function patchScale(h: Harness, path: string, replicas: number): Promise<Record<string, unknown>> {
  const response = await fetch(`${h.emulator.url}${path}/scale`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/merge-patch+json', authorization: `Bearer ${h.emulator.adminToken}` },
    body: JSON.stringify({ spec: { replicas } }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`scale ${path}: ${response.status} ${JSON.stringify(body)}`);
  return body;
}
