import t from 'tap';
import { handlerFaults } from '../../../../../src/kubevirt/handler/index.js';
import { POD, startMigrationHarness, VMI, VMIM, type MigrationHarness, type Obj } from './harness.js';

let h: MigrationHarness;
t.before(async () => {
  h = await startMigrationHarness();
});
t.teardown(() => h.stop());

const migrationState = (vmi: Obj | undefined): Record<string, unknown> => (vmi?.status?.migrationState ?? {}) as Record<string, unknown>;

async function migrate(name: string, vmiName: string): Promise<Obj> {
  await h.client.create({
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstanceMigration',
    metadata: { name, namespace: 'default' },
    spec: { vmiName },
  });
  return h.waitFor(`VMIM ${name} final`, async () => {
    const vmim = await h.tryGet(VMIM, name);
    return vmim?.status?.phase === 'Succeeded' || vmim?.status?.phase === 'Failed' ? vmim : undefined;
  });
}

t.test('a VMIM moves a running VMI to the other worker through every phase', async (t) => {
  const before = await h.runningVm('mig-a');
  const source = before.status?.nodeName;
  const sourcePod = (await h.launcherPods('mig-a'))[0];
  const vmim = await migrate('mig-a-1', 'mig-a');
  t.equal(vmim.status?.phase, 'Succeeded');
  t.same(
    (vmim.status?.phaseTransitionTimestamps as Array<{ phase: string }> | undefined)?.map((p) => p.phase),
    ['Pending', 'Scheduling', 'Scheduled', 'PreparingTarget', 'TargetReady', 'Running', 'Succeeded'],
  );
  t.equal(vmim.metadata.labels?.['kubevirt.io/vmi-name'], 'mig-a', "virt-api's mutator labels the migration");
  t.ok(vmim.metadata.finalizers?.includes('kubevirt.io/migrationJobFinalize'));

  const vmi = await h.waitFor('VMI on the target', async () => {
    const v = await h.tryGet(VMI, 'mig-a');
    return v?.status?.nodeName !== source ? v : undefined;
  });
  const state = migrationState(vmi);
  t.equal(vmi.status?.phase, 'Running', 'the VMI stays Running');
  t.same(
    (vmi.status?.phaseTransitionTimestamps as Array<{ phase: string }> | undefined)?.map((p) => p.phase),
    ['Pending', 'Scheduling', 'Scheduled', 'Running'],
    'no phase change during the migration',
  );
  t.match(state, {
    migrationUid: vmim.metadata.uid,
    sourceNode: source,
    targetNode: vmi.status?.nodeName,
    sourcePod: sourcePod.metadata.name,
    completed: true,
    failed: false,
    mode: 'PreCopy',
    targetNodeDomainDetected: true,
  });
  t.ok(state.startTimestamp && state.endTimestamp && state.targetNodeAddress, 'timestamps and the target address');
  t.equal(vmi.metadata.labels?.['kubevirt.io/nodeName'], vmi.status?.nodeName);
  t.equal(vmi.metadata.labels?.['kubevirt.io/migrationTargetNodeName'], vmi.status?.nodeName);
  t.match(vmim.status?.migrationState, { migrationUid: vmim.metadata.uid, completed: true }, 'the VMIM keeps a copy of the state');

  const target = await h.client.get<Obj>(POD, 'default', state.targetPod as string);
  t.equal(target.metadata.labels?.['kubevirt.io/migrationJobUID'], vmim.metadata.uid);
  t.equal(target.metadata.annotations?.['kubevirt.io/migrationJobName'], 'mig-a-1');
  t.match((target.spec as { affinity?: unknown }).affinity, {
    podAntiAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        { labelSelector: { matchLabels: { 'kubevirt.io/created-by': vmi.metadata.uid } }, topologyKey: 'kubernetes.io/hostname' },
      ],
    },
  });
  await h.waitFor(
    'source launcher gone',
    async () => !(await h.client.list(POD, { namespace: 'default' })).items.some((p) => p.metadata.name === sourcePod.metadata.name),
  );
  const ip = (vmi.status?.interfaces as Array<{ ipAddress?: string }> | undefined)?.[0]?.ipAddress;
  await h.waitFor('interface IP of the target pod', async () => {
    const v = await h.tryGet(VMI, 'mig-a');
    return (
      (v?.status?.interfaces as Array<{ ipAddress?: string }> | undefined)?.[0]?.ipAddress === (target.status as { podIP?: string }).podIP
    );
  });
  t.not(ip, undefined);

  const migEvents = await h.events('mig-a-1');
  for (const e of [
    `Normal/SuccessfulCreate/Created migration target pod ${target.metadata.name}`,
    'Normal/SuccessfulHandOver/Migration target pod is ready for preparation by virt-handler.',
    'Normal/SuccessfulMigration/Source node reported migration succeeded',
  ])
    t.ok(migEvents.includes(e), e);
  const vmiEvents = await h.events('mig-a');
  for (const e of [
    'Normal/PreparingTarget/VirtualMachineInstance Migration Target Prepared.',
    'Normal/Migrating/VirtualMachineInstance is migrating.',
    `Normal/Migrated/The VirtualMachineInstance migrated to node ${vmi.status?.nodeName}.`,
  ])
    t.ok(vmiEvents.includes(e), e);

  // And back: a second migration of the same VMI.
  const back = await migrate('mig-a-2', 'mig-a');
  t.equal(back.status?.phase, 'Succeeded');
  await h.waitFor('VMI back on the source', async () => (await h.tryGet(VMI, 'mig-a'))?.status?.nodeName === source);
});

t.test('a failing migration (fault) leaves the VMI on its source', async (t) => {
  const before = await h.runningVm('mig-b');
  const source = before.status?.nodeName;
  await handlerFaults(h.emulator.clock).failNextMigration('default', 'mig-b');
  const vmim = await migrate('mig-b-1', 'mig-b');
  t.equal(vmim.status?.phase, 'Failed');
  // The controller goes to Failed from TargetReady or from Running, whichever it is in when it sees the source's report
  // (migration-phase.ts, as KubeVirt's updateStatus): Running shows only if it saw the start before the failure.
  const phases = (vmim.status?.phaseTransitionTimestamps as Array<{ phase: string }> | undefined)?.map((p) => p.phase) ?? [];
  t.same(
    phases.filter((phase) => phase !== 'Running'),
    ['Pending', 'Scheduling', 'Scheduled', 'PreparingTarget', 'TargetReady', 'Failed'],
  );
  t.ok(phases.indexOf('Running') < 0 || phases.indexOf('Running') === phases.length - 2, 'Running, if seen, just before Failed');
  const vmi = (await h.tryGet(VMI, 'mig-b'))!;
  t.equal(vmi.status?.phase, 'Running');
  t.equal(vmi.status?.nodeName, source, 'still on the source');
  t.match(migrationState(vmi), { completed: true, failed: true, failureReason: /MigrateToURI3/ });
  t.ok((await h.events('mig-b-1')).includes('Warning/FailedMigration/source node reported migration failed'));
  t.ok(
    (await h.events('mig-b')).some((e) =>
      e.startsWith(`Warning/Migrated/VirtualMachineInstance migration uid ${vmim.metadata.uid} failed. reason:`),
    ),
  );
  await h.waitFor('target launcher gone', async () => (await h.launcherPods('mig-b')).length === 1);
  // The fault was for one migration only.
  t.equal((await migrate('mig-b-2', 'mig-b')).status?.phase, 'Succeeded');
});

t.test('a VMI that cannot migrate: virt-api refuses the migration', async (t) => {
  await h.runningVm('mig-c', { bridge: true });
  const err = await h.client
    .create({
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstanceMigration',
      metadata: { name: 'mig-c-1', namespace: 'default' },
      spec: { vmiName: 'mig-c' },
    })
    .then(
      () => undefined,
      (e: unknown) => e as { code?: number; message?: string },
    );
  t.equal(err?.code, 400);
  t.match(
    err?.message,
    'admission webhook "migration-create-validator.kubevirt.io" denied the request: Cannot migrate VMI, Reason: InterfaceNotLiveMigratable',
  );
});

t.test('evicting a LiveMigrate launcher evacuates the VMI; other launchers are evicted', async (t) => {
  const before = await h.runningVm('mig-d', { evictionStrategy: 'LiveMigrate' });
  const source = before.status?.nodeName;
  const pod = (await h.launcherPods('mig-d'))[0];
  const refused = await h.evict(pod.metadata.name ?? '');
  t.equal(refused.code, 429);
  t.equal(
    refused.message,
    'admission webhook "virt-launcher-eviction-interceptor.kubevirt.io" denied the request: Eviction triggered evacuation of VMI "default/mig-d"',
  );
  const moved = await h.waitFor('VMI evacuated', async () => {
    const v = await h.tryGet(VMI, 'mig-d');
    return v?.status?.nodeName !== source ? v : undefined;
  });
  t.notOk(moved.status?.evacuationNodeName, 'the target handler clears the evacuation mark');
  const migrations = (await h.client.list<Obj>(VMIM, { namespace: 'default' })).items.filter((m) => m.spec?.vmiName === 'mig-d');
  t.equal(migrations.length, 1);
  t.match(migrations[0].metadata, { name: /^kubevirt-evacuation-/, annotations: { 'kubevirt.io/evacuationMigration': source } });
  t.equal(migrations[0].spec?.priority, 'system-critical');
  t.ok((await h.events('mig-d')).includes(`Normal/SuccessfulCreate/Created Migration ${migrations[0].metadata.name}`));

  // evictionStrategy None: the eviction goes through and the VM starts a new VMI.
  const plain = await h.runningVm('mig-e', { evictionStrategy: 'None' });
  const plainPod = (await h.launcherPods('mig-e'))[0];
  t.equal((await h.evict(plainPod.metadata.name ?? '')).code, 201);
  await h.waitFor('a new VMI', async () => {
    const v = await h.tryGet(VMI, 'mig-e');
    return v && v.metadata.uid !== plain.metadata.uid && v.status?.phase === 'Running';
  });

  // LiveMigrate on a VMI that cannot migrate: refused, not marked.
  await h.runningVm('mig-f', { evictionStrategy: 'LiveMigrate', bridge: true });
  const stuck = await h.evict((await h.launcherPods('mig-f'))[0].metadata.name ?? '');
  t.equal(stuck.code, 429);
  t.match(stuck.message, 'VMI mig-f is configured with an eviction strategy but is not live-migratable');
});
