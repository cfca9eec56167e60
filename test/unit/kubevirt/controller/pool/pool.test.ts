import t from 'tap';
import type { KubeObject } from '../../../../../src/api/types.js';
import { indexVmSpec, type VirtualMachinePool } from '../../../../../src/kubevirt/controller/pool/pool-vm.js';
import { scaleInOrder } from '../../../../../src/kubevirt/controller/pool/pool-scale-in.js';
import { vmsToAutoheal } from '../../../../../src/kubevirt/controller/pool/pool-autoheal.js';
import type { VirtualMachine, VirtualMachineInstance } from '../../../../../src/kubevirt/controller/types.js';
import { example, setVmiPhase, VM, VMI, type Harness } from '../harness.js';
import { patchScale, POOL, startReplicaHarness, statusOf } from '../replicaset/harness.js';

const NAME = 'vm-pool-cirros';
const REVISION = { apiVersion: 'apps/v1', kind: 'ControllerRevision' };

async function poolVms(h: Harness): Promise<VirtualMachine[]> {
  return (await h.client.list<VirtualMachine>(VM, { namespace: 'default', labelSelector: `kubevirt.io/vmpool=${NAME}` })).items;
}

async function waitForVmNames(h: Harness, names: string[]): Promise<VirtualMachine[]> {
  return h.waitFor(`VMs ${names.join(', ')}`, async () => {
    const vms = await poolVms(h);
    return JSON.stringify(vms.map((vm) => vm.metadata.name).sort()) === JSON.stringify([...names].sort()) ? vms : undefined;
  });
}

/** virt-handler's part, faked: every pending VMI of the pool runs. */
async function runVmis(h: Harness, count: number): Promise<void> {
  await h.waitFor(`${count} VMIs Running`, async () => {
    const vmis = (await h.client.list<VirtualMachineInstance>(VMI, { namespace: 'default', labelSelector: `kubevirt.io/vmpool=${NAME}` }))
      .items;
    for (const vmi of vmis) if (vmi.status?.phase === 'Scheduled') await setVmiPhase(h, vmi.metadata.name ?? '', 'Running');
    return vmis.filter((vmi) => vmi.status?.phase === 'Running').length === count;
  });
}

t.test('pool: VMs <pool>-<index> from the template, scaled through /scale, reported in status', async (t) => {
  const h = await startReplicaHarness();
  t.teardown(() => h.stop());
  const poolObject = example('vm-pool-cirros.yaml');
  const pool = await h.client.create({ ...poolObject, metadata: { ...poolObject.metadata, namespace: 'default' } });

  const vms = await waitForVmNames(h, [`${NAME}-0`, `${NAME}-1`, `${NAME}-2`]);
  const revisionName = `${NAME}-1`;
  for (const vm of vms) {
    t.same(vm.metadata.ownerReferences, [
      {
        apiVersion: 'pool.kubevirt.io/v1beta1',
        kind: 'VirtualMachinePool',
        name: NAME,
        uid: pool.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    t.same(vm.metadata.labels, { 'kubevirt.io/vmpool': NAME, 'kubevirt.io/vm-pool-revision-name': revisionName });
    t.same(vm.spec.template.metadata?.labels, { 'kubevirt.io/vmpool': NAME, 'kubevirt.io/vm-pool-revision-name': revisionName });
    t.ok(vm.metadata.finalizers?.includes('pool.kubevirt.io/finalizer'), 'the pool finalizer');
    t.equal(vm.spec.runStrategy, 'Always');
  }
  t.same((await h.client.get(POOL, 'default', NAME)).metadata.finalizers, ['pool.kubevirt.io/finalizer']);
  const revision = await h.client.get<KubeObject & { revision?: number; data?: unknown }>(REVISION, 'default', revisionName);
  t.equal(revision.revision, 1);
  t.same(revision.data, (await h.client.get(POOL, 'default', NAME)).spec, 'the revision holds the pool spec');
  t.match(revision.metadata.ownerReferences, [{ kind: 'VirtualMachinePool', uid: pool.metadata.uid, controller: true }]);
  const events = (await h.events(NAME)).map((e) => `${e.reason} ${e.message}`).sort();
  t.same(
    events,
    [0, 1, 2].map((i) => `SuccessfulCreate Created VM default/${NAME}-${i}`),
  );

  // The VM controller starts the VMIs (one per VM, named like it); they run; the VMs become Ready.
  await runVmis(h, 3);
  await h.waitFor('readyReplicas 3', async () => (await statusOf(h, POOL, NAME)).readyReplicas === 3);
  t.same(await statusOf(h, POOL, NAME), { replicas: 3, readyReplicas: 3, labelSelector: `kubevirt.io/vmpool=${NAME}` });

  await t.test('scale in by DescendingOrder, then out again: the lowest free index is reused', async (t) => {
    await h.client.patch(POOL, 'default', NAME, 'merge', {
      spec: { scaleInStrategy: { proactive: { selectionPolicy: { sortPolicy: 'DescendingOrder' } } } },
    });
    const scale = await patchScale(h, `/apis/pool.kubevirt.io/v1beta1/namespaces/default/virtualmachinepools/${NAME}`, 1);
    t.match(scale, { kind: 'Scale', spec: { replicas: 1 }, status: { replicas: 3, selector: `kubevirt.io/vmpool=${NAME}` } });
    await waitForVmNames(h, [`${NAME}-0`]);
    const deleted = (await h.events(NAME)).filter((e) => e.reason === 'SuccessfulDelete').map((e) => e.message);
    t.equal(deleted.length, 2);
    t.match(deleted.sort(), [
      new RegExp(`^Deleted VM default/${NAME}-1 with uid [0-9a-f-]{36} from pool$`),
      new RegExp(`^Deleted VM default/${NAME}-2 with uid `),
    ]);
    await h.waitFor('status replicas 1', async () => (await statusOf(h, POOL, NAME)).replicas === 1);

    await patchScale(h, `/apis/pool.kubevirt.io/v1beta1/namespaces/default/virtualmachinepools/${NAME}`, 2);
    const [, second] = (await waitForVmNames(h, [`${NAME}-0`, `${NAME}-1`])).sort((a, b) =>
      (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
    );
    // Generation 4: the strategy patch, then two scales, each changed the spec.
    t.equal(second.metadata.labels?.['kubevirt.io/vm-pool-revision-name'], `${NAME}-4`, 'created from the current generation');
    const revisions = (await h.client.list(REVISION, { namespace: 'default' })).items
      .filter((r) => r.metadata.ownerReferences?.[0]?.kind === 'VirtualMachinePool')
      .map((r) => r.metadata.name)
      .sort();
    t.same(revisions, [`${NAME}-1`, `${NAME}-4`], 'one revision per generation VMs were created from');
  });

  await t.test('a VM deleted by someone else leaves the pool and is recreated', async (t) => {
    const before = (await poolVms(h)).find((vm) => vm.metadata.name === `${NAME}-0`)!;
    await h.client.delete(VM, 'default', `${NAME}-0`);
    const after = await h.waitFor('a new VM -0', async () => {
      const vm = await h.tryGet<VirtualMachine>(VM, 'default', `${NAME}-0`);
      return vm && vm.metadata.uid !== before.metadata.uid && !vm.metadata.deletionTimestamp ? vm : undefined;
    });
    t.ok(after.metadata.finalizers?.includes('pool.kubevirt.io/finalizer'));
  });

  await t.test('paused: the condition is set and nothing scales', async (t) => {
    await h.client.patch(POOL, 'default', NAME, 'merge', { spec: { paused: true, replicas: 3 } });
    await h.waitFor('ReplicaPaused', async () => (await statusOf(h, POOL, NAME)).conditions?.some((c) => c.type === 'ReplicaPaused'));
    t.match((await statusOf(h, POOL, NAME)).conditions, [
      { type: 'ReplicaPaused', status: 'True', reason: 'SuccessfulPaused', message: 'Pool controller is paused' },
    ]);
    await h.clock.advance(5000);
    t.equal((await poolVms(h)).length, 2);
    await h.client.patch(POOL, 'default', NAME, 'merge', { spec: { paused: false } });
    await h.waitFor('3 VMs', async () => (await poolVms(h)).length === 3);
    const reasons = (await h.events(NAME)).map((e) => `${e.reason} ${e.message}`);
    t.ok(reasons.includes('SuccessfulPaused Pool is paused'));
    t.ok(reasons.includes('SuccessfulResume Pool is unpaused'));
  });

  await t.test(
    'deleting the pool: the pool lets go of its VMs and goes; the garbage collector then deletes the VMs it owned',
    async (t) => {
      await h.client.delete(POOL, 'default', NAME);
      await h.waitFor('pool gone', async () => !(await h.tryGet(POOL, 'default', NAME)));
      // Only VMs without the pool's finalizer can go: their deletion shows the pool let go of them first.
      await h.waitFor('VMs collected', async () => (await poolVms(h)).length === 0);
      t.same(await poolVms(h), []);
    },
  );
});

t.test('indexVmSpec: per-index DataVolume, ConfigMap and Secret names', async (t) => {
  const pool = {
    apiVersion: 'pool.kubevirt.io/v1beta1',
    kind: 'VirtualMachinePool',
    metadata: { name: 'p' },
    spec: {
      nameGeneration: { appendIndexToConfigMapRefs: true, appendIndexToSecretRefs: true },
      virtualMachineTemplate: {
        spec: {
          dataVolumeTemplates: [{ metadata: { name: 'disk' } }],
          template: {
            spec: {
              domain: {},
              volumes: [
                { name: 'a', dataVolume: { name: 'disk' } },
                { name: 'b', persistentVolumeClaim: { claimName: 'disk' } },
                { name: 'c', persistentVolumeClaim: { claimName: 'other' } },
                { name: 'd', configMap: { name: 'cm' } },
                { name: 'e', secret: { secretName: 's' } },
                { name: 'f', cloudInitNoCloud: { userDataSecretRef: { name: 'ud' }, networkDataSecretRef: { name: 'nd' } } },
              ],
            },
          },
        },
      },
    },
  } as unknown as VirtualMachinePool;
  const spec = indexVmSpec(pool, 4);
  t.same(spec.dataVolumeTemplates, [{ metadata: { name: 'disk-4' } }]);
  t.same(spec.template.spec.volumes, [
    { name: 'a', dataVolume: { name: 'disk-4' } },
    { name: 'b', persistentVolumeClaim: { claimName: 'disk-4' } },
    { name: 'c', persistentVolumeClaim: { claimName: 'other' } },
    { name: 'd', configMap: { name: 'cm-4' } },
    { name: 'e', secret: { secretName: 's-4' } },
    { name: 'f', cloudInitNoCloud: { userDataSecretRef: { name: 'ud-4' }, networkDataSecretRef: { name: 'nd-4' } } },
  ]);
  t.equal((pool.spec.virtualMachineTemplate.spec.template.spec.volumes ?? [])[0].dataVolume?.name, 'disk', 'the template is left alone');
});

t.test('scaleInOrder: sort policies, then the label and node selectors of the selection policy (pool.go scaleIn)', async (t) => {
  const vm = (name: string, created: string, nodeSelector?: Record<string, string>, labels?: Record<string, string>): VirtualMachine => ({
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, creationTimestamp: created },
    spec: { template: { metadata: { labels }, spec: { domain: {}, nodeSelector } } },
  });
  const vms = [
    vm('p-1', '2026-01-01T00:00:02Z', { zone: 'a' }, { tier: 'gold' }),
    vm('p-10', '2026-01-01T00:00:01Z', { zone: 'b' }),
    vm('p-2', '2026-01-01T00:00:03Z'),
  ];
  const names = (list: VirtualMachine[]) => list.map((v) => v.metadata.name);
  const order = (selectionPolicy: Parameters<typeof scaleInOrder>[1]) => names(scaleInOrder(vms, selectionPolicy, () => 0));
  t.same(order({ sortPolicy: 'AscendingOrder' }), ['p-1', 'p-2', 'p-10'], 'by the index in the name, not the string');
  t.same(order({ sortPolicy: 'DescendingOrder' }), ['p-10', 'p-2', 'p-1']);
  t.same(order({ sortPolicy: 'Newest' }), ['p-2', 'p-1', 'p-10']);
  t.same(order({ sortPolicy: 'Oldest' }), ['p-10', 'p-1', 'p-2']);
  t.same(order({ sortPolicy: 'Oldest', selectors: { labelSelector: { matchLabels: { tier: 'gold' } } } }), ['p-1']);
  t.same(
    order({
      sortPolicy: 'AscendingOrder',
      selectors: { nodeSelectorRequirementMatcher: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] },
    }),
    ['p-1', 'p-10'],
  );
  t.same(
    order({ sortPolicy: 'AscendingOrder', selectors: { nodeSelectorRequirementMatcher: [{ key: 'zone', operator: 'DoesNotExist' }] } }),
    ['p-2'],
  );
  t.throws(() => order({ selectors: { nodeSelectorRequirementMatcher: [{ key: 'zone', operator: 'Near' }] } }), {
    message: 'failed to parse node selector from pool: "Near" is not a valid label selector operator',
  });
});

t.test('vmsToAutoheal: start failures past the threshold, failing statuses once Ready has been False long enough', async (t) => {
  const now = Date.parse('2026-01-01T01:00:00Z');
  const vm = (name: string, status: VirtualMachine['status']): VirtualMachine => ({
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name },
    spec: { template: { spec: { domain: {} } } },
    status,
  });
  const notReadySince = (time: string | null) => [
    { type: 'Ready', status: 'False' as const, lastProbeTime: time, lastTransitionTime: time },
  ];
  const vms = [
    vm('crashing', { printableStatus: 'CrashLoopBackOff', startFailure: { consecutiveFailCount: 3 } }),
    vm('crashed-once', { printableStatus: 'Stopped', startFailure: { consecutiveFailCount: 1 } }),
    vm('pulling', { printableStatus: 'ErrImagePull', conditions: notReadySince(null) }),
    vm('unschedulable', { printableStatus: 'ErrorUnschedulable', conditions: notReadySince('2026-01-01T00:58:00Z') }),
    vm('running', { printableStatus: 'Running', conditions: notReadySince(null) }),
  ];
  const pool = (autohealing?: object) => ({ spec: { autohealing, virtualMachineTemplate: { spec: {} } } }) as unknown as VirtualMachinePool;
  const names = (r: { vms: VirtualMachine[] }) => r.vms.map((v) => v.metadata.name);
  t.same(vmsToAutoheal(pool(), vms, now), { vms: [] }, 'off without spec.autohealing');
  const defaults = vmsToAutoheal(pool({}), vms, now);
  t.same(names(defaults), ['crashing', 'pulling'], 'threshold 3; a null lastProbeTime counts as failing since ever');
  t.equal(defaults.dueInMs, 3 * 60_000, 'the unschedulable VM is due once it has failed for 5 minutes');
  t.same(names(vmsToAutoheal(pool({ startUpFailureThreshold: 1, minFailingToStartDuration: '1m' }), vms, now)), [
    'crashing',
    'crashed-once',
    'pulling',
    'unschedulable',
  ]);
});
