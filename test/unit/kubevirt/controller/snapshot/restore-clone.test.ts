import t from 'tap';
import type { KubeObject } from '../../../../../src/api/types.js';
import { cirrosVm, VM, VMI } from '../harness.js';
import {
  CLONE,
  condition,
  RESTORE,
  SNAPSHOT,
  snapshotOf,
  startSnapshotHarness,
  statusOf,
  waitForPhase,
  type WithStatus,
} from './harness.js';

const h = await startSnapshotHarness();
t.teardown(() => h.stop());

const restoreOf = (name: string, target: string, snapshot: string, extra: Record<string, unknown> = {}): KubeObject =>
  ({
    apiVersion: RESTORE.apiVersion,
    kind: RESTORE.kind,
    metadata: { name, namespace: 'default' },
    spec: { target: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: target }, virtualMachineSnapshotName: snapshot, ...extra },
  }) as KubeObject;

type Vm = WithStatus & { spec: { runStrategy?: string; template: { spec: { domain: { memory: { guest: string } } } } } };

t.test('a restore waits for the target to stop, then writes the snapshot spec back', async (t) => {
  await h.client.create(cirrosVm('web', 'Always'));
  await h.waitFor('VMI created', () => h.tryGet(VMI, 'default', 'web'));
  await h.client.create(snapshotOf('web-snap', 'web'));
  await waitForPhase(h, SNAPSHOT, 'web-snap', 'Succeeded');
  await h.client.patch(VM, 'default', 'web', 'merge', { spec: { template: { spec: { domain: { memory: { guest: '256Mi' } } } } } });

  const restore = await h.client.create(restoreOf('web-restore', 'web', 'web-snap'));
  const waiting = await h.waitFor('restore waiting', async () => {
    const status = await statusOf(h, RESTORE, 'web-restore');
    return condition(status, 'Progressing')?.reason?.startsWith('Waiting for target VM') ? status : undefined;
  });
  t.equal(waiting.complete, false);
  t.match(condition(waiting, 'Ready'), {
    status: 'False',
    reason:
      'Waiting for target VM to be powered off. Please stop the restore target to proceed with restore, or the operation will fail after 5m0s',
  });
  t.ok(
    (await h.events('web-restore')).some(
      (e) =>
        e.type === 'Warning' &&
        e.reason === 'RestoreTargetNotReady' &&
        e.message === 'Restore target VMI still exists, please stop the restore target to proceed with restore',
    ),
  );
  const owned = await h.client.get<WithStatus>(RESTORE, 'default', 'web-restore');
  t.same(owned.metadata.finalizers, ['snapshot.kubevirt.io/vmrestore-protection']);
  t.equal(owned.metadata.ownerReferences?.[0]?.name, 'web');

  await h.client.patch(VM, 'default', 'web', 'merge', { spec: { runStrategy: 'Halted' } });
  const done = await h.waitFor('restore complete', async () => {
    const status = await statusOf(h, RESTORE, 'web-restore');
    return status.complete === true ? status : undefined;
  });
  t.ok(done.restoreTime);
  t.match(condition(done, 'Ready'), { status: 'True', reason: 'Operation complete' });
  t.match(condition(done, 'Progressing'), { status: 'False', reason: 'Operation complete' });
  const vm = await h.client.get<Vm>(VM, 'default', 'web');
  t.equal(vm.spec.template.spec.domain.memory.guest, '128Mi', 'the snapshot spec is back');
  t.equal(vm.spec.runStrategy, 'Halted', 'the target keeps its run strategy');
  t.equal(vm.metadata.annotations?.['restore.kubevirt.io/lastRestoreUID'], `web-restore-${restore.metadata.uid}`);
  t.equal(vm.status?.restoreInProgress, undefined);
  t.ok(
    (await h.events('web-restore')).some(
      (e) => e.reason === 'VirtualMachineRestoreComplete' && e.message === 'Successfully completed VirtualMachineRestore web-restore',
    ),
  );
});

t.test('FailImmediate fails a restore of a running target', async (t) => {
  await h.client.create(cirrosVm('busy', 'Always'));
  await h.waitFor('VMI created', () => h.tryGet(VMI, 'default', 'busy'));
  await h.client.create(snapshotOf('busy-snap', 'busy'));
  await waitForPhase(h, SNAPSHOT, 'busy-snap', 'Succeeded');
  await h.client.create(restoreOf('busy-restore', 'busy', 'busy-snap', { targetReadinessPolicy: 'FailImmediate' }));
  const failed = await h.waitFor('restore failed', async () => {
    const status = await statusOf(h, RESTORE, 'busy-restore');
    return condition(status, 'Failure') ? status : undefined;
  });
  t.match(condition(failed, 'Failure'), { status: 'True', reason: 'Restore target VMI must be powered off before restore operation' });
  t.equal(failed.complete, false);
});

t.test('StopTarget stops the target and then restores', async (t) => {
  await h.client.create(cirrosVm('auto', 'Always'));
  await h.waitFor('VMI created', () => h.tryGet(VMI, 'default', 'auto'));
  await h.client.create(snapshotOf('auto-snap', 'auto'));
  await waitForPhase(h, SNAPSHOT, 'auto-snap', 'Succeeded');
  await h.client.create(restoreOf('auto-restore', 'auto', 'auto-snap', { targetReadinessPolicy: 'StopTarget' }));
  await h.waitFor('restore complete', async () => (await statusOf(h, RESTORE, 'auto-restore')).complete === true);
  t.equal((await h.client.get<Vm>(VM, 'default', 'auto')).spec.runStrategy, 'Halted');
});

t.test('a restore into a new VM creates it halted, with the patches applied', async (t) => {
  await h.client.create(cirrosVm('origin', 'Halted'));
  await h.client.create(snapshotOf('origin-snap', 'origin'));
  await waitForPhase(h, SNAPSHOT, 'origin-snap', 'Succeeded');
  await h.client.create(
    restoreOf('copy-restore', 'copy', 'origin-snap', {
      patches: ['{"op":"replace","path":"/metadata/labels/kubevirt.io~1vm","value":"copy"}'],
    }),
  );
  await h.waitFor('restore complete', async () => (await statusOf(h, RESTORE, 'copy-restore')).complete === true);
  const copy = await h.client.get<Vm>(VM, 'default', 'copy');
  t.equal(copy.spec.runStrategy, 'Halted');
  t.equal(copy.metadata.labels?.['kubevirt.io/vm'], 'copy');
});

t.test('a clone snapshots, restores into the target and cleans up', async (t) => {
  await h.client.create({
    ...cirrosVm('source', 'Halted'),
    metadata: { name: 'source', namespace: 'default', labels: { app: 'web', team: 'a' }, annotations: { keep: 'yes', drop: 'no' } },
  });
  const clone = await h.client.create({
    apiVersion: CLONE.apiVersion,
    kind: CLONE.kind,
    metadata: { name: 'source-clone', namespace: 'default' },
    spec: {
      source: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'source' },
      target: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'twin' },
      labelFilters: ['app'],
      annotationFilters: ['*', '!drop'],
    },
  } as KubeObject);
  const phases = new Set<string>();
  const status = await h.waitFor(
    'clone succeeded',
    async () => {
      const current = await statusOf(h, CLONE, 'source-clone');
      if (current.phase) phases.add(current.phase);
      return current.phase === 'Succeeded' && current.snapshotName === undefined ? current : undefined;
    },
    200,
  );
  t.ok(phases.has('Succeeded'));
  t.equal(status.targetName, 'twin');
  t.equal(status.restoreName, undefined);
  t.match(condition(status, 'Ready'), { status: 'True', reason: 'Ready' });
  t.match(condition(status, 'Progressing'), { status: 'False', reason: 'Ready' });
  const twin = await h.client.get<Vm>(VM, 'default', 'twin');
  t.same(twin.metadata.labels, { app: 'web' }, 'labels filtered');
  t.equal(twin.metadata.annotations?.keep, 'yes');
  t.equal(twin.metadata.annotations?.drop, undefined, 'annotation filtered out');
  await h.waitFor(
    'temporary objects gone',
    async () =>
      !(await h.tryGet(SNAPSHOT, 'default', `tmp-snapshot-${clone.metadata.uid}`)) &&
      !(await h.tryGet(RESTORE, 'default', `tmp-restore-${clone.metadata.uid}`)),
  );
  const reasons = (await h.events('source-clone')).map((e) => e.reason);
  for (const reason of ['SnapshotCreated', 'SnapshotReady', 'RestoreCreated', 'RestoreReady', 'TargetVMCreated', 'PVCBound'])
    t.ok(reasons.includes(reason), reason);

  await h.client.delete(VM, 'default', 'twin');
  await h.waitFor('clone deleted with its target', async () => !(await h.tryGet(CLONE, 'default', 'source-clone')));
});

t.test('a clone of a missing source is pending', async (t) => {
  await h.client.create({
    apiVersion: CLONE.apiVersion,
    kind: CLONE.kind,
    metadata: { name: 'orphan-clone', namespace: 'default' },
    spec: {
      source: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'nowhere' },
      target: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'x' },
    },
  } as KubeObject);
  const status = await h.waitFor('clone pending', async () => {
    const current = await statusOf(h, CLONE, 'orphan-clone');
    return condition(current, 'Progressing') ? current : undefined;
  });
  t.equal(status.phase, undefined);
  t.match(condition(status, 'Progressing'), { status: 'False', reason: 'Pending' });
  t.match(condition(status, 'Ready'), { status: 'False', reason: 'Source doesnt exist: VirtualMachine default/nowhere' });
});
