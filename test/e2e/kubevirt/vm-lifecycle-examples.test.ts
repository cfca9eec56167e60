/**
 * Every file of schemas/kubevirt/examples/ applied with the real kubectl into
 * a cluster with KubeVirt and nothing else (no CDI, no Multus, no GPUs or
 * SR-IOV, default feature gates). VMs are then switched to runStrategy
 * Always. Each VM/VMI must reach Running or stay where real KubeVirt leaves it
 * in such a cluster; other kinds must be accepted (or rejected as a cluster
 * without the API would). The table holds the outcome per file and why, from
 * kubevirt-behaviour.md and KubeVirt's source where the reference is silent.
 */
import t from 'tap';
import { readdirSync } from 'node:fs';
import { projectYamlDocuments } from '../../helpers/project-yaml.js';
import type { KindRef } from '../../../src/client/client.js';
import { withEmulator, type EmulatorFixture } from '../../helpers/cluster.js';
import { kubevirtSchema } from '../../helpers/kubevirt.js';

type Outcome =
  /** The VMI (of the VM) runs: phase Running, Ready=True. */
  | { running: true }
  /** A referenced PVC is missing: VMI Pending with Synchronized=False FailedPvcNotFound; a VM reads ErrorPvcNotFound. */
  | { pvcNotFound: true }
  /** The launcher pod cannot be scheduled: VMI Scheduling with PodScheduled=False Unschedulable; a VM reads ErrorUnschedulable. */
  | { unschedulable: true }
  /** Accepted by the API server (a kind that is not a VM/VMI). */
  | { accepted: true }
  /** The launcher pod cannot be rendered: VMI Pending with Synchronized=False and this reason. */
  | { syncFailed: string }
  /** kubectl apply fails. */
  | { rejected: true }
  /** kubectl apply fails: the VM sets this field its instancetype sets too. */
  | { instancetypeConflict: string }
  /** The VM's DataVolume cannot be created (no CDI): no VMI, printableStatus Stopped, Failure=True FailedCreate. */
  | { dataVolumeCreateFailed: true }
  /** The launcher pod's ResourceClaim is never created (no DRA driver/controller): the scheduler does not try the pod; VMI Scheduling without PodScheduled. */
  | { waitsForResourceClaim: true }
  /**
   * The launcher pod asks Multus for these NetworkAttachmentDefinitions (k8s.v1.cni.cncf.io/networks) and is placed;
   * with no Multus to attach them, virt-handler's network setup misses this pod link: VMI Scheduled, Synchronized=False.
   */
  | { multusNetworks: string[]; missingPodLink: string }
  /** As above, but the network is SR-IOV, which needs no pod link: the VMI runs, without the SR-IOV interface. */
  | { multusNetworks: string[]; runsWithoutInterface: string };

interface Row {
  file: string;
  expect: Outcome;
  why: string;
}

const RUNS = 'containerDisk/cloud-init volumes only, default pod network: §11.1';
const rows: Row[] = [
  { file: 'clarge.yaml', expect: { accepted: true }, why: 'a namespaced VirtualMachineInstancetype (§8)' },
  { file: 'cluster-csmall.yaml', expect: { accepted: true }, why: 'a VirtualMachineClusterInstancetype (§8)' },
  { file: 'csmall.yaml', expect: { accepted: true }, why: 'a namespaced VirtualMachineInstancetype (§8)' },
  { file: 'virtio.yaml', expect: { accepted: true }, why: 'a VirtualMachinePreference (§8)' },
  { file: 'windows.yaml', expect: { accepted: true }, why: 'a VirtualMachinePreference (§8)' },
  {
    file: 'example-migration-policy.yaml',
    expect: { accepted: true },
    why: 'a MigrationPolicy only matters when a migration starts (§5.9)',
  },
  { file: 'non-preemtible.yaml', expect: { accepted: true }, why: 'a core PriorityClass' },
  { file: 'preemtible.yaml', expect: { accepted: true }, why: 'a core PriorityClass' },
  { file: 'vmi-preset-small.yaml', expect: { accepted: true }, why: 'VirtualMachineInstancePreset is still served (deprecated)' },
  {
    file: 'migration-job.yaml',
    expect: { accepted: true },
    why: 'applied last: its VMI vmi-fedora runs and is LiveMigratable (masquerade), so it is admitted (§5.6)',
  },
  {
    file: 'vm-pool-cirros.yaml',
    expect: { running: true },
    why: `a VirtualMachinePool (§6.2): VMs vm-pool-cirros-0..2, all Ready; ${RUNS}`,
  },
  {
    file: 'vmi-replicaset-cirros.yaml',
    expect: { running: true },
    why: `a VirtualMachineInstanceReplicaSet (§6.1): three VMIs, all Ready; ${RUNS}`,
  },
  {
    file: 'pgpu-resource-claim-tmpl.yaml',
    expect: { rejected: true },
    why: 'resource.k8s.io (DRA) is not served by a default v1.32 cluster',
  },

  { file: 'vm-cirros.yaml', expect: { running: true }, why: RUNS },
  { file: 'vm-cirros-sata.yaml', expect: { running: true }, why: RUNS },
  {
    file: 'vm-cirros-clarge.yaml',
    expect: { instancetypeConflict: 'spec.template.spec.domain.memory.guest' },
    why: 'its template sets memory.guest, which its instancetype owns: the VM admitter rejects it (§8.2; instancetype/apply/memory.go validateMemory)',
  },
  {
    file: 'vm-cirros-clarge-virtio.yaml',
    expect: { instancetypeConflict: 'spec.template.spec.domain.memory.guest' },
    why: 'its template sets memory.guest, which its instancetype owns: the VM admitter rejects it (§8.2; instancetype/apply/memory.go validateMemory)',
  },
  {
    file: 'vm-cirros-clarge-windows.yaml',
    expect: { instancetypeConflict: 'spec.template.spec.domain.memory.guest' },
    why: 'its template sets memory.guest, which its instancetype owns: the VM admitter rejects it (§8.2; instancetype/apply/memory.go validateMemory)',
  },
  {
    file: 'vm-cirros-csmall.yaml',
    expect: { instancetypeConflict: 'spec.template.spec.domain.memory.guest' },
    why: 'its template sets memory.guest, which its instancetype owns: the VM admitter rejects it (§8.2; instancetype/apply/memory.go validateMemory)',
  },
  {
    file: 'vm-cirros-cluster-csmall.yaml',
    expect: { instancetypeConflict: 'spec.template.spec.domain.memory.guest' },
    why: 'its template sets memory.guest, which its instancetype owns: the VM admitter rejects it (§8.2; instancetype/apply/memory.go validateMemory)',
  },
  { file: 'vm-priorityclass.yaml', expect: { running: true }, why: `PriorityClass non-preemtible exists; ${RUNS}` },
  {
    file: 'vm-alpine-multipvc.yaml',
    expect: { pvcNotFound: true },
    why: 'its PVCs do not exist: FailedPvcNotFound, printableStatus ErrorPvcNotFound (§1.6 #6, §2.3)',
  },
  {
    file: 'vm-windows-clarge-windows.yaml',
    expect: { instancetypeConflict: 'spec.template.spec.domain.memory.guest' },
    why: 'its template sets memory.guest, which its instancetype owns: the VM admitter rejects it (§8.2; instancetype/apply/memory.go validateMemory)',
  },
  {
    file: 'vm-alpine-datavolume.yaml',
    expect: { dataVolumeCreateFailed: true },
    why: 'DataVolumes are created before the start and the start waits for them (§1.2, §1.4); without CDI the create answers 404 (virt-controller falls back to a dummy DataVolume informer), so: FailedDataVolumeCreate, Failure FailedCreate, no VMI, Stopped (§1.6 #15; vm.go handleDataVolumes)',
  },
  {
    file: 'vm-cirros-with-sidecar-hook-configmap.yaml',
    expect: { rejected: true },
    why: 'hook sidecars need the alpha Sidecar feature gate (§0.3)',
  },

  { file: 'vmi-alpine-efi.yaml', expect: { running: true }, why: 'EFI firmware needs nothing from the node' },
  {
    file: 'vmi-arm.yaml',
    expect: { running: true },
    why: 'no spec.architecture: the mutator defaults it to the cluster arch, amd64 (§0.4)',
  },
  { file: 'vmi-ephemeral.yaml', expect: { running: true }, why: RUNS },
  { file: 'vmi-fedora.yaml', expect: { running: true }, why: 'masquerade on the pod network' },
  { file: 'vmi-fedora-isolated.yaml', expect: { running: true }, why: 'dedicated emulator thread needs nothing the node lacks' },
  { file: 'vmi-kernel-boot.yaml', expect: { running: true }, why: 'kernel boot from a container image' },
  { file: 'vmi-masquerade.yaml', expect: { running: true }, why: 'masquerade on the pod network' },
  { file: 'vmi-migratable.yaml', expect: { running: true }, why: 'masquerade on the pod network' },
  { file: 'vmi-nocloud.yaml', expect: { running: true }, why: RUNS },
  { file: 'vmi-sata.yaml', expect: { running: true }, why: RUNS },
  { file: 'vmi-secureboot.yaml', expect: { running: true }, why: 'secure boot with SMM needs nothing the node lacks' },
  { file: 'vmi-pvc.yaml', expect: { pvcNotFound: true }, why: 'PVC disk-alpine does not exist (§2.3 Synchronized FailedPvcNotFound)' },
  { file: 'vmi-windows.yaml', expect: { pvcNotFound: true }, why: 'PVC disk-windows does not exist' },
  {
    file: 'vmi-gpu.yaml',
    expect: { unschedulable: true },
    why: 'the GPU gate is GA (§0.3); compute requests its deviceName, which no node offers (§2.6 compute resources; renderresources.go WithGPUsDevicePlugins)',
  },
  {
    file: 'vmi-dra-pgpu.yaml',
    expect: { waitsForResourceClaim: true },
    why: 'GPUsWithDRA is Beta (§0.3): the pod gets the VMI resourceClaims and compute claims (template.go, WithGPUsDRA); its template could not be created (no resource.k8s.io), so the claim never exists and kube-scheduler\'s PreEnqueue keeps the pod ("ResourceClaim not created yet"); VMI stays Scheduling (§2.2)',
  },
  {
    file: 'vmi-sriov.yaml',
    expect: { multusNetworks: ['sriov/sriov-network'], runsWithoutInterface: 'sriov-net' },
    why: 'ExternalNetResourceInjection is Beta (§0.3): virt-controller reads no NetworkAttachmentDefinition and requests no SR-IOV resource (an external webhook would); the pod carries the Multus annotation (§2.6) and is placed; network setup skips SR-IOV (netpod discover) and virt-launcher makes host devices only of VFs Multus reported (sriov.CreateHostDevices), so the VMI runs without sriov-net',
  },
  {
    file: 'vmi-multus-ptp.yaml',
    expect: { multusNetworks: ['examples/ptp-conf'], missingPodLink: 'pode31d7ce2712' },
    why: "ExternalNetResourceInjection is Beta (§0.3): no NetworkAttachmentDefinition lookup (template.go); the pod carries the Multus annotation (§2.6) and is placed; no Multus attaches pod<sha256(ptp)[:11]>, so the bridge binding's setup fails (netpod discover) and the handler reports it (§2.3 Synchronized)",
  },
  {
    file: 'vmi-multus-multiple-net.yaml',
    expect: { multusNetworks: ['examples/ptp-conf'], missingPodLink: 'pode31d7ce2712' },
    why: 'as vmi-multus-ptp: its masquerade pod network has eth0, its ptp bridge misses its link (§0.3, §2.6, §2.3)',
  },
  { file: 'vmi-usb.yaml', expect: { rejected: true }, why: 'host devices need the alpha HostDevices feature gate (§0.3)' },
  { file: 'vmi-host-disk.yaml', expect: { rejected: true }, why: 'hostDisk needs the alpha HostDisk feature gate (§0.3)' },
  { file: 'vmi-with-sidecar-hook.yaml', expect: { rejected: true }, why: 'hook sidecars need the alpha Sidecar feature gate (§0.3)' },
  {
    file: 'vmi-with-sidecar-hook-configmap.yaml',
    expect: { rejected: true },
    why: 'hook sidecars need the alpha Sidecar feature gate (§0.3)',
  },
];

const VM: KindRef = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine' };
/** vmi-fedora-isolated.yaml names its VMI vmi-fedora too: it gets a namespace of its own. */
const namespaceOf = (file: string) => (file === 'vmi-fedora-isolated.yaml' ? 'examples-isolated' : 'examples');
const documentsOf = (file: string) =>
  projectYamlDocuments<{ kind: string; metadata: { name: string } }>(kubevirtSchema(`examples/${file}`));

const applied = new Map<string, { code: number; stderr: string }>();
let fixture: EmulatorFixture;

t.before(async () => {
  fixture = await withEmulator(t, { workers: 2, installKubeVirt: true });
  for (const namespace of ['examples', 'examples-isolated']) await fixture.kubectl(['create', 'namespace', namespace]);
  // Instancetypes, preferences and priority classes first: the VMs refer to them.
  // The migration last: its VMI must exist to be admitted.
  const order = (file: string) => (file === 'migration-job.yaml' ? 2 : /^(vm|vmi)-/.test(file) ? 1 : 0);
  for (const row of [...rows].sort((a, b) => order(a.file) - order(b.file))) {
    const result = await fixture.kubectl(['apply', '-n', namespaceOf(row.file), '-f', kubevirtSchema(`examples/${row.file}`)]);
    applied.set(row.file, result);
    for (const doc of documentsOf(row.file)) {
      if (doc.kind === 'VirtualMachine' && result.code === 0) {
        await fixture.emulator.client.patch(VM, namespaceOf(row.file), doc.metadata.name, 'merge', { spec: { runStrategy: 'Always' } });
      }
    }
  }
});

t.test('the table covers every example file', async (t) => {
  t.same(rows.map((row) => row.file).sort(), readdirSync(kubevirtSchema('examples')).sort());
});

/** Waits until the jsonpath of the resource reads `value` (or satisfies it); returns what it last read. */
async function waitFor(
  resource: string,
  namespace: string,
  jsonpath: string,
  value: string | ((read: string) => boolean),
): Promise<string> {
  const deadline = Date.now() + 15_000;
  const done = typeof value === 'string' ? (read: string) => read === value : value;
  for (;;) {
    const read = (await fixture.kubectl(['get', '-n', namespace, ...resource.split(' '), '-o', `jsonpath=${jsonpath}`])).stdout;
    if (done(read) || Date.now() > deadline) return read;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

for (const row of rows) {
  t.test(`${row.file}: ${Object.keys(row.expect)[0]} (${row.why})`, async (t) => {
    const result = applied.get(row.file)!;
    if ('rejected' in row.expect) {
      t.not(result.code, 0, 'kubectl apply fails');
      return;
    }
    if ('instancetypeConflict' in row.expect) {
      const field = row.expect.instancetypeConflict;
      t.match(result.stderr, `${field}: VM field(s) ${field} conflicts with selected instance type`);
      return;
    }
    t.equal(result.code, 0, `kubectl apply: ${result.stderr}`);
    const namespace = namespaceOf(row.file);
    for (const doc of documentsOf(row.file)) {
      if ((doc.kind === 'VirtualMachineInstanceReplicaSet' || doc.kind === 'VirtualMachinePool') && 'running' in row.expect) {
        // Every replica is ready: its VMI (of its VM) runs with Ready=True.
        t.equal(
          await waitFor(`${doc.kind.toLowerCase()}/${doc.metadata.name}`, namespace, '{.spec.replicas}/{.status.readyReplicas}', '3/3'),
          '3/3',
        );
      }
      const isVm = doc.kind === 'VirtualMachine';
      if (!isVm && doc.kind !== 'VirtualMachineInstance') continue;
      const vmi = `vmi/${doc.metadata.name}`;
      if ('running' in row.expect) {
        t.equal(
          await waitFor(vmi, namespace, '{.status.phase} {.status.conditions[?(@.type=="Ready")].status}', 'Running True'),
          'Running True',
        );
        if (isVm) t.equal(await waitFor(`vm/${doc.metadata.name}`, namespace, '{.status.printableStatus}', 'Running'), 'Running');
      } else if ('pvcNotFound' in row.expect) {
        t.equal(
          await waitFor(
            vmi,
            namespace,
            '{.status.phase} {.status.conditions[?(@.type=="Synchronized")].reason}',
            'Pending FailedPvcNotFound',
          ),
          'Pending FailedPvcNotFound',
        );
        if (isVm)
          t.equal(await waitFor(`vm/${doc.metadata.name}`, namespace, '{.status.printableStatus}', 'ErrorPvcNotFound'), 'ErrorPvcNotFound');
      } else if ('unschedulable' in row.expect) {
        t.equal(
          await waitFor(
            vmi,
            namespace,
            '{.status.phase} {.status.conditions[?(@.type=="PodScheduled")].reason}',
            'Scheduling Unschedulable',
          ),
          'Scheduling Unschedulable',
        );
        if (isVm)
          t.equal(
            await waitFor(`vm/${doc.metadata.name}`, namespace, '{.status.printableStatus}', 'ErrorUnschedulable'),
            'ErrorUnschedulable',
          );
      } else if ('syncFailed' in row.expect) {
        const expected = `Pending ${row.expect.syncFailed}`;
        t.equal(
          await waitFor(vmi, namespace, '{.status.phase} {.status.conditions[?(@.type=="Synchronized")].reason}', expected),
          expected,
        );
      } else if ('dataVolumeCreateFailed' in row.expect) {
        const vm = `vm/${doc.metadata.name}`;
        t.equal(
          await waitFor(
            vm,
            namespace,
            '{.status.printableStatus} {.status.conditions[?(@.type=="Failure")].reason}',
            'Stopped FailedCreate',
          ),
          'Stopped FailedCreate',
        );
        t.match(await waitFor(vm, namespace, '{.status.conditions[?(@.type=="Failure")].message}', ''), /failed to create DataVolume: /);
        t.match(
          (
            await fixture.kubectl([
              'get',
              'events',
              '-n',
              namespace,
              '--field-selector',
              'reason=FailedDataVolumeCreate',
              '-o',
              'jsonpath={.items[*].message}',
            ])
          ).stdout,
          /Error creating DataVolume alpine-dv: /,
        );
        t.not((await fixture.kubectl(['get', '-n', namespace, vmi])).code, 0, 'no VMI is created');
      } else if ('waitsForResourceClaim' in row.expect) {
        const selector = `vmi.kubevirt.io/id=${doc.metadata.name}`;
        const claims = await waitFor(
          `pods -l ${selector}`,
          namespace,
          '{.items[0].spec.resourceClaims[0].resourceClaimTemplateName} {.items[0].spec.containers[0].resources.claims[0].name}',
          'pgpu-resource-claim-tmpl pgpu-resource-claim',
        );
        t.equal(claims, 'pgpu-resource-claim-tmpl pgpu-resource-claim', 'the launcher pod carries the claims');
        // Give the scheduler time to (wrongly) place it.
        await new Promise((resolve) => setTimeout(resolve, 1000));
        t.equal(
          await waitFor(vmi, namespace, '{.status.phase} {.status.conditions[?(@.type=="PodScheduled")].reason}', 'Scheduling '),
          'Scheduling ',
        );
        t.equal(
          (await fixture.kubectl(['get', 'pods', '-n', namespace, '-l', selector, '-o', 'jsonpath={.items[0].spec.nodeName}'])).stdout,
          '',
          'the pod is not bound',
        );
      } else if ('multusNetworks' in row.expect) {
        const selector = `vmi.kubevirt.io/id=${doc.metadata.name}`;
        const read = await waitFor(
          `pods -l ${selector}`,
          namespace,
          '{.items[0].metadata.annotations.k8s\\.v1\\.cni\\.cncf\\.io/networks}',
          (value) => value !== '',
        );
        const networks = (JSON.parse(read || '[]') as Array<{ name: string; namespace: string; interface: string }>).map(
          (n) => `${n.namespace}/${n.name}`,
        );
        t.same(networks, row.expect.multusNetworks, 'the Multus networks of the pod');
        t.match(
          await waitFor(`pods -l ${selector}`, namespace, '{.items[0].spec.nodeName}', (node) => node !== ''),
          /.+/,
          'the pod is bound',
        );
        if ('missingPodLink' in row.expect) {
          const expected = `Scheduled|False|Synchronizing with the Domain failed.|failed to configure vmi network: setup failed, err: pod link (${row.expect.missingPodLink}) is missing`;
          const synchronized =
            '{.status.phase}|{.status.conditions[?(@.type=="Synchronized")].status}|{.status.conditions[?(@.type=="Synchronized")].reason}|{.status.conditions[?(@.type=="Synchronized")].message}';
          t.equal(await waitFor(vmi, namespace, synchronized, expected), expected, 'virt-handler cannot set up the network');
        } else {
          const absent = row.expect.runsWithoutInterface;
          t.equal(
            await waitFor(vmi, namespace, '{.status.phase} {.status.conditions[?(@.type=="Ready")].status}', 'Running True'),
            'Running True',
          );
          const names = await waitFor(vmi, namespace, '{.status.interfaces[*].name}', (read) => read !== '');
          t.notOk(names.split(' ').includes(absent), `no ${absent} in the guest`);
        }
      }
    }
  });
}
