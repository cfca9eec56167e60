import t from 'tap';
import type { VirtualMachineInstance } from '../../../../../src/kubevirt/controller/types.js';
import { example, setVmiPhase, VMI, type Harness } from '../harness.js';
import { patchScale, startReplicaHarness, statusOf, VMIRS } from './harness.js';

const NAME = 'vmi-replicaset-cirros';
const SELECTOR = `kubevirt.io/vmReplicaSet=${NAME}`;

/** The VMIs of the replica set that are not being deleted. */
async function liveVmis(h: Harness): Promise<VirtualMachineInstance[]> {
  const list = await h.client.list<VirtualMachineInstance>(VMI, { namespace: 'default', labelSelector: SELECTOR });
  return list.items.filter((vmi) => !vmi.metadata.deletionTimestamp);
}

async function waitForLive(h: Harness, count: number): Promise<VirtualMachineInstance[]> {
  return h.waitFor(`${count} live VMIs`, async () => {
    const vmis = await liveVmis(h);
    return vmis.length === count ? vmis : undefined;
  });
}

const eventsOf = async (h: Harness) => (await h.events(NAME)).map((e) => `${e.type} ${e.reason} ${e.message}`);

t.test('VMIRS: creates, scales, replaces and reports like virt-controller', async (t) => {
  const h = await startReplicaHarness();
  t.teardown(() => h.stop());
  const rsObject = example('vmi-replicaset-cirros.yaml');
  const rs = await h.client.create({ ...rsObject, metadata: { ...rsObject.metadata, namespace: 'default' } });

  const vmis = await waitForLive(h, 3);
  for (const vmi of vmis) {
    t.match(vmi.metadata.name, new RegExp(`^${NAME}[a-z0-9]{5}$`), 'generateName is the replica set name, no dash');
    t.same(vmi.metadata.labels?.['kubevirt.io/vmReplicaSet'], NAME);
    t.same(vmi.metadata.ownerReferences, [
      {
        apiVersion: 'kubevirt.io/v1',
        kind: 'VirtualMachineInstanceReplicaSet',
        name: NAME,
        uid: rs.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
  }
  await h.waitFor('status replicas 3', async () => (await statusOf(h, VMIRS, NAME)).replicas === 3);
  t.same(await statusOf(h, VMIRS, NAME), { replicas: 3, labelSelector: SELECTOR }, 'no ready VMI yet: readyReplicas omitted');
  const created = (await eventsOf(h)).filter((e) => e.startsWith('Normal SuccessfulCreate'));
  t.same(
    created.sort(),
    vmis
      .map((vmi) => `Normal SuccessfulCreate Started the virtual machine by creating the new virtual machine instance ${vmi.metadata.name}`)
      .sort(),
  );

  // virt-handler's part, faked: the guests run; the VMI controller then reports them Ready.
  for (const vmi of vmis) await setVmiPhase(h, vmi.metadata.name ?? '', 'Running');
  await h.waitFor('readyReplicas 3', async () => (await statusOf(h, VMIRS, NAME)).readyReplicas === 3);

  await t.test('the scale subresource reads the status and writes spec.replicas', async (t) => {
    const scale = await patchScale(h, `/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstancereplicasets/${NAME}`, 1);
    t.match(scale, { kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 1 }, status: { replicas: 3, selector: SELECTOR } });
    const left = await waitForLive(h, 1);
    t.ok(
      vmis.some((vmi) => vmi.metadata.uid === left[0].metadata.uid),
      'one of the original VMIs stays',
    );
    await h.waitFor('status replicas 1', async () => (await statusOf(h, VMIRS, NAME)).replicas === 1);
    const deleted = (await eventsOf(h)).filter((e) => e.startsWith('Normal SuccessfulDelete'));
    t.equal(deleted.length, 2);
    for (const event of deleted)
      t.match(event, /^Normal SuccessfulDelete Stopped the virtual machine by deleting the virtual machine instance [0-9a-f-]{36}$/);
  });

  await t.test('a deleted VMI is replaced', async (t) => {
    const [before] = await liveVmis(h);
    await h.client.delete(VMI, 'default', before.metadata.name ?? '');
    const [after] = await h.waitFor('a replacement', async () => {
      const live = await liveVmis(h);
      return live.length === 1 && live[0].metadata.uid !== before.metadata.uid ? live : undefined;
    });
    t.match(after.metadata.name, new RegExp(`^${NAME}[a-z0-9]{5}$`));
  });

  await t.test('a failed VMI is deleted and replaced', async (t) => {
    const [failing] = await liveVmis(h);
    await setVmiPhase(h, failing.metadata.name ?? '', 'Failed');
    await h.waitFor('a replacement', async () => {
      const live = await liveVmis(h);
      return live.length === 1 && live[0].metadata.uid !== failing.metadata.uid;
    });
    t.ok((await eventsOf(h)).includes(`Normal SuccessfulDelete Deleted finished virtual machine: ${failing.metadata.uid}`));
  });

  await t.test('paused: nothing is scaled; the condition and events say so', async (t) => {
    await h.client.patch(VMIRS, 'default', NAME, 'merge', { spec: { paused: true, replicas: 2 } });
    await h.waitFor('ReplicaPaused', async () => (await statusOf(h, VMIRS, NAME)).conditions?.some((c) => c.type === 'ReplicaPaused'));
    t.match((await statusOf(h, VMIRS, NAME)).conditions, [
      { type: 'ReplicaPaused', status: 'True', reason: 'Paused', message: 'Controller got paused' },
    ]);
    await h.clock.advance(5000);
    t.equal((await liveVmis(h)).length, 1, 'no VMI created while paused');
    await h.client.patch(VMIRS, 'default', NAME, 'merge', { spec: { paused: false } });
    await waitForLive(h, 2);
    await h.waitFor('ReplicaPaused removed', async () => !(await statusOf(h, VMIRS, NAME)).conditions);
    const events = await eventsOf(h);
    t.ok(events.includes('Normal SuccessfulPaused Paused'));
    t.ok(events.includes('Normal SuccessfulResumed Resumed'));
  });

  await t.test('a matching orphan is adopted, a child that stops matching is released', async (t) => {
    const orphan = await h.client.create<VirtualMachineInstance>({
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstance',
      metadata: { name: 'orphan', namespace: 'default', labels: { 'kubevirt.io/vmReplicaSet': NAME } },
      spec: (rsObject.spec as { template: { spec: VirtualMachineInstance['spec'] } }).template.spec,
    });
    t.ok(orphan.metadata.uid);
    // Three match now, two are wanted: one is adopted, then one of the three deleted.
    await waitForLive(h, 2);
    const [kept, other] = await liveVmis(h);
    for (const vmi of [kept, other]) t.equal(vmi.metadata.ownerReferences?.[0]?.uid, rs.metadata.uid, `${vmi.metadata.name} is owned`);
    await h.client.patch(VMI, 'default', other.metadata.name ?? '', 'merge', {
      metadata: { labels: { 'kubevirt.io/vmReplicaSet': 'elsewhere' } },
    });
    const released = await h.waitFor('released', async () => {
      const vmi = await h.client.get<VirtualMachineInstance>(VMI, 'default', other.metadata.name ?? '');
      return vmi.metadata.ownerReferences === undefined ? vmi : undefined;
    });
    t.notOk(released.metadata.deletionTimestamp, 'released, not deleted');
    await waitForLive(h, 2);
  });
});
