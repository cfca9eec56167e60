import t from 'tap';
import { nextVmiState } from '../../../../src/kubevirt/controller/vmi/vmi-status.js';
import type { Condition, VirtualMachineInstance } from '../../../../src/kubevirt/controller/types.js';
import { startMigrationHarness, VMI } from './migration/harness.js';

const evictionRequested = (vmi: { status?: { conditions?: unknown } } | undefined) =>
  (vmi?.status?.conditions as Condition[] | undefined)?.find((c) => c.type === 'EvictionRequested');

t.test('nextVmiState: EvictionRequested follows status.evacuationNodeName in any phase', async (t) => {
  const base: VirtualMachineInstance = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'v', namespace: 'default' },
    spec: { domain: {} },
    status: { phase: 'Succeeded', evacuationNodeName: 'node-1' },
  };
  const input = {
    vmi: base,
    pod: undefined,
    ownedPods: [],
    syncError: undefined,
    hasOwnerVm: false,
    launcherImage: 'img',
    now: '2025-01-01T00:00:00Z',
  };
  const marked = nextVmiState(input);
  t.same(evictionRequested(marked), {
    type: 'EvictionRequested',
    status: 'True',
    reason: 'EvictionRequested',
    message: 'VMI is marked for eviction',
    lastProbeTime: '2025-01-01T00:00:00Z',
    lastTransitionTime: '2025-01-01T00:00:00Z',
  });
  const again = nextVmiState({ ...input, vmi: marked, now: '2025-01-01T00:05:00Z' });
  t.equal(evictionRequested(again)?.lastTransitionTime, '2025-01-01T00:00:00Z', 'an existing True condition is kept as it is');
  const cleared = nextVmiState({ ...input, vmi: { ...marked, status: { ...marked.status, evacuationNodeName: '' } } });
  t.notOk(evictionRequested(cleared), 'removed once the mark is cleared');
});

t.test('a refused eviction marks the VMI: EvictionRequested until the mark is cleared', async (t) => {
  const h = await startMigrationHarness();
  t.teardown(() => h.stop());
  // External: virt-api marks the VMI and refuses the eviction, and nobody in the cluster migrates it, so the mark stays.
  const vmi = await h.runningVm('evict-a', { evictionStrategy: 'External' });
  t.notOk(evictionRequested(vmi), 'no condition before an eviction');
  const pod = (await h.launcherPods('evict-a'))[0];
  t.equal((await h.evict(pod.metadata.name ?? '')).code, 429, 'the drain is refused');
  const marked = await h.waitFor('EvictionRequested', async () => {
    const current = await h.tryGet(VMI, 'evict-a');
    return evictionRequested(current) ? current : undefined;
  });
  t.equal(marked.status?.evacuationNodeName, vmi.status?.nodeName);
  t.match(evictionRequested(marked), { status: 'True', reason: 'EvictionRequested', message: 'VMI is marked for eviction' });
  t.equal(marked.status?.phase, 'Running');

  // The handler keeps writing its status; the condition survives it.
  await h.clock.advance(30_000);
  t.ok(evictionRequested(await h.tryGet(VMI, 'evict-a')), 'still there after the handler wrote its status');

  // virtctl evacuate-cancel clears the mark (as a completed migration would): the condition goes.
  const cancel = await fetch(
    `${h.emulator.url}/apis/subresources.kubevirt.io/v1/namespaces/default/virtualmachines/evict-a/evacuate/cancel`,
    {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ evacuationNodeName: vmi.status?.nodeName }),
    },
  );
  t.equal(cancel.status, 200, 'evacuate/cancel');
  const cleared = await h.waitFor('EvictionRequested removed', async () => {
    const current = await h.tryGet(VMI, 'evict-a');
    return current && !evictionRequested(current) ? current : undefined;
  });
  t.notOk(cleared.status?.evacuationNodeName, 'the mark is gone');
});
