/**
 * An emulator on a virtual clock with KubeVirt's CRDs installed and
 * virt-controller running ungated (no operator), plus the parts of
 * virt-handler the controller depends on, faked through the API: nodes
 * labelled schedulable with KubeVirt's device-plugin capacity.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../../../src/api/types.js';
import type { Client, KindRef } from '../../../../src/client/client.js';
import type { ComponentContext } from '../../../../src/runtime/component-context.js';
import { startEmulator, type RunningEmulator } from '../../../../src/emulator.js';
import { virtControllerCore } from '../../../../src/kubevirt/controller/index.js';
import type { VirtualClock } from '../../../../src/runtime/clock.js';
import { SharedInformerFactory } from '../../../../src/runtime/informer.js';
import { consoleLogger, silentLogger } from '../../../../src/runtime/logger.js';
import { SeededRandom } from '../../../../src/runtime/seeded-random.js';
import { builtinProfile } from '../../../../src/simulation/profile.js';
import type { Component } from '../../../../src/runtime/component.js';
import { virtualWaitFor } from '../../../helpers/virtual-wait.js';
import { projectYaml } from '../../../helpers/project-yaml.js';

export const VM: KindRef = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine' };
export const VMI: KindRef = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance' };
export const POD: KindRef = { apiVersion: 'v1', kind: 'Pod' };
export const NODE: KindRef = { apiVersion: 'v1', kind: 'Node' };
export const EVENT: KindRef = { apiVersion: 'v1', kind: 'Event' };
const CRD: KindRef = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' };

const schemas = new URL('../../../../schemas/kubevirt/', import.meta.url);
export const example = (file: string): KubeObject => projectYaml(new URL(`examples/${file}`, schemas)) as KubeObject;

export interface Harness {
  emulator: RunningEmulator;
  client: Client;
  clock: VirtualClock;
  /** Polls `probe` until it answers something truthy, moving virtual time `stepMs` per poll. */
  waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, stepMs?: number): Promise<T>;
  tryGet<T extends KubeObject = KubeObject>(ref: KindRef, namespace: string | undefined, name: string): Promise<T | undefined>;
  events(involvedName: string): Promise<Array<{ reason: string; message: string; type: string }>>;
  stop(): Promise<void>;
}

async function installCrds(client: Client, names: string[]): Promise<void> {
  for (const name of names) await client.create(projectYaml(new URL(`crds/${name}.yaml`, schemas)) as KubeObject);
}

/** What virt-handler does to a node before VMs can land there: schedulable label, machine type, device plugins. */
export async function fakeHandlerOnNodes(client: Client): Promise<void> {
  const nodes = await client.list(NODE);
  for (const node of nodes.items) {
    const name = node.metadata.name ?? '';
    if (name.includes('control-plane')) continue;
    await client.patch(NODE, undefined, name, 'merge', {
      metadata: { labels: { 'kubevirt.io/schedulable': 'true', 'machine-type.node.kubevirt.io/q35': 'true' } },
    });
    const status = node.status as { capacity?: Record<string, string>; allocatable?: Record<string, string> };
    const devices = { 'devices.kubevirt.io/kvm': '1k', 'devices.kubevirt.io/tun': '1k', 'devices.kubevirt.io/vhost-net': '1k' };
    await client.patch(
      NODE,
      undefined,
      name,
      'merge',
      { status: { capacity: { ...status.capacity, ...devices }, allocatable: { ...(status.allocatable ?? status.capacity), ...devices } } },
      { subresource: 'status' },
    );
  }
}

export async function startHarness(options: { handlerOnNodes?: boolean } = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'virt-controller-test-'));
  const emulator = await startEmulator({
    port: 0,
    insecureHttp: true,
    kubeconfigPath: join(dir, 'kubeconfig'),
    workers: 1,
    clock: 'virtual',
  });
  const clock = emulator.clock as VirtualClock;
  const client = emulator.client;
  const tryGet = async <T extends KubeObject>(ref: KindRef, namespace: string | undefined, name: string): Promise<T | undefined> => {
    try {
      return await client.get<T>(ref, namespace, name);
    } catch {
      return undefined;
    }
  };
  const waitFor = virtualWaitFor(clock, 400);
  await installCrds(client, ['virtualmachines.kubevirt.io', 'virtualmachineinstances.kubevirt.io', 'kubevirts.kubevirt.io']);
  await waitFor('KubeVirt CRDs established', async () =>
    (await client.list(CRD)).items.every((crd) =>
      (crd.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions?.some(
        (c) => c.type === 'Established' && c.status === 'True',
      ),
    ),
  );
  await waitFor('a worker node', async () => (await client.list(NODE)).items.length >= 2);
  if (options.handlerOnNodes !== false) await fakeHandlerOnNodes(client);

  const logger = process.env.VIRT_CONTROLLER_DEBUG ? consoleLogger('virt-controller') : silentLogger;
  const informers = new SharedInformerFactory(client, { clock, logger });
  const ctx: ComponentContext = {
    client,
    informers,
    clock,
    random: new SeededRandom(7),
    profile: builtinProfile('instant')!,
    logger,
    serveSubresource: () => {},
  };
  const controller: Component = virtControllerCore(ctx);
  informers.start();
  await controller.start();
  return {
    emulator,
    client,
    clock,
    waitFor,
    tryGet,
    async events(involvedName) {
      const list = await client.list(EVENT, {});
      return list.items
        .filter((e) => (e as unknown as { involvedObject: { name: string } }).involvedObject.name === involvedName)
        .map((e) => e as unknown as { reason: string; message: string; type: string });
    },
    async stop() {
      await controller.stop();
      informers.stop();
      await emulator.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A small VM with the given run strategy (the cirros example, renamed). */
export function cirrosVm(name: string, runStrategy: string, edit: (spec: Record<string, unknown>) => void = () => {}): KubeObject {
  const vm = example('vm-cirros.yaml') as KubeObject & { spec: Record<string, unknown> };
  const spec = { ...vm.spec, runStrategy };
  edit(spec);
  return { ...vm, metadata: { name, namespace: 'default', labels: { 'kubevirt.io/vm': name } }, spec };
}

/** virt-handler's part, faked: move a VMI to `phase` with a transition timestamp (read again on a conflict with virt-controller's writes). */
export async function setVmiPhase(h: Harness, name: string, phase: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const vmi = await h.client.get<KubeObject & { status?: Record<string, unknown> }>(VMI, 'default', name);
    const transitions = (vmi.status?.phaseTransitionTimestamps as unknown[] | undefined) ?? [];
    try {
      await h.client.update({
        ...vmi,
        status: {
          ...vmi.status,
          phase,
          phaseTransitionTimestamps: [...transitions, { phase, phaseTransitionTimestamp: `${h.clock.now().toISOString().slice(0, 19)}Z` }],
        },
      });
      return;
    } catch (err) {
      if ((err as { code?: number }).code !== 409 || attempt >= 5) throw err;
    }
  }
}

export async function vmStatus(h: Harness, name: string): Promise<Record<string, unknown> & { printableStatus?: string }> {
  return ((await h.client.get(VM, 'default', name)).status ?? {}) as Record<string, unknown> & { printableStatus?: string };
}

export async function waitForPrintable(h: Harness, name: string, printable: string): Promise<void> {
  await h.waitFor(`VM ${name} ${printable}`, async () => (await vmStatus(h, name)).printableStatus === printable);
}

export async function waitForVmiPhase(h: Harness, name: string, phase: string): Promise<KubeObject & { status?: Record<string, unknown> }> {
  return h.waitFor(`VMI ${name} ${phase}`, async () => {
    const vmi = await h.tryGet<KubeObject & { status?: Record<string, unknown> }>(VMI, 'default', name);
    return vmi?.status?.phase === phase ? vmi : undefined;
  });
}
