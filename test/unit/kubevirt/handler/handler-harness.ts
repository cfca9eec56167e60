/**
 * An emulator on a virtual clock with what virt-handler needs around it:
 * the VMI CRD, virt-handler's RBAC, a virt-handler DaemonSet in namespace kubevirt (its pod on
 * the worker gates the handler there), and the steps virt-controller takes
 * before it hands a VMI to the node (launcher pod, phase Scheduled). The
 * handler itself runs in the emulator's control plane.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../../../src/api/types.js';
import type { Client } from '../../../../src/client/client.js';
import { strategyData } from '../../../../src/kubevirt/operator/install-strategy/strategy-data.js';
import { workerName } from '../../../../src/cluster/nodes/index.js';
import { POD_REF, type Pod } from '../../../../src/kube/pods.js';
import { startEmulator, type RunningEmulator } from '../../../../src/emulator.js';
import { VMI_REF, type VirtualMachineInstance } from '../../../../src/kubevirt/handler/vmi-types.js';
import type { VirtualClock } from '../../../../src/runtime/clock.js';
import { projectYaml } from '../../../helpers/project-yaml.js';

export const WORKER = workerName(1);
export const LAUNCHER_IMAGE = 'quay.io/kubevirt/virt-launcher:v1.9.0-rc.2';
const crdsDir = new URL('../../../../schemas/kubevirt/crds/', import.meta.url);
const examplesDir = new URL('../../../../schemas/kubevirt/examples/', import.meta.url);

export interface HandlerHarness {
  emulator: RunningEmulator;
  client: Client;
  clock: VirtualClock;
  /** Polls `probe` until it answers, moving virtual time `stepMs` per poll. */
  waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, stepMs?: number): Promise<T>;
  getVmi(name: string, namespace?: string): Promise<VirtualMachineInstance>;
  /** Creates the VMI (as admitted: Pending) and does virt-controller's part up to Scheduled on the worker. */
  scheduleVmi(vmi: VirtualMachineInstance): Promise<{ vmi: VirtualMachineInstance; pod: Pod }>;
  /** Events about the named object, by reason. */
  events(name: string): Promise<Array<{ type: string; reason: string; message: string }>>;
  stop(): Promise<void>;
}

/** The VMI of an example VM's template (vm-cirros.yaml ...), as virt-controller would create it. */
export function vmiFromExampleVm(file: string, name?: string): VirtualMachineInstance {
  const vm = projectYaml(new URL(file, examplesDir)) as {
    metadata: { name: string };
    spec: { template: { metadata?: { labels?: Record<string, string> }; spec: VirtualMachineInstance['spec'] } };
  };
  const spec = structuredClone(vm.spec.template.spec)!;
  // virt-api's mutating webhook would add the default pod network and bridge interface.
  spec.networks ??= [{ name: 'default', pod: {} }];
  spec.domain!.devices!.interfaces ??= [{ name: 'default', bridge: {} }];
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: name ?? vm.metadata.name, namespace: 'default', labels: vm.spec.template.metadata?.labels },
    spec,
  };
}

/** At most 4,000 polls (about 20 s on an idle machine): a budget of polls, not a wall-clock deadline a loaded machine would miss. */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, tick: () => Promise<void>): Promise<T> {
  let lastError: unknown;
  for (let poll = 0; poll < 4_000; poll++) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    await tick();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}

const handlerDaemonSet: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'virt-handler', namespace: 'kubevirt', labels: { 'kubevirt.io': 'virt-handler' } },
  spec: {
    selector: { matchLabels: { 'kubevirt.io': 'virt-handler' } },
    template: {
      metadata: { labels: { 'kubevirt.io': 'virt-handler' } },
      spec: { containers: [{ name: 'virt-handler', image: 'quay.io/kubevirt/virt-handler:v1.9.0-rc.2' }] },
    },
  },
};

export async function startHandlerHarness(options: { profile?: string } = {}): Promise<HandlerHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'virt-handler-test-'));
  const emulator = await startEmulator({
    port: 0,
    insecureHttp: true,
    kubeconfigPath: join(dir, 'kubeconfig'),
    workers: 1,
    clock: 'virtual',
    profile: options.profile,
  });
  const clock = emulator.clock as VirtualClock;
  const client = emulator.client;
  const tick = (stepMs: number) => () => clock.advance(stepMs);
  await client.create(projectYaml(new URL('virtualmachineinstances.kubevirt.io.yaml', crdsDir)) as KubeObject);
  await waitFor('VMI CRD served', async () => (await client.list(VMI_REF)) !== undefined, tick(100));
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kubevirt' } });
  // virt-handler acts as kubevirt-handler, which may do only what the RBAC virt-operator installs lets it.
  for (const rbac of strategyData().operands.filter((o) => o.metadata.name === 'kubevirt-handler' && /Role/.test(o.kind)))
    await client.create(rbac);
  await client.create(handlerDaemonSet);

  const getVmi = (name: string, namespace = 'default') => client.get<VirtualMachineInstance>(VMI_REF, namespace, name);
  return {
    emulator,
    client,
    clock,
    waitFor: (what, probe, stepMs = 1000) => waitFor(what, probe, tick(stepMs)),
    getVmi,
    async scheduleVmi(input) {
      const created = await client.create<VirtualMachineInstance>({
        ...input,
        status: {
          phase: 'Pending',
          phaseTransitionTimestamps: [{ phase: 'Pending', phaseTransitionTimestamp: `${clock.now().toISOString().slice(0, 19)}Z` }],
        },
      });
      const uid = created.metadata.uid ?? '';
      const name = created.metadata.name ?? '';
      const pod = await client.create<Pod>({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          generateName: `virt-launcher-${name}-`,
          namespace: created.metadata.namespace,
          labels: {
            ...(created.metadata.labels ?? {}),
            'kubevirt.io': 'virt-launcher',
            'kubevirt.io/created-by': uid,
            'vm.kubevirt.io/name': name,
            'vmi.kubevirt.io/id': name,
          },
          annotations: { 'kubevirt.io/domain': name, 'kubectl.kubernetes.io/default-container': 'compute' },
          ownerReferences: [
            { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', name, uid, controller: true, blockOwnerDeletion: true },
          ],
        },
        spec: {
          nodeName: WORKER,
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: (created.spec?.terminationGracePeriodSeconds ?? 30) + 30,
          initContainers: [{ name: 'guest-console-log', image: LAUNCHER_IMAGE, restartPolicy: 'Always', command: ['/usr/bin/virt-tail'] }],
          containers: [{ name: 'compute', image: LAUNCHER_IMAGE, command: ['/usr/bin/virt-launcher-monitor'] }],
          volumes: (created.spec?.volumes ?? []).flatMap((v) =>
            v.containerDisk?.image ? [{ name: v.name, image: { reference: v.containerDisk.image } }] : [],
          ),
        },
      });
      const running = await waitFor(
        'launcher pod Running',
        async () => {
          const current = await client.get<Pod>(POD_REF, pod.metadata.namespace, pod.metadata.name ?? '');
          return current.status?.phase === 'Running' ? current : undefined;
        },
        tick(1000),
      );
      const latest = await getVmi(name, created.metadata.namespace);
      const now = `${clock.now().toISOString().slice(0, 19)}Z`;
      const scheduled = await client.update<VirtualMachineInstance>({
        ...latest,
        metadata: { ...latest.metadata, labels: { ...(latest.metadata.labels ?? {}), 'kubevirt.io/nodeName': WORKER } },
        status: {
          ...latest.status,
          phase: 'Scheduled',
          nodeName: WORKER,
          phaseTransitionTimestamps: [
            ...(latest.status?.phaseTransitionTimestamps ?? []),
            { phase: 'Scheduling', phaseTransitionTimestamp: now },
            { phase: 'Scheduled', phaseTransitionTimestamp: now },
          ],
          interfaces: [{ name: 'default', podInterfaceName: 'eth0' }],
          conditions: [
            {
              type: 'Ready',
              status: 'False',
              reason: 'GuestNotRunning',
              message: 'Guest VM is not reported as running',
              lastProbeTime: null,
              lastTransitionTime: now,
            },
          ],
          qosClass: 'Burstable',
          launcherContainerImageVersion: LAUNCHER_IMAGE,
        },
      });
      return { vmi: scheduled, pod: running };
    },
    async events(name) {
      const list = await client.list({ apiVersion: 'v1', kind: 'Event' }, { namespace: 'default' });
      return list.items
        .filter((e) => (e.involvedObject as { name?: string }).name === name)
        .map((e) => ({ type: e.type as string, reason: e.reason as string, message: e.message as string }));
    },
    async stop() {
      await emulator.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
