/**
 * An emulator with KubeVirt's CRDs installed (no operator, no controllers)
 * and virt-api's subresources backend called directly, with a virt-handler
 * stand-in that records what it is asked to do.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../../../../src/api/types.js';
import { adminUser } from '../../../../../src/auth/user.js';
import { startEmulator, type RunningEmulator } from '../../../../../src/emulator.js';
import { virtApiSubresources, type VirtHandlerClient } from '../../../../../src/kubevirt/api/subresources/index.js';
import type { AggregatedBackend, BackendResponse } from '../../../../../src/api/extension-points.js';
import { guestOfVmi } from '../../../../../src/kubevirt/handler/guest-os.js';
import { guestAccounts } from '../../../../../src/kubevirt/handler/guest/accounts.js';
import { GuestMachine } from '../../../../../src/kubevirt/handler/guest/machine.js';
import { projectYaml } from '../../../../helpers/project-yaml.js';

const crdsDir = new URL('../../../../../schemas/kubevirt/crds/', import.meta.url);
const CRDS = [
  'virtualmachines.kubevirt.io',
  'virtualmachineinstances.kubevirt.io',
  'virtualmachineinstancemigrations.kubevirt.io',
  'kubevirts.kubevirt.io',
];

export const VM_REF = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine' };
export const VMI_REF = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance' };
export const VMIM_REF = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceMigration' };

export async function installKubeVirtCrds(emulator: RunningEmulator): Promise<void> {
  for (const name of CRDS) {
    const crd = projectYaml(new URL(`${name}.yaml`, crdsDir)) as KubeObject;
    await emulator.client.create(crd);
  }
  // CRDs serve once Established; wait for each kind to answer a list.
  for (const ref of [VM_REF, VMI_REF, VMIM_REF]) {
    for (let i = 0; ; i++) {
      try {
        await emulator.client.list(ref);
        break;
      } catch (err) {
        if (i > 200) throw err;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
  }
}

export interface HandlerCall {
  command: string;
  namespace: string;
  name: string;
}

export interface Harness {
  emulator: RunningEmulator;
  backend: AggregatedBackend;
  handlerCalls: HandlerCall[];
  /** A request as the aggregator forwards it; `body` is the raw request body. */
  call(method: string, path: string, body?: string): Promise<BackendResponse & { json?: unknown }>;
  vm(name: string, spec: Record<string, unknown>, status?: Record<string, unknown>): Promise<KubeObject>;
  vmi(name: string, status: Record<string, unknown>, spec?: Record<string, unknown>, ownerVm?: KubeObject): Promise<KubeObject>;
  get(ref: typeof VM_REF, name: string): Promise<KubeObject & { spec: Record<string, unknown>; status?: Record<string, unknown> }>;
}

const vmiSpec = () => ({
  domain: { devices: { disks: [{ name: 'containerdisk', disk: { bus: 'virtio' } }] }, resources: { requests: { memory: '128Mi' } } },
  volumes: [{ name: 'containerdisk', containerDisk: { image: 'quay.io/containerdisks/fedora:41' } }],
});

export async function harness(t: { teardown(fn: () => unknown): void }): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'subresources-test-'));
  const emulator = await startEmulator({
    port: 0,
    insecureHttp: true,
    kubeconfigPath: join(dir, 'kubeconfig'),
    clock: 'virtual',
    logLevel: 'error',
  });
  t.teardown(async () => {
    await emulator.stop();
    await rm(dir, { recursive: true, force: true });
  });
  await installKubeVirtCrds(emulator);
  const handlerCalls: HandlerCall[] = [];
  const record = (command: string) => async (namespace: string, name: string) => {
    handlerCalls.push({ command, namespace, name });
  };
  // The guest of a VMI, as the handler's domain would hold it; power actions from inside are recorded.
  const machines = new Map<string, GuestMachine>();
  const handler: VirtHandlerClient = {
    pause: record('pause'),
    unpause: record('unpause'),
    softReboot: record('softReboot'),
    reset: record('reset'),
    async guest(namespace, name) {
      const key = `${namespace}/${name}`;
      if (!machines.has(key)) {
        const vmi = (await emulator.client.get(VMI_REF, namespace, name)) as never;
        const guest = guestOfVmi(vmi);
        const hooks = {
          powerOff: () => void record('powerOff')(namespace, name),
          reboot: () => void record('reboot')(namespace, name),
          reachable: () => false,
          vmi: () => vmi,
          newBootId: () => '9e7a2d8c-3f1b-4c55-8a0e-1d2f3b4c5d6e',
        };
        machines.set(key, new GuestMachine(guest, emulator.clock, hooks, guestAccounts(vmi, guest, new Map())));
      }
      return machines.get(key)!;
    },
  };
  const backend = virtApiSubresources({ client: emulator.client, handler, kubernetesVersion: 'v1.32.3' });
  const client = emulator.client;
  return {
    emulator,
    backend,
    handlerCalls,
    async call(method, path, body) {
      const response = await backend.serve({
        method,
        path,
        query: new URLSearchParams(),
        headers: {},
        body: body === undefined ? undefined : Buffer.from(body),
        user: adminUser,
      });
      const isJson = response.contentType === 'application/json';
      return { ...response, json: isJson ? JSON.parse(String(response.body)) : undefined };
    },
    async vm(name, spec, status) {
      const created = await client.create({
        apiVersion: 'kubevirt.io/v1',
        kind: 'VirtualMachine',
        metadata: { name, namespace: 'default' },
        spec: { template: { spec: vmiSpec() }, ...spec },
      } as KubeObject);
      if (!status) return created;
      return client.update({ ...created, status } as KubeObject, { subresource: 'status' });
    },
    async vmi(name, status, spec = {}, ownerVm) {
      const metadata: Record<string, unknown> = { name, namespace: 'default' };
      if (ownerVm)
        metadata.ownerReferences = [
          {
            apiVersion: 'kubevirt.io/v1',
            kind: 'VirtualMachine',
            name: ownerVm.metadata.name,
            uid: ownerVm.metadata.uid,
            controller: true,
          },
        ];
      return client.create({
        apiVersion: 'kubevirt.io/v1',
        kind: 'VirtualMachineInstance',
        metadata,
        spec: { ...vmiSpec(), ...spec },
        status,
      } as KubeObject);
    },
    get: (ref, name) => client.get(ref, 'default', name) as never,
  };
}

export const base = '/apis/subresources.kubevirt.io/v1/namespaces/default';
