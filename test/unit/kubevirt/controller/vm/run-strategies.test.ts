import t from 'tap';
import { cirrosVm, setVmiPhase, startHarness, VM, VMI, vmStatus, waitForPrintable, waitForVmiPhase, type Harness } from '../harness.js';

let h: Harness;
t.before(async () => {
  h = await startHarness();
});
t.teardown(() => h.stop());

const vmiGone = (name: string) => h.waitFor(`VMI ${name} gone`, async () => (await h.tryGet(VMI, 'default', name)) === undefined);

t.test('Always → Halted stops: the VMI is deleted, its pod deleted, the VM ends Stopped', async (t) => {
  await h.client.create(cirrosVm('always-stop', 'Always'));
  await waitForVmiPhase(h, 'always-stop', 'Scheduled');
  const uid = (await h.client.get(VMI, 'default', 'always-stop')).metadata.uid;
  await h.client.patch(VM, 'default', 'always-stop', 'merge', { spec: { runStrategy: 'Halted' } });
  await vmiGone('always-stop');
  await waitForPrintable(h, 'always-stop', 'Stopped');
  const status = await vmStatus(h, 'always-stop');
  t.equal(status.created, undefined);
  t.equal(status.ready, undefined);
  t.equal(status.runStrategy, 'Halted');
  const events = await h.events('always-stop');
  t.ok(
    events.some(
      (e) =>
        e.reason === 'SuccessfulDelete' &&
        e.message === `Stopped the virtual machine by deleting the virtual machine instance ${uid ?? ''}`,
    ),
  );
  t.ok(events.some((e) => e.reason === 'SuccessfulDelete' && /^Deleted virtual machine pod virt-launcher-always-stop-/.test(e.message)));
});

t.test('Always restarts a VMI that shut down, with a new UID', async (t) => {
  await h.client.create(cirrosVm('always-restart', 'Always'));
  await waitForVmiPhase(h, 'always-restart', 'Scheduled');
  await setVmiPhase(h, 'always-restart', 'Running');
  await waitForPrintable(h, 'always-restart', 'Running');
  const first = (await h.client.get(VMI, 'default', 'always-restart')).metadata.uid;
  await setVmiPhase(h, 'always-restart', 'Succeeded');
  const second = await h.waitFor('a new VMI', async () => {
    const vmi = await h.tryGet(VMI, 'default', 'always-restart');
    return vmi && vmi.metadata.uid !== first ? vmi : undefined;
  });
  t.not(second.metadata.uid, first);
  t.equal((await vmStatus(h, 'always-restart')).startFailure, undefined, 'a VMI that ran is no start failure');
});

t.test('RerunOnFailure: restarts after Failed, stays Stopped after Succeeded', async (t) => {
  await h.client.create(cirrosVm('rerun', 'RerunOnFailure'));
  await waitForVmiPhase(h, 'rerun', 'Scheduled');
  await setVmiPhase(h, 'rerun', 'Running');
  const first = (await h.client.get(VMI, 'default', 'rerun')).metadata.uid;
  await setVmiPhase(h, 'rerun', 'Failed');
  const second = await h.waitFor('a restarted VMI', async () => {
    const vmi = await h.tryGet(VMI, 'default', 'rerun');
    return vmi && vmi.metadata.uid !== first ? vmi : undefined;
  });
  t.ok(second);
  await waitForVmiPhase(h, 'rerun', 'Scheduled');
  await setVmiPhase(h, 'rerun', 'Running');
  await setVmiPhase(h, 'rerun', 'Succeeded');
  await vmiGone('rerun');
  await waitForPrintable(h, 'rerun', 'Stopped');
  t.equal((await vmStatus(h, 'rerun')).stateChangeRequests, undefined, 'the Start request was consumed');
});

t.test('Manual: starts on a Start request, stops on a Stop request for the VMI', async (t) => {
  await h.client.create(cirrosVm('manual', 'Manual'));
  await waitForPrintable(h, 'manual', 'Stopped');
  t.equal(await h.tryGet(VMI, 'default', 'manual'), undefined);
  await h.client.patch(
    VM,
    'default',
    'manual',
    'merge',
    { status: { stateChangeRequests: [{ action: 'Start' }] } },
    { subresource: 'status' },
  );
  const vmi = await waitForVmiPhase(h, 'manual', 'Scheduled');
  await h.waitFor('Start request trimmed', async () => (await vmStatus(h, 'manual')).stateChangeRequests === undefined);
  await h.client.patch(
    VM,
    'default',
    'manual',
    'merge',
    { status: { stateChangeRequests: [{ action: 'Stop', uid: vmi.metadata.uid }] } },
    { subresource: 'status' },
  );
  await vmiGone('manual');
  await waitForPrintable(h, 'manual', 'Stopped');
  t.equal((await vmStatus(h, 'manual')).stateChangeRequests, undefined, 'Stop request trimmed once the VMI is gone');
});

t.test('Once: a finished VMI stays and the VM shows Stopped', async (t) => {
  await h.client.create(cirrosVm('once', 'Once'));
  await waitForVmiPhase(h, 'once', 'Scheduled');
  await setVmiPhase(h, 'once', 'Running');
  await setVmiPhase(h, 'once', 'Succeeded');
  await waitForPrintable(h, 'once', 'Stopped');
  await h.clock.advance(30_000);
  const vmi = await h.client.get(VMI, 'default', 'once');
  t.equal((vmi.status as { phase?: string }).phase, 'Succeeded', 'not restarted');
  t.notOk(
    vmi.metadata.finalizers?.includes('kubevirt.io/virtualMachineControllerFinalize'),
    'VM controller finalizer released from the final VMI',
  );
  t.equal((await vmStatus(h, 'once')).created, true);
});

t.test('Halted with a Start request switches the VM to Always (virtctl start --paused)', async (t) => {
  await h.client.create(cirrosVm('halted-start', 'Halted'));
  await waitForPrintable(h, 'halted-start', 'Stopped');
  await h.client.patch(
    VM,
    'default',
    'halted-start',
    'merge',
    { status: { stateChangeRequests: [{ action: 'Start', data: { paused: 'true' } }] } },
    { subresource: 'status' },
  );
  const vmi = await waitForVmiPhase(h, 'halted-start', 'Scheduled');
  t.equal((await h.client.get(VM, 'default', 'halted-start')).spec?.runStrategy, 'Always');
  t.equal((vmi.spec as { startStrategy?: string }).startStrategy, 'Paused');
});

t.test('legacy spec.running: true behaves as Always', async (t) => {
  const vm = cirrosVm('legacy', 'Always', (spec) => {
    delete spec.runStrategy;
    spec.running = true;
  });
  await h.client.create(vm);
  await waitForVmiPhase(h, 'legacy', 'Scheduled');
  t.equal((await vmStatus(h, 'legacy')).runStrategy, 'Always');
});

t.test('crash loop: a VMI failing before Running backs off 10–15 s, shown as CrashLoopBackOff', async (t) => {
  await h.client.create(cirrosVm('crashy', 'Always'));
  await waitForVmiPhase(h, 'crashy', 'Scheduled');
  const first = (await h.client.get(VMI, 'default', 'crashy')).metadata.uid;
  await setVmiPhase(h, 'crashy', 'Failed');
  await waitForPrintable(h, 'crashy', 'CrashLoopBackOff');
  const failure = (await vmStatus(h, 'crashy')).startFailure as {
    consecutiveFailCount: number;
    lastFailedVMIUID: string;
    retryAfterTimestamp: string;
  };
  t.equal(failure.consecutiveFailCount, 1);
  t.equal(failure.lastFailedVMIUID, first);
  const delaySeconds = (Date.parse(failure.retryAfterTimestamp) - h.clock.nowMs()) / 1000;
  t.ok(delaySeconds > 0 && delaySeconds <= 15, `retry after ${delaySeconds}s`);
  t.equal(await h.tryGet(VMI, 'default', 'crashy'), undefined, 'no VMI during the back-off');
  await h.waitFor('restart after back-off', async () => {
    const vmi = await h.tryGet(VMI, 'default', 'crashy');
    return vmi && vmi.metadata.uid !== first;
  });
});

t.test('a VM keeps one start ControllerRevision, of its current generation; it goes with the VM', async (t) => {
  const REVISION = { apiVersion: 'apps/v1', kind: 'ControllerRevision' } as const;
  const name = 'revisions';
  await h.client.create(cirrosVm(name, 'Always'));
  const uid = (await h.client.get(VM, 'default', name)).metadata.uid ?? '';
  const startRevisions = async () =>
    (await h.client.list(REVISION, { namespace: 'default' })).items
      .filter((r) => r.metadata.ownerReferences?.some((ref) => ref.uid === uid))
      .map((r) => ({ name: r.metadata.name, revision: r.revision }));
  let vmi = await waitForVmiPhase(h, name, 'Scheduled');
  for (const round of [1, 2, 3]) {
    await h.client.patch(VM, 'default', name, 'merge', { spec: { runStrategy: 'Halted' } });
    await vmiGone(name);
    await h.client.patch(VM, 'default', name, 'merge', {
      spec: { runStrategy: 'Always', template: { metadata: { labels: { round: String(round) } } } },
    });
    const previous = vmi.metadata.uid;
    vmi = await h.waitFor(`VMI of round ${round}`, async () => {
      const next = await h.tryGet<typeof vmi>(VMI, 'default', name);
      return next && next.metadata.uid !== previous ? next : undefined;
    });
    const generation = (await h.client.get(VM, 'default', name)).metadata.generation;
    const current = `revision-start-vm-${uid}-${generation}`;
    t.same(await startRevisions(), [{ name: current, revision: generation }], `round ${round}: only generation ${generation}'s`);
    t.equal(vmi.status?.virtualMachineRevisionName, current);
  }
  // A restart at the same generation reuses its revision.
  await setVmiPhase(h, name, 'Succeeded');
  const restarted = await h.waitFor('the VMI restarted', async () => {
    const next = await h.tryGet<typeof vmi>(VMI, 'default', name);
    return next && next.metadata.uid !== vmi.metadata.uid ? next : undefined;
  });
  t.equal(restarted.status?.virtualMachineRevisionName, vmi.status?.virtualMachineRevisionName);
  t.equal((await startRevisions()).length, 1);
  await h.client.delete(VM, 'default', name);
  await h.waitFor('the start revision collected with its VM', async () => (await startRevisions()).length === 0);
});
