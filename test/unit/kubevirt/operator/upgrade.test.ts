/**
 * Upgrades on the virtual clock: the operator Deployment of another version
 * rolls out, its leader loads the new install strategy and updates the
 * operands in the update order (virt-handler with its canary, virt-controller,
 * the others, virt-api last) while the CR says UpdateInProgress, then
 * AllComponentsReady on the new version; a running VMI turns outdated and,
 * with LiveMigrate, migrates onto the new launcher. `spec.imageTag` and
 * `spec.imageRegistry` retarget the install without a new operator.
 */
import t from 'tap';
import type { Subscription } from 'rxjs';
import type { KubeObject } from '../../../../src/api/types.js';
import type { KindRef } from '../../../../src/client/client.js';
import { startMigrationHarness, VMI, VMIM, type MigrationHarness, type Obj } from '../controller/migration/harness.js';
import { canaryStep } from '../../../../src/kubevirt/operator/apply/daemonset-canary.js';
import { shouldTakeUpdatePath } from '../../../../src/kubevirt/operator/apply/update-path.js';
import { KUBEVIRT_REF } from './operator-harness.js';

const OLD = 'v1.9.0-rc.2';
const NEW = 'v1.9.1';
const REGISTRY = 'quay.io/kubevirt';
const DEPLOYMENT: KindRef = { apiVersion: 'apps/v1', kind: 'Deployment' };
const DAEMONSET: KindRef = { apiVersion: 'apps/v1', kind: 'DaemonSet' };
const CONFIGMAP: KindRef = { apiVersion: 'v1', kind: 'ConfigMap' };

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}
interface KubeVirtStatus {
  phase?: string;
  conditions?: Condition[];
  operatorVersion?: string;
  targetKubeVirtVersion?: string;
  targetKubeVirtRegistry?: string;
  targetDeploymentID?: string;
  observedKubeVirtVersion?: string;
  observedKubeVirtRegistry?: string;
  observedDeploymentID?: string;
  observedDeploymentConfig?: string;
  targetDeploymentConfig?: string;
  outdatedVirtualMachineInstanceWorkloads?: number;
}
type Workload = KubeObject & {
  spec: {
    updateStrategy?: { rollingUpdate?: { maxUnavailable?: number | string } };
    template: { metadata?: { annotations?: Record<string, string> }; spec: { containers: Array<{ image: string; args?: string[] }> } };
  };
};

const kubevirt = async (h: MigrationHarness): Promise<KubeVirtStatus> =>
  ((await h.client.get(KUBEVIRT_REF, 'kubevirt', 'kubevirt')).status ?? {}) as KubeVirtStatus;
const imageOf = (workload: Workload): string => workload.spec.template.spec.containers[0].image;
const conditionTriple = (status: KubeVirtStatus): string =>
  ['Available', 'Progressing', 'Degraded']
    .map((type) => {
      const c = status.conditions?.find((x) => x.type === type);
      return `${type}=${c?.status ?? '-'}/${c?.reason ?? '-'}`;
    })
    .join(' ');

/** Everything a watch shows while the test runs: KubeVirt statuses, and the order operands got the new version. */
function recordUpgrade(
  h: MigrationHarness,
  version: string,
): { statuses: KubeVirtStatus[]; updatedOrder: string[]; handlerMaxUnavailable: string[]; stop(): void } {
  const statuses: KubeVirtStatus[] = [];
  const updatedOrder: string[] = [];
  const handlerMaxUnavailable: string[] = [];
  const subscriptions: Subscription[] = [
    h.client
      .watch(KUBEVIRT_REF, { namespace: 'kubevirt' })
      .subscribe((event) => statuses.push((event.object.status ?? {}) as KubeVirtStatus)),
    ...[DEPLOYMENT, DAEMONSET].map((ref) =>
      h.client
        .watch<Workload>(ref, { namespace: 'kubevirt', labelSelector: 'app.kubernetes.io/managed-by=virt-operator' })
        .subscribe((event) => {
          const name = event.object.metadata.name ?? '';
          if (imageOf(event.object).endsWith(`:${version}`) && !updatedOrder.includes(name)) updatedOrder.push(name);
          if (ref === DAEMONSET) {
            const value = String(event.object.spec.updateStrategy?.rollingUpdate?.maxUnavailable ?? '');
            if (handlerMaxUnavailable.at(-1) !== value) handlerMaxUnavailable.push(value);
          }
        }),
    ),
  ];
  const stop = () => {
    for (const s of subscriptions) s.unsubscribe();
  };
  return { statuses, updatedOrder, handlerMaxUnavailable, stop };
}

/** What `kubectl apply` of the edited kubevirt-operator.yaml changes on the virt-operator Deployment. */
async function applyOperatorVersion(h: MigrationHarness, version: string): Promise<void> {
  const operator = structuredClone(await h.client.get(DEPLOYMENT, 'kubevirt', 'virt-operator')) as Workload & {
    spec: { template: { spec: { containers: Array<{ image: string; env?: Array<{ name: string; value?: string }> }> } } };
  };
  const container = operator.spec.template.spec.containers[0];
  container.image = `${REGISTRY}/virt-operator:${version}`;
  for (const variable of container.env ?? []) {
    if (variable.name === 'KUBEVIRT_VERSION') variable.value = version;
    if (variable.name === 'VIRT_OPERATOR_IMAGE') variable.value = container.image;
  }
  await h.client.update(operator);
}

async function operandImages(h: MigrationHarness): Promise<Record<string, string>> {
  const items = [
    ...(await h.client.list<Workload>(DEPLOYMENT, { namespace: 'kubevirt', labelSelector: 'app.kubernetes.io/managed-by=virt-operator' }))
      .items,
    ...(await h.client.list<Workload>(DAEMONSET, { namespace: 'kubevirt' })).items,
  ];
  return Object.fromEntries(items.map((w) => [w.metadata.name ?? '', imageOf(w)]));
}

t.test('the update path is taken for a newer semantic version, or when either is not one', async (t) => {
  t.notOk(shouldTakeUpdatePath('v1.9.1', ''), 'nothing observed: an install');
  t.ok(shouldTakeUpdatePath('v1.9.1', 'v1.9.0-rc.2'));
  t.ok(shouldTakeUpdatePath('v1.9.0', 'v1.9.0-rc.2'), 'a release is newer than its release candidates');
  t.ok(shouldTakeUpdatePath('v1.9.0-rc.10', 'v1.9.0-rc.2'), 'numeric identifiers compare as numbers');
  t.notOk(shouldTakeUpdatePath('v1.8.2', 'v1.9.0-rc.2'), 'an older version rolls back');
  t.notOk(shouldTakeUpdatePath('v1.9.0-rc.2', 'v1.9.0-rc.2'), 'the same version (a registry change) re-creates');
  t.ok(shouldTakeUpdatePath('latest', 'v1.9.0-rc.2'), 'not semver: update');
});

t.test('the virt-handler canary: 1, then 10% once the canary is ready, then back to 1', async (t) => {
  const facts = { specChanged: false, generationKnown: true, maxUnavailable: 1, updatedReady: 0, desired: 3 };
  t.same(
    canaryStep({ ...facts, specChanged: true }),
    { write: { maxUnavailable: 1, recordGeneration: false }, done: false },
    'a changed DaemonSet starts the canary',
  );
  t.same(canaryStep({ ...facts, generationKnown: false }), { done: false }, 'waiting for the canary');
  t.same(
    canaryStep({ ...facts, generationKnown: false, updatedReady: 1 }),
    { write: { maxUnavailable: '10%', recordGeneration: true }, done: false },
    'the canary is ready: speed up',
  );
  t.same(canaryStep({ ...facts, maxUnavailable: '10%', updatedReady: 2 }), { done: false }, 'rolling');
  t.same(
    canaryStep({ ...facts, maxUnavailable: '10%', updatedReady: 3 }),
    { write: { maxUnavailable: 1, recordGeneration: true }, done: true },
    'every node updated: back to 1',
  );
  t.same(canaryStep({ ...facts, updatedReady: 3 }), { done: true }, 'steady state');
});

t.test(
  'a new operator version updates KubeVirt in the update order; the running VMI turns outdated, then migrates with LiveMigrate',
  async (t) => {
    const h = await startMigrationHarness();
    t.teardown(() => h.stop());
    const before = await kubevirt(h);
    t.equal(before.observedKubeVirtVersion, OLD);
    const vmi = await h.runningVm('upgrade-vm');
    t.equal(vmi.status?.launcherContainerImageVersion, `${REGISTRY}/virt-launcher:${OLD}`);
    t.notOk(vmi.metadata.labels?.['kubevirt.io/outdatedLauncherImage'], 'not outdated before the update');
    await h.waitFor('the outdated count 0', async () => (await kubevirt(h)).outdatedVirtualMachineInstanceWorkloads === 0);

    const recorder = recordUpgrade(h, NEW);
    await applyOperatorVersion(h, NEW);
    const after = await h.waitFor('Deployed on the new version', async () => {
      const status = await kubevirt(h);
      return status.observedKubeVirtVersion === NEW &&
        status.conditions?.find((c) => c.type === 'Available')?.reason === 'AllComponentsReady'
        ? status
        : undefined;
    });
    recorder.stop();

    // The CR during the update: Available stays True, Progressing and Degraded True, UpdateInProgress with KubeVirt's message.
    const updating = recorder.statuses.find((s) => s.conditions?.some((c) => c.reason === 'UpdateInProgress'));
    t.ok(updating, 'UpdateInProgress seen');
    t.equal(
      conditionTriple(updating ?? {}),
      'Available=True/UpdateInProgress Progressing=True/UpdateInProgress Degraded=True/UpdateInProgress',
    );
    t.equal(
      updating?.conditions?.[0].message,
      `Transitioning from previous version ${OLD} with registry ${REGISTRY} to target version ${NEW} using registry ${REGISTRY}`,
    );
    t.equal(updating?.targetKubeVirtVersion, NEW);
    t.equal(updating?.observedKubeVirtVersion, OLD, 'observed stays on the old version while updating');
    t.notOk(
      updating?.conditions?.some((c) => c.type === 'Created'),
      'Created is dropped while updating',
    );
    t.notOk(
      recorder.statuses.some((s) => s.conditions?.some((c) => c.reason === 'DeploymentInProgress')),
      'an update never shows DeploymentInProgress',
    );
    t.ok(
      recorder.statuses.every((s) => s.conditions?.find((c) => c.type === 'Available')?.status === 'True'),
      'Available stays True throughout',
    );

    // The update order: virt-handler first (canary 1, then 10%, then back to 1), virt-controller, the rest, virt-api last.
    t.equal(recorder.updatedOrder[0], 'virt-handler');
    t.equal(recorder.updatedOrder[1], 'virt-controller');
    t.equal(recorder.updatedOrder.at(-1), 'virt-api');
    // The DaemonSet is written with maxUnavailable 1 for the canary and ends at 1 (10% in between only if the operator looks while the rollout is partial).
    t.equal(recorder.handlerMaxUnavailable.at(-1), '1');
    t.ok(
      recorder.handlerMaxUnavailable.every((value) => value === '1' || value === '10%'),
      `maxUnavailable seen: ${recorder.handlerMaxUnavailable.join(', ')}`,
    );
    const images = await operandImages(h);
    for (const name of ['virt-api', 'virt-controller', 'virt-exportproxy', 'virt-handler'])
      t.equal(images[name], `${REGISTRY}/${name}:${NEW}`, `${name} image`);
    const handler = (await h.client.get(DAEMONSET, 'kubevirt', 'virt-handler')) as Workload;
    t.equal(handler.metadata.annotations?.['kubevirt.io/install-strategy-version'], NEW);
    t.equal(handler.spec.template.metadata?.annotations?.['kubevirt.io/install-strategy-version'], NEW);

    // Status and strategy on the new version; the old strategy ConfigMap is gone.
    t.match(after, { phase: 'Deployed', operatorVersion: NEW, targetKubeVirtVersion: NEW, observedKubeVirtRegistry: REGISTRY });
    t.equal(after.observedDeploymentID, after.targetDeploymentID);
    t.not(after.observedDeploymentID, before.observedDeploymentID, 'a new deployment ID');
    t.equal(after.observedDeploymentConfig, after.targetDeploymentConfig);
    const strategies = await h.client.list(CONFIGMAP, { namespace: 'kubevirt', labelSelector: 'kubevirt.io/install-strategy' });
    t.same(
      strategies.items.map((cm) => cm.metadata.annotations?.['kubevirt.io/install-strategy-version']),
      [NEW],
      'only the new strategy ConfigMap',
    );

    // The VMI still runs the old launcher: labelled outdated, counted in the KubeVirt status.
    const outdated = await h.waitFor('the VMI labelled outdated', async () => {
      const current = await h.tryGet(VMI, 'upgrade-vm');
      return current?.metadata.labels?.['kubevirt.io/outdatedLauncherImage'] === '' ? current : undefined;
    });
    t.equal(outdated.status?.launcherContainerImageVersion, `${REGISTRY}/virt-launcher:${OLD}`);
    await h.waitFor(
      'outdatedVirtualMachineInstanceWorkloads 1',
      async () => (await kubevirt(h)).outdatedVirtualMachineInstanceWorkloads === 1,
    );
    t.equal((await h.client.list(VMIM, { namespace: 'default' })).items.length, 0, 'no automated update without workloadUpdateMethods');

    // workloadUpdateMethods [LiveMigrate]: the updater migrates the VMI onto a launcher of the new version.
    await h.client.patch(KUBEVIRT_REF, 'kubevirt', 'kubevirt', 'merge', {
      spec: { workloadUpdateStrategy: { workloadUpdateMethods: ['LiveMigrate'] } },
    });
    const migration = await h.waitFor(
      'a workload-update migration',
      async () => (await h.client.list<Obj>(VMIM, { namespace: 'default' })).items[0],
    );
    t.match(migration.metadata.name, /^kubevirt-workload-update-/);
    t.equal(migration.metadata.annotations?.['kubevirt.io/workloadUpdateMigration'], '');
    const updated = await h.waitFor('the VMI on the new launcher', async () => {
      const current = await h.tryGet(VMI, 'upgrade-vm');
      return current?.status?.launcherContainerImageVersion === `${REGISTRY}/virt-launcher:${NEW}` ? current : undefined;
    });
    t.notOk(updated.metadata.labels?.['kubevirt.io/outdatedLauncherImage'] !== undefined, 'the label is gone');
    t.equal(updated.status?.phase, 'Running');
    t.equal((await h.client.list(VMIM, { namespace: 'default' })).items.length, 1, 'one migration for the one VMI');
    await h.waitFor(
      'outdatedVirtualMachineInstanceWorkloads 0',
      async () => (await kubevirt(h)).outdatedVirtualMachineInstanceWorkloads === 0,
    );
  },
);

t.test('spec.imageTag and spec.imageRegistry override the operator version and registry', async (t) => {
  const h = await startMigrationHarness();
  t.teardown(() => h.stop());
  const mirror = 'mirror.example.com/kubevirt';
  const recorder = recordUpgrade(h, NEW);
  await h.client.patch(KUBEVIRT_REF, 'kubevirt', 'kubevirt', 'merge', { spec: { imageTag: NEW, imageRegistry: mirror } });
  const after = await h.waitFor('Deployed on the CR-named version', async () => {
    const status = await kubevirt(h);
    return status.observedKubeVirtVersion === NEW && status.conditions?.find((c) => c.type === 'Available')?.reason === 'AllComponentsReady'
      ? status
      : undefined;
  });
  recorder.stop();
  t.match(after, { operatorVersion: OLD, targetKubeVirtVersion: NEW, targetKubeVirtRegistry: mirror, observedKubeVirtRegistry: mirror });
  const updating = recorder.statuses.find((s) => s.conditions?.some((c) => c.reason === 'UpdateInProgress'));
  t.equal(
    updating?.conditions?.[0].message,
    `Transitioning from previous version ${OLD} with registry ${REGISTRY} to target version ${NEW} using registry ${mirror}`,
  );
  t.equal(recorder.updatedOrder[0], 'virt-handler', 'a newer tag takes the update path');
  const images = await operandImages(h);
  for (const name of ['virt-api', 'virt-controller', 'virt-exportproxy', 'virt-handler'])
    t.equal(images[name], `${mirror}/${name}:${NEW}`, `${name} image`);
  const controller = (await h.client.get(DEPLOYMENT, 'kubevirt', 'virt-controller')) as Workload;
  const args = controller.spec.template.spec.containers[0].args ?? [];
  t.equal(args[args.indexOf('--launcher-image') + 1], `${mirror}/virt-launcher:${NEW}`);
  const strategies = await h.client.list(CONFIGMAP, { namespace: 'kubevirt', labelSelector: 'kubevirt.io/install-strategy' });
  t.same(
    strategies.items.map(
      (cm) =>
        `${cm.metadata.annotations?.['kubevirt.io/install-strategy-version']} ${cm.metadata.annotations?.['kubevirt.io/install-strategy-registry']}`,
    ),
    [`${NEW} ${mirror}`],
  );
});
