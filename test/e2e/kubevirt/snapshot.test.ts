/**
 * Snapshot, restore, clone and export of vm-cirros with the real kubectl,
 * KubeVirt installed by its operator (so virt-api's webhooks run too): the
 * snapshot becomes Ready for `kubectl wait`, `kubectl get vmsnapshot` prints
 * the CRD's columns, a restore brings the snapshot's spec back, a clone
 * creates `clone-vm-cirros-<random>`, and an export of a VM without PVCs is
 * Skipped with a token secret.
 */
import t from 'tap';
import { withEmulator } from '../../helpers/cluster.js';
import { kubevirtSchema } from '../../helpers/kubevirt.js';

t.test('kubectl: snapshot, restore, clone and export vm-cirros', async (t) => {
  const { kubectl } = await withEmulator(t, { installKubeVirt: true, workers: 1 });
  const ok = async (args: string[], input?: string): Promise<string> => {
    const result = await kubectl(args, input === undefined ? { timeoutMs: 60_000 } : { input, timeoutMs: 60_000 });
    t.equal(result.code, 0, `kubectl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  await ok(['apply', '-f', kubevirtSchema('examples/vm-cirros.yaml')]);
  await ok(
    ['apply', '-f', '-'],
    'apiVersion: snapshot.kubevirt.io/v1beta1\nkind: VirtualMachineSnapshot\nmetadata:\n  name: snap\nspec:\n  source:\n    apiGroup: kubevirt.io\n    kind: VirtualMachine\n    name: vm-cirros\n',
  );
  await ok(['wait', 'vmsnapshot/snap', '--for', 'condition=Ready', '--timeout=30s']);
  const table = await ok(['get', 'vmsnapshot', 'snap']);
  const [header, row] = table.trim().split('\n');
  t.match(header, /^NAME\s+SOURCEKIND\s+SOURCENAME\s+PHASE\s+READYTOUSE\s+CREATIONTIME\s+ERROR$/);
  t.match(row, /^snap\s+VirtualMachine\s+vm-cirros\s+Succeeded\s+true\s+\d+s\s*$/);
  const content = await ok(['get', 'vmsnapshotcontent', '-o', 'jsonpath={.items[0].metadata.name} {.items[0].status.readyToUse}']);
  t.match(content, /^vmsnapshot-content-[0-9a-f-]{36} true$/);

  await ok(['patch', 'vm', 'vm-cirros', '--type', 'merge', '-p', '{"spec":{"template":{"spec":{"domain":{"memory":{"guest":"256Mi"}}}}}}']);
  await ok(
    ['apply', '-f', '-'],
    'apiVersion: snapshot.kubevirt.io/v1beta1\nkind: VirtualMachineRestore\nmetadata:\n  name: restore\nspec:\n  target:\n    apiGroup: kubevirt.io\n    kind: VirtualMachine\n    name: vm-cirros\n  virtualMachineSnapshotName: snap\n',
  );
  await ok(['wait', 'vmrestore/restore', '--for', 'condition=Ready', '--timeout=30s']);
  t.match(await ok(['get', 'vmrestore', 'restore']), /restore\s+VirtualMachine\s+vm-cirros\s+true\s+\d+s/);
  t.equal(await ok(['get', 'vm', 'vm-cirros', '-o', 'jsonpath={.spec.template.spec.domain.memory.guest}']), '128Mi');

  await ok(
    ['apply', '-f', '-'],
    'apiVersion: clone.kubevirt.io/v1beta1\nkind: VirtualMachineClone\nmetadata:\n  name: clone\nspec:\n  source:\n    apiGroup: kubevirt.io\n    kind: VirtualMachine\n    name: vm-cirros\n',
  );
  await ok(['wait', 'vmclone/clone', '--for', 'jsonpath={.status.phase}=Succeeded', '--timeout=30s']);
  const target = await ok(['get', 'vmclone', 'clone', '-o', 'jsonpath={.spec.target.name}']);
  t.match(target, /^clone-vm-cirros-[a-z0-9]{5}$/);
  t.match(await ok(['get', 'vm', target, '-o', 'jsonpath={.spec.runStrategy}']), 'Halted');

  await ok(
    ['apply', '-f', '-'],
    'apiVersion: export.kubevirt.io/v1\nkind: VirtualMachineExport\nmetadata:\n  name: export\nspec:\n  source:\n    apiGroup: kubevirt.io\n    kind: VirtualMachine\n    name: vm-cirros\n',
  );
  await ok(['wait', 'vmexport/export', '--for', 'jsonpath={.status.phase}=Skipped', '--timeout=30s']);
  t.equal(await ok(['get', 'vmexport', 'export', '-o', 'jsonpath={.status.tokenSecretRef}']), 'export-token-export');
  t.match(await ok(['get', 'secret', 'export-token-export', '-o', 'jsonpath={.data.token}']), /^[A-Za-z0-9+/=]+$/);
});
