import t from 'tap';
import { readFileSync } from 'node:fs';
import { withEmulator } from '../../helpers/cluster.js';
import { installKubeVirt, kubevirtSchema } from '../../helpers/kubevirt.js';
t.test('x', async (t) => {
  const f = await withEmulator(t, { workers: 1 });
  await installKubeVirt(f);
  const m = readFileSync(kubevirtSchema('examples/vm-cirros.yaml'), 'utf8').replace('runStrategy: Halted', 'runStrategy: Always');
  f.emulator.client.watch({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance' }, { namespace: 'default' }).subscribe((e: any) => console.log('VMI', e.type, e.object.metadata.resourceVersion, JSON.stringify(e.object.status?.phaseTransitionTimestamps?.map((p: any) => p.phase)), JSON.stringify(e.object.metadata.managedFields?.map((m: any) => [m.manager, m.operation, m.time])), e.object.status?.phase, e.object.metadata.deletionTimestamp ?? '-', JSON.stringify(e.object.metadata.finalizers), (e.object.metadata.managedFields ?? []).map((m: any) => m.manager).join(',')));
  f.emulator.client.watch({ apiVersion: 'v1', kind: 'Pod' }, { namespace: 'default' }).subscribe((e: any) => console.log('POD', e.type, e.object.metadata.resourceVersion, e.object.status?.phase, e.object.metadata.deletionTimestamp ?? '-', (e.object.status?.containerStatuses ?? []).map((c: any) => c.name + ':' + Object.keys(c.state ?? {})).join(',')));
  await f.kubectl(['apply', '-f', '-'], { input: m });
  await f.kubectl(['wait', 'vm/vm-cirros', '--for', 'condition=Ready']);
  console.log('--- patch Halted');
  await f.kubectl(['patch', 'vm', 'vm-cirros', '--type', 'merge', '-p', '{"spec":{"runStrategy":"Halted"}}']);
  await new Promise((r) => setTimeout(r, 1500));
});
