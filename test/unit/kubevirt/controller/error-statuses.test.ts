import t from 'tap';
import type { Pod } from '../../../../src/kube/pods.js';
import { cirrosVm, fakeHandlerOnNodes, NODE, POD, startHarness, VMI, vmStatus, waitForPrintable, waitForVmiPhase } from './harness.js';

t.test(
  'no node with KubeVirt devices: PodScheduled False/Unschedulable on the VMI, ErrorUnschedulable on the VM; fixed once virt-handler runs',
  async (t) => {
    const h = await startHarness({ handlerOnNodes: false });
    t.teardown(() => h.stop());
    await h.client.create(cirrosVm('unschedulable', 'Always'));
    await waitForPrintable(h, 'unschedulable', 'ErrorUnschedulable');
    const vmi = await h.client.get(VMI, 'default', 'unschedulable');
    const scheduled = (
      vmi.status as { conditions: Array<{ type: string; status: string; reason?: string; message?: string }> }
    ).conditions.find((c) => c.type === 'PodScheduled');
    t.match(scheduled, {
      status: 'False',
      reason: 'Unschedulable',
      message: /didn't match Pod's node affinity\/selector|Insufficient devices\.kubevirt\.io/,
    });
    t.equal((vmi.status as { phase?: string }).phase, 'Scheduling');
    t.match(
      ((await vmStatus(h, 'unschedulable')).conditions as unknown[]).find((c) => (c as { type: string }).type === 'PodScheduled'),
      { status: 'False', reason: 'Unschedulable' },
      'VMI conditions mirrored on the VM',
    );

    await fakeHandlerOnNodes(h.client);
    await waitForVmiPhase(h, 'unschedulable', 'Scheduled');
    const cleared = await h.client.get(VMI, 'default', 'unschedulable');
    t.notOk(
      (cleared.status as { conditions: Array<{ type: string }> }).conditions.some((c) => c.type === 'PodScheduled'),
      'PodScheduled removed once scheduled',
    );
  },
);

t.test('missing PVC: Synchronized False/FailedPvcNotFound, VM ErrorPvcNotFound, no pod', async (t) => {
  const h = await startHarness();
  t.teardown(() => h.stop());
  await h.client.create(
    cirrosVm('needs-pvc', 'Always', (spec) => {
      const template = spec.template as { spec: { volumes: unknown[]; domain: { devices: { disks: unknown[] } } } };
      template.spec.volumes.push({ name: 'data', persistentVolumeClaim: { claimName: 'missing-claim' } });
      template.spec.domain.devices.disks.push({ name: 'data', disk: { bus: 'virtio' } });
    }),
  );
  await waitForPrintable(h, 'needs-pvc', 'ErrorPvcNotFound');
  const vmi = await h.client.get(VMI, 'default', 'needs-pvc');
  const conditions = (vmi.status as { conditions: Array<{ type: string; status: string; reason?: string; message?: string }> }).conditions;
  const message = 'PVC default/missing-claim does not exist, waiting for it to appear';
  t.match(
    conditions.find((c) => c.type === 'Synchronized'),
    { status: 'False', reason: 'FailedPvcNotFound', message },
  );
  t.match(
    conditions.find((c) => c.type === 'PodScheduled'),
    { status: 'False', reason: 'Unschedulable', message },
  );
  t.equal((vmi.status as { phase?: string }).phase, 'Pending');
  t.ok((await h.events('needs-pvc')).some((e) => e.type === 'Normal' && e.reason === 'FailedPvcNotFound' && e.message === message));
});

t.test('stale virt-handler heartbeat: node unschedulable, VMIs without a live pod Failed with reason NodeUnresponsive', async (t) => {
  const h = await startHarness();
  t.teardown(() => h.stop());
  await h.client.create(cirrosVm('stranded', 'Manual'));
  await h.client.patch(
    { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine' },
    'default',
    'stranded',
    'merge',
    { status: { stateChangeRequests: [{ action: 'Start' }] } },
    { subresource: 'status' },
  );
  const vmi = await waitForVmiPhase(h, 'stranded', 'Scheduled');
  const nodeName = (vmi.status as { nodeName: string }).nodeName;
  // The node died: its kubelet stopped with the launcher pod reported Failed, and virt-handler's heartbeat is 6 minutes old.
  await h.emulator.faults.nodes.stopKubelet(nodeName);
  const pod = (await h.client.list<Pod>(POD, { namespace: 'default', labelSelector: `kubevirt.io/created-by=${vmi.metadata.uid ?? ''}` }))
    .items[0];
  await h.client.update({ ...pod, status: { ...pod.status, phase: 'Failed' } }, { subresource: 'status' });
  const stale = `${new Date(h.clock.nowMs() - 6 * 60_000).toISOString().slice(0, 19)}Z`;
  await h.client.patch(NODE, undefined, nodeName, 'merge', { metadata: { annotations: { 'kubevirt.io/heartbeat': stale } } });
  const failed = await h.waitFor(
    'VMI Failed',
    async () => {
      const got = await h.client.get(VMI, 'default', 'stranded');
      return (got.status as { phase?: string }).phase === 'Failed' ? got : undefined;
    },
    20_000,
  );
  t.equal((failed.status as { reason?: string }).reason, 'NodeUnresponsive');
  const node = await h.client.get(NODE, undefined, nodeName);
  t.equal(node.metadata.labels?.['kubevirt.io/schedulable'], 'false');
  t.ok(
    (await h.events(nodeName)).some(
      (e) => e.reason === 'NodeUnresponsive' && e.message === 'virt-handler is not responsive, marking node as unresponsive',
    ),
  );
  t.ok(
    (await h.events('stranded')).some(
      (e) => e.reason === 'NodeUnresponsive' && e.message === `virt-handler on node ${nodeName} is not responsive, marking VMI as failed`,
    ),
  );
});
