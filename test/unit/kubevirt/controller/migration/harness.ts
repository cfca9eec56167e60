/**
 * A whole emulator on a virtual clock with KubeVirt installed from the
 * release manifests (operator, virt-api webhooks, virt-controller, a
 * virt-handler per worker) on two workers, for migration tests.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../../../../src/api/types.js';
import type { Client, KindRef } from '../../../../../src/client/client.js';
import { startEmulator, type RunningEmulator } from '../../../../../src/emulator.js';
import type { VirtualClock } from '../../../../../src/runtime/clock.js';
import { applyAll, manifest, KUBEVIRT_REF } from '../../operator/operator-harness.js';
import { example } from '../harness.js';
import { virtualWaitFor } from '../../../../helpers/virtual-wait.js';

export const VM: KindRef = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine' };
export const VMI: KindRef = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance' };
export const VMIM: KindRef = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceMigration' };
export const POD: KindRef = { apiVersion: 'v1', kind: 'Pod' };
const NODE: KindRef = { apiVersion: 'v1', kind: 'Node' };

export type Obj = KubeObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> & { phase?: string; nodeName?: string } };

export interface MigrationHarness {
  emulator: RunningEmulator;
  client: Client;
  clock: VirtualClock;
  waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, stepMs?: number): Promise<T>;
  tryGet(ref: KindRef, name: string): Promise<Obj | undefined>;
  events(name: string): Promise<string[]>;
  /** Creates a cirros VM (masquerade binding, so it can migrate unless `bridge`) and waits for its VMI to run. */
  runningVm(name: string, options?: { evictionStrategy?: string; bridge?: boolean }): Promise<Obj>;
  /** POST pods/<name>/eviction over HTTP, as kubectl drain does: the status code and message. */
  evict(podName: string): Promise<{ code: number; message: string }>;
  launcherPods(vmiName: string): Promise<Obj[]>;
  stop(): Promise<void>;
}

export async function startMigrationHarness(): Promise<MigrationHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'kubevirt-migration-test-'));
  const emulator = await startEmulator({
    port: 0,
    insecureHttp: true,
    kubeconfigPath: join(dir, 'kubeconfig'),
    workers: 2,
    clock: 'virtual',
  });
  const clock = emulator.clock as VirtualClock;
  const client = emulator.client;
  const waitFor = virtualWaitFor(clock, 300);
  const tryGet = async (ref: KindRef, name: string): Promise<Obj | undefined> =>
    client.get<Obj>(ref, 'default', name).catch(() => undefined);

  await applyAll(client, manifest('kubevirt-operator.yaml'));
  await applyAll(client, manifest('kubevirt-cr.yaml'));
  await waitFor('KubeVirt Available', async () => {
    const kv = (await client.get(KUBEVIRT_REF, 'kubevirt', 'kubevirt')) as Obj;
    return (kv.status?.conditions as Array<{ type: string; status: string }> | undefined)?.some(
      (c) => c.type === 'Available' && c.status === 'True',
    );
  });
  await waitFor(
    'both workers schedulable',
    async () => (await client.list(NODE)).items.filter((n) => n.metadata.labels?.['kubevirt.io/schedulable'] === 'true').length === 2,
  );

  return {
    emulator,
    client,
    clock,
    waitFor,
    tryGet,
    async events(name) {
      const list = await client.list({ apiVersion: 'v1', kind: 'Event' }, { namespace: 'default' });
      return list.items
        .filter((e) => (e.involvedObject as { name?: string }).name === name)
        .map((e) => `${e.type as string}/${e.reason as string}/${e.message as string}`);
    },
    async runningVm(name, options = {}) {
      const vm = example('vm-cirros.yaml') as Obj & {
        spec: { template: { spec: Record<string, unknown> & { domain: { devices: Record<string, unknown> } } } };
      };
      const spec = vm.spec.template.spec;
      spec.domain.devices.interfaces = [{ name: 'default', ...(options.bridge ? { bridge: {} } : { masquerade: {} }) }];
      spec.networks = [{ name: 'default', pod: {} }];
      if (options.evictionStrategy) spec.evictionStrategy = options.evictionStrategy;
      await client.create({ ...vm, metadata: { name, namespace: 'default' }, spec: { ...vm.spec, runStrategy: 'Always' } });
      return waitFor(`VMI ${name} Running`, async () => {
        const vmi = await tryGet(VMI, name);
        return vmi?.status?.phase === 'Running' &&
          (vmi.status.conditions as Array<{ type: string }> | undefined)?.some((c) => c.type === 'LiveMigratable')
          ? vmi
          : undefined;
      });
    },
    async evict(podName) {
      const response = await fetch(`${emulator.url}/api/v1/namespaces/default/pods/${podName}/eviction`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: podName, namespace: 'default' } }),
      });
      const body = (await response.json()) as { message?: string };
      return { code: response.status, message: body.message ?? '' };
    },
    async launcherPods(vmiName) {
      const pods = await client.list<Obj>(POD, { namespace: 'default', labelSelector: 'kubevirt.io=virt-launcher' });
      return pods.items.filter((p) => p.metadata.annotations?.['kubevirt.io/domain'] === vmiName);
    },
    async stop() {
      await emulator.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
