import t from 'tap';
import { NODE_REF, type Node } from '../../../../src/kube/nodes.js';
import { POD_REF } from '../../../../src/kube/pods.js';
import { handlerCommands, handlerFaults } from '../../../../src/kubevirt/handler/index.js';
import { VMI_REF, type VirtualMachineInstance } from '../../../../src/kubevirt/handler/vmi-types.js';
import { startHandlerHarness, vmiFromExampleVm, WORKER, type HandlerHarness } from './handler-harness.js';

const condition = (vmi: VirtualMachineInstance, type: string) => vmi.status?.conditions?.find((c) => c.type === type);

function fedora(name: string, grace?: number): VirtualMachineInstance {
  const vmi = vmiFromExampleVm('vm-cirros.yaml', name);
  vmi.spec!.volumes![0].containerDisk = { image: 'quay.io/containerdisks/fedora:41' };
  vmi.spec!.domain!.devices!.interfaces = [{ name: 'default', masquerade: {} }];
  if (grace === undefined) delete vmi.spec!.terminationGracePeriodSeconds;
  else vmi.spec!.terminationGracePeriodSeconds = grace;
  return vmi;
}

async function running(
  h: HandlerHarness,
  vmi: VirtualMachineInstance,
  until: (v: VirtualMachineInstance) => boolean = (v) => v.status?.phase === 'Running',
) {
  await h.waitFor(
    'handler up',
    async () => (await h.client.get<Node>(NODE_REF, undefined, WORKER)).metadata.labels?.['kubevirt.io/schedulable'] === 'true',
  );
  const scheduled = await h.scheduleVmi(vmi);
  const current = await h.waitFor(`${vmi.metadata.name} running`, async () => {
    const v = await h.getVmi(vmi.metadata.name ?? '');
    return until(v) ? v : undefined;
  });
  return { ...scheduled, vmi: current };
}

const waitVmi = (h: HandlerHarness, name: string, what: string, until: (v: VirtualMachineInstance) => boolean) =>
  h.waitFor(what, async () => {
    const v = await h.getVmi(name);
    return until(v) ? v : undefined;
  });

t.test('fedora with masquerade: guest agent connects after the profile delay, OS info and migratable', async (t) => {
  const h = await startHandlerHarness({ profile: 'realistic' });
  t.teardown(() => h.stop());
  const { vmi, pod } = await running(h, fedora('fedora'));
  t.notOk(condition(vmi, 'AgentConnected'), 'the agent is not there right at boot');
  // virt-handler builds these without timestamps (pkg/virt-handler calculateLiveMigrationCondition); the API server keeps
  // them as null, since the CRD marks them nullable.
  const untimed = { lastProbeTime: null, lastTransitionTime: null };
  t.same(condition(vmi, 'LiveMigratable'), { type: 'LiveMigratable', status: 'True', ...untimed });
  t.same(condition(vmi, 'StorageLiveMigratable'), { type: 'StorageLiveMigratable', status: 'True', ...untimed });
  const connected = await waitVmi(h, 'fedora', 'agent', (v) => condition(v, 'AgentConnected') !== undefined);
  // Appended once with only its probe time (virt-handler's AgentConnected condition).
  t.match(condition(connected, 'AgentConnected'), { status: 'True', lastProbeTime: /^\d{4}-\d\d-\d\dT/ });
  t.equal(condition(connected, 'AgentConnected')?.lastTransitionTime, null, 'no transition time: null');
  t.match(connected.status?.guestOSInfo, {
    id: 'fedora',
    name: 'Fedora Linux',
    versionId: '41',
    prettyName: 'Fedora Linux 41 (Cloud Edition)',
  });
  t.match(connected.status?.interfaces?.[0], { interfaceName: 'eth0', infoSource: 'domain, guest-agent', ipAddress: pod.status?.podIP });

  await handlerFaults(h.clock).disconnectGuestAgent('default', 'fedora');
  const gone = await waitVmi(h, 'fedora', 'agent gone', (v) => condition(v, 'AgentConnected') === undefined);
  t.same(gone.status?.guestOSInfo, {});
  t.equal(gone.status?.interfaces?.[0].infoSource, 'domain');
});

t.test('pause and unpause through handlerCommands; soft reboot reconnects the agent', async (t) => {
  const h = await startHandlerHarness();
  t.teardown(() => h.stop());
  await running(h, fedora('f1'), (v) => condition(v, 'AgentConnected') !== undefined);
  const commands = handlerCommands(h.clock);
  await commands.pause('default', 'f1');
  const paused = await waitVmi(h, 'f1', 'paused', (v) => condition(v, 'Paused') !== undefined);
  t.match(condition(paused, 'Paused'), { status: 'True', reason: 'PausedByUser', message: 'VMI was paused by user' });
  t.equal(paused.status?.phase, 'Running', 'a paused VMI stays Running');
  await commands.unpause('default', 'f1');
  await waitVmi(h, 'f1', 'unpaused', (v) => condition(v, 'Paused') === undefined);
  await commands.softReboot('default', 'f1');
  await waitVmi(h, 'f1', 'agent back after reboot', (v) => condition(v, 'AgentConnected') !== undefined);
  await t.rejects(commands.pause('default', 'nope'), { code: 404 });
});

t.test('graceful shutdown honours terminationGracePeriodSeconds: a guest that ignores ACPI is killed and Failed', async (t) => {
  const h = await startHandlerHarness();
  t.teardown(() => h.stop());
  const { pod } = await running(h, fedora('f2', 20));
  await handlerCommands(h.clock).pause('default', 'f2');
  await waitVmi(h, 'f2', 'paused', (v) => condition(v, 'Paused') !== undefined);
  await h.client.patch(VMI_REF, 'default', 'f2', 'merge', { metadata: { finalizers: ['kubevirt.io/foregroundDeleteVirtualMachine'] } });
  await h.client.delete(VMI_REF, 'default', 'f2');
  await h.clock.advance(19_000);
  t.equal((await h.getVmi('f2')).status?.phase, 'Running', 'still running within the grace period');
  t.ok((await h.events('f2')).some((e) => e.reason === 'ShuttingDown' && e.message === 'Signaled Graceful Shutdown'));
  const failed = await waitVmi(h, 'f2', 'Failed', (v) => v.status?.phase === 'Failed');
  t.notOk(condition(failed, 'Paused'));
  const events = (await h.events('f2')).map((e) => `${e.type}/${e.reason}/${e.message}`);
  t.ok(events.includes('Normal/Deleted/VirtualMachineInstance stopping'));
  t.ok(events.includes('Warning/Stopped/The VirtualMachineInstance crashed.'));
  await h.client.delete(POD_REF, 'default', pod.metadata.name ?? '');
});

t.test('a running guest answers ACPI and ends Succeeded; guest poweroff too', async (t) => {
  const h = await startHandlerHarness();
  t.teardown(() => h.stop());
  const { pod } = await running(h, fedora('f3', 30));
  await h.client.delete(POD_REF, 'default', pod.metadata.name ?? '');
  const done = await waitVmi(h, 'f3', 'Succeeded', (v) => v.status?.phase === 'Succeeded');
  t.equal(done.status?.phase, 'Succeeded', 'launcher pod deletion triggers the graceful shutdown');
  t.ok((await h.events('f3')).some((e) => e.reason === 'ShuttingDown'));

  await running(h, fedora('f4'));
  await handlerFaults(h.clock).powerOffGuest('default', 'f4');
  await waitVmi(h, 'f4', 'Succeeded', (v) => v.status?.phase === 'Succeeded');
  t.ok((await h.events('f4')).some((e) => e.type === 'Normal' && e.reason === 'Stopped'));
});

t.test('faults: a crashed guest and a failed boot end Failed', async (t) => {
  const h = await startHandlerHarness();
  t.teardown(() => h.stop());
  await running(h, fedora('crash'));
  await handlerFaults(h.clock).crashGuest('default', 'crash');
  await waitVmi(h, 'crash', 'Failed', (v) => v.status?.phase === 'Failed');
  t.ok(
    (await h.events('crash')).some(
      (e) => e.type === 'Warning' && e.reason === 'Stopped' && e.message === 'The VirtualMachineInstance crashed.',
    ),
  );

  await handlerFaults(h.clock).failBoot('default', 'noboot');
  const failed = await running(h, fedora('noboot'), (v) => v.status?.phase === 'Failed');
  t.match(condition(failed.vmi, 'Synchronized'), { status: 'False', reason: 'Synchronizing with the Domain failed.' });
  t.notOk(
    failed.vmi.status?.phaseTransitionTimestamps?.some((p) => p.phase === 'Running'),
    'never ran',
  );
  // The recorder writes its Event beside the status update, not before it: wait for it.
  const syncFailed = await h.waitFor('the SyncFailed event', async () =>
    (await h.events('noboot')).some((e) => e.type === 'Warning' && e.reason === 'SyncFailed' && e.message.includes('SyncVMI failed')),
  );
  t.ok(syncFailed);
});
