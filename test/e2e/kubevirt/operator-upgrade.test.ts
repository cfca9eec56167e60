/**
 * An upgrade rehearsal with the real kubectl: KubeVirt v1.9.0-rc.2 with a
 * running VM, then `kubectl apply` of kubevirt-operator.yaml edited to
 * v1.9.1. `kubectl get kv -w` follows the CR through UpdateInProgress to
 * AllComponentsReady, `kubectl wait` sees the observed version become
 * v1.9.1, the operands run v1.9.1 images, and the VMI on the old launcher is
 * labelled outdated and counted in the KubeVirt status.
 */
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withEmulator, type EmulatorFixture } from '../../helpers/cluster.js';
import { installKubeVirt, kubevirtSchema, operandImages } from '../../helpers/kubevirt.js';

const OLD = 'v1.9.0-rc.2';
const NEW = 'v1.9.1';
const REGISTRY = 'quay.io/kubevirt';

const VM = `
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata: { name: upgrade-vm, namespace: default }
spec:
  runStrategy: Always
  template:
    spec:
      domain:
        devices: { disks: [{ name: containerdisk, disk: { bus: virtio } }], interfaces: [{ name: default, masquerade: {} }] }
        resources: { requests: { memory: 128Mi } }
      networks: [{ name: default, pod: {} }]
      volumes: [{ name: containerdisk, containerDisk: { image: quay.io/kubevirt/cirros-container-disk-demo } }]
`;

/** Polls a kubectl jsonpath until it prints `expected`. */
async function eventually(fixture: EmulatorFixture, args: string[], expected: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const result = await fixture.kubectl(args);
    last = result.stdout.trim();
    if (result.code === 0 && last === expected) return last;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`kubectl ${args.join(' ')}: still "${last}", expected "${expected}"`);
}

t.test(
  'kubectl apply of the next operator manifest upgrades KubeVirt; the CR reports the update; the running VMI turns outdated',
  async (t) => {
    const fixture = await withEmulator(t, { workers: 2 });
    const { kubectl } = fixture;
    await installKubeVirt(fixture);
    t.equal((await kubectl(['apply', '-f', '-'], { input: VM })).code, 0);
    await eventually(fixture, ['get', 'vmi', 'upgrade-vm', '-o', 'jsonpath={.status.phase}'], 'Running');
    await eventually(
      fixture,
      ['-n', 'kubevirt', 'get', 'kv', 'kubevirt', '-o', 'jsonpath={.status.outdatedVirtualMachineInstanceWorkloads}'],
      '0',
    );

    // `kubectl get kv -w` prints every state of the CR while the upgrade runs.
    const watched = kubectl(
      [
        '-n',
        'kubevirt',
        'get',
        'kv',
        'kubevirt',
        '-w',
        '--request-timeout=25s',
        '-o',
        'jsonpath={.status.conditions[?(@.type=="Available")].status} {.status.conditions[?(@.type=="Progressing")].status} {.status.conditions[?(@.type=="Degraded")].status} {.status.conditions[?(@.type=="Progressing")].reason} {.status.observedKubeVirtVersion}|{.status.conditions[?(@.type=="Progressing")].message}{"\\n"}',
      ],
      { timeoutMs: 40_000 },
    );
    const manifestPath = join(fixture.kubeconfigPath, '..', `kubevirt-operator-${NEW}.yaml`);
    writeFileSync(manifestPath, readFileSync(kubevirtSchema('manifests/kubevirt-operator.yaml'), 'utf8').replaceAll(OLD, NEW));
    const applied = await kubectl(['apply', '-f', manifestPath]);
    t.equal(applied.code, 0, applied.stderr);
    t.match(applied.stdout, 'deployment.apps/virt-operator configured');

    const wait = await kubectl(
      ['-n', 'kubevirt', 'wait', 'kv', 'kubevirt', `--for=jsonpath={.status.observedKubeVirtVersion}=${NEW}`, '--timeout=90s'],
      { timeoutMs: 100_000 },
    );
    t.equal(wait.code, 0, wait.stderr);

    const lines = (await watched).stdout.split('\n').filter(Boolean);
    const updating = lines.find((line) => line.includes(' UpdateInProgress '));
    t.equal(
      updating,
      `True True True UpdateInProgress ${OLD}|Transitioning from previous version ${OLD} with registry ${REGISTRY} to target version ${NEW} using registry ${REGISTRY}`,
      'Available, Progressing and Degraded True while updating, observed still the old version',
    );
    t.match(
      lines.at(-1),
      new RegExp(`^True False False AllComponentsReady ${NEW.replaceAll('.', '\\.')}\\|All components are ready\\.$`),
      'ends ready on the new version',
    );

    const status = await kubectl([
      '-n',
      'kubevirt',
      'get',
      'kv',
      'kubevirt',
      '-o',
      'jsonpath={.status.phase} {.status.operatorVersion} {.status.targetKubeVirtVersion} {.status.observedKubeVirtRegistry}',
    ]);
    t.equal(status.stdout, `Deployed ${NEW} ${NEW} ${REGISTRY}`);
    const ids = await kubectl([
      '-n',
      'kubevirt',
      'get',
      'kv',
      'kubevirt',
      '-o',
      'jsonpath={.status.observedDeploymentID} {.status.targetDeploymentID}',
    ]);
    const [observedId, targetId] = ids.stdout.split(' ');
    t.equal(observedId, targetId, 'observedDeploymentID = targetDeploymentID');

    const byName = await operandImages(kubectl);
    for (const name of ['virt-api', 'virt-controller', 'virt-exportproxy', 'virt-handler'])
      t.equal(byName[name], `${REGISTRY}/${name}:${NEW}`, `${name} image`);
    const strategy = await kubectl([
      '-n',
      'kubevirt',
      'get',
      'cm',
      '-l',
      'kubevirt.io/install-strategy',
      '-o',
      'jsonpath={range .items[*]}{.metadata.annotations.kubevirt\\.io/install-strategy-version}{"\\n"}{end}',
    ]);
    t.equal(strategy.stdout.trim(), NEW, 'the old install-strategy ConfigMap is deleted');
    const handlerPods = await kubectl([
      '-n',
      'kubevirt',
      'get',
      'pods',
      '-l',
      'kubevirt.io=virt-handler',
      '-o',
      'jsonpath={.items[*].metadata.annotations.kubevirt\\.io/install-strategy-version}',
    ]);
    t.same(new Set(handlerPods.stdout.split(' ')), new Set([NEW]), 'every virt-handler pod runs the new strategy');

    await eventually(
      fixture,
      ['get', 'vmi', '-l', 'kubevirt.io/outdatedLauncherImage', '-o', 'jsonpath={.items[*].metadata.name}'],
      'upgrade-vm',
    );
    const launcher = await kubectl(['get', 'vmi', 'upgrade-vm', '-o', 'jsonpath={.status.launcherContainerImageVersion}']);
    t.equal(launcher.stdout, `${REGISTRY}/virt-launcher:${OLD}`, 'the VMI still runs the old launcher');
    await eventually(
      fixture,
      ['-n', 'kubevirt', 'get', 'kv', 'kubevirt', '-o', 'jsonpath={.status.outdatedVirtualMachineInstanceWorkloads}'],
      '1',
    );
  },
);
