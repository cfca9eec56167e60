/**
 * KubeVirt through @kubernetes/client-node, as a UI or an operator written in
 * TypeScript talks to it: an emulator started with `installKubeVirt`, a VM
 * created through CustomObjectsApi, an informer on its VMIs seeing the VMI
 * come up Running and go away when the VM is halted with a merge patch.
 */
import t from 'tap';
import * as k8s from '@kubernetes/client-node';
import { withEmulator } from '../../helpers/cluster.js';
import { kubevirtSchema } from '../../helpers/kubevirt.js';
import { projectYaml } from '../../helpers/project-yaml.js';

interface Vmi {
  metadata?: { name?: string };
  status?: { phase?: string; nodeName?: string };
}

const waitUntil = async (check: () => boolean, ms = 15_000): Promise<boolean> => {
  for (let waited = 0; !check() && waited < ms; waited += 20) await new Promise((r) => setTimeout(r, 20));
  return check();
};

t.test('client-node: create a VM, watch its VMI with an informer, halt it with a merge patch', async (t) => {
  const { kubeconfigPath } = await withEmulator(t, { workers: 1, installKubeVirt: true });
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const kubevirt = (await custom.getNamespacedCustomObject({
    group: 'kubevirt.io',
    version: 'v1',
    namespace: 'kubevirt',
    plural: 'kubevirts',
    name: 'kubevirt',
  })) as { status?: { phase?: string } };
  t.equal(kubevirt.status?.phase, 'Deployed', 'installKubeVirt returned with KubeVirt deployed');

  const vmiPath = { group: 'kubevirt.io', version: 'v1', namespace: 'default', plural: 'virtualmachineinstances' };
  const informer = k8s.makeInformer<Vmi & k8s.KubernetesObject>(
    kc,
    '/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances',
    () => custom.listNamespacedCustomObject(vmiPath) as Promise<k8s.KubernetesListObject<Vmi & k8s.KubernetesObject>>,
  );
  const phases: string[] = [];
  let deleted = false;
  informer.on('add', (vmi) => vmi.status?.phase && phases.push(vmi.status.phase));
  informer.on('update', (vmi) => vmi.status?.phase && phases.at(-1) !== vmi.status.phase && phases.push(vmi.status.phase));
  informer.on('delete', () => (deleted = true));
  await informer.start();
  t.teardown(() => informer.stop());

  const vm = projectYaml(kubevirtSchema('examples/vm-cirros.yaml'));
  vm.spec.runStrategy = 'Always';
  await custom.createNamespacedCustomObject({
    group: 'kubevirt.io',
    version: 'v1',
    namespace: 'default',
    plural: 'virtualmachines',
    body: vm,
  });
  t.ok(await waitUntil(() => phases.includes('Running')), `the informer saw the VMI Running: ${phases.join(' → ')}`);
  t.same(
    phases.filter((p) => !['Pending', 'Scheduling', 'Scheduled', 'Running'].includes(p)),
    [],
    'only the phases of a normal start',
  );
  const vmi = (await custom.getNamespacedCustomObject({ ...vmiPath, name: 'vm-cirros' })) as Vmi;
  t.match(vmi.status?.nodeName, /\S/, 'placed on a node');

  await custom.patchNamespacedCustomObject(
    {
      group: 'kubevirt.io',
      version: 'v1',
      namespace: 'default',
      plural: 'virtualmachines',
      name: 'vm-cirros',
      body: { spec: { runStrategy: 'Halted' } },
    },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
  t.ok(await waitUntil(() => deleted), 'the informer saw the VMI deleted once the VM was halted');
  let printableStatus: string | undefined;
  const readStatus = async (): Promise<void> => {
    const halted = (await custom.getNamespacedCustomObject({
      group: 'kubevirt.io',
      version: 'v1',
      namespace: 'default',
      plural: 'virtualmachines',
      name: 'vm-cirros',
    })) as { status?: { printableStatus?: string } };
    printableStatus = halted.status?.printableStatus;
  };
  for (let tries = 0; tries < 100 && printableStatus !== 'Stopped'; tries++)
    await readStatus().then(() => new Promise((r) => setTimeout(r, 50)));
  t.equal(printableStatus, 'Stopped');
});
