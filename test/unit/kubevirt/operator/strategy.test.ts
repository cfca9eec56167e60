import t from 'tap';
import type { KubeObject } from '../../../../src/api/types.js';
import { applyTransition, transitions } from '../../../../src/kubevirt/operator/conditions.js';
import { isGateEnabled } from '../../../../src/kubevirt/operator/feature-gates.js';
import { desiredState, virtApiReplicas } from '../../../../src/kubevirt/operator/install-strategy/operand-selection.js';
import { operatorIdentity, parseImage } from '../../../../src/kubevirt/operator/operator-identity.js';
import { containsDesired } from '../../../../src/kubevirt/operator/apply/object-applier.js';
import { strategyData } from '../../../../src/kubevirt/operator/install-strategy/strategy-data.js';

const target = {
  version: 'v1.8.1',
  registry: 'registry.example.com/kv',
  deploymentId: 'a'.repeat(40),
  namespace: 'kubevirt',
  generation: 3,
};
const find = (objects: KubeObject[], kind: string, name: string): KubeObject | undefined =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);
type PodSpecHolder = {
  spec: {
    template: { metadata: KubeObject['metadata']; spec: { containers: Array<{ image: string; imagePullPolicy: string }> } };
    replicas: number;
  };
};

t.test('the strategy data: operator objects, manifest objects and transient ones told apart', async (t) => {
  const data = strategyData();
  t.equal(data.operands.length, 118);
  t.same(data.manifestObjects.map((o) => o.kind).sort(), [
    'ClusterRole',
    'ClusterRole',
    'ClusterRoleBinding',
    'Namespace',
    'PriorityClass',
    'Role',
    'RoleBinding',
    'ServiceAccount',
  ]);
  t.notOk(
    data.operands.some((o) => o.kind === 'Job'),
    'the strategy Job is transient',
  );
  t.equal(data.crds.length, 21);
  t.equal(data.crds[0].metadata.name, 'virtualmachineinstances.kubevirt.io');
  t.notOk(data.crds.some((c) => c.metadata.name === 'kubevirts.kubevirt.io'));
  t.equal(data.instancetypes.length, 65);
  t.equal(data.preferences.length, 54);
});

t.test('rendering substitutes version, registry, ID, generation', async (t) => {
  const { operands, crds, instancetypes } = desiredState({ spec: {}, target, virtApiReplicas: 2 });
  const api = find(operands, 'Deployment', 'virt-api') as KubeObject & PodSpecHolder;
  t.equal(api.spec.template.spec.containers[0].image, 'registry.example.com/kv/virt-api:v1.8.1');
  t.equal(api.metadata.labels?.['app.kubernetes.io/version'], 'v1.8.1');
  t.same(api.metadata.annotations, {
    'kubevirt.io/customizer-identifier': 'bf21a9e8fbc5a3846fb05b4fa0859e0917b2202f',
    'kubevirt.io/install-strategy-version': 'v1.8.1',
    'kubevirt.io/install-strategy-registry': 'registry.example.com/kv',
    'kubevirt.io/install-strategy-identifier': target.deploymentId,
    'kubevirt.io/generation': '3',
  });
  t.notOk(api.spec.template.metadata.annotations?.['kubevirt.io/generation'], 'pod templates carry no generation');
  t.equal(crds[0].metadata.annotations?.['kubevirt.io/install-strategy-version'], 'v1.8.1');
  t.equal(crds[0].metadata.labels?.['app.kubernetes.io/managed-by'], 'virt-operator');
  t.equal(instancetypes.length, 119);
  t.ok(find(operands, 'PodDisruptionBudget', 'virt-api-pdb'));
  t.notOk(find(operands, 'Deployment', 'virt-synchronization-controller'));
  t.notOk(find(operands, 'MutatingWebhookConfiguration', 'virt-launcher-pod-mutator'));
  t.notOk(find(operands, 'Role', 'kubevirt-monitoring'));
});

t.test('feature gates and spec change the operands', async (t) => {
  t.ok(isGateEnabled({}, 'Template'), 'Beta gates are on');
  t.notOk(isGateEnabled({}, 'DecentralizedLiveMigration'), 'Alpha gates are off');
  const gates = (featureGates: string[], disabledFeatureGates: string[] = []) => ({
    configuration: { developerConfiguration: { featureGates, disabledFeatureGates } },
  });
  const withAlpha = desiredState({
    spec: gates(['DecentralizedLiveMigration', 'ContainerPathVolumes', 'Plugins']),
    target,
    virtApiReplicas: 1,
  });
  t.ok(find(withAlpha.operands, 'Deployment', 'virt-synchronization-controller'));
  t.ok(find(withAlpha.operands, 'MutatingWebhookConfiguration', 'virt-launcher-pod-mutator'));
  t.ok(find(withAlpha.operands, 'ValidatingAdmissionPolicy', 'kubevirt-plugin-validation-policy'));
  t.notOk(find(withAlpha.operands, 'PodDisruptionBudget', 'virt-api-pdb'), 'no virt-api PDB with one replica');
  const noTemplate = desiredState({ spec: gates([], ['Template', 'ExternalNetResourceInjection']), target, virtApiReplicas: 2 });
  t.notOk(noTemplate.operands.some((o) => (o.metadata.name ?? '').startsWith('virt-template')));
  t.notOk(noTemplate.crds.some((c) => (c.metadata.name ?? '').endsWith('template.kubevirt.io')));
  const controllerRole = find(noTemplate.operands, 'ClusterRole', 'kubevirt-controller') as KubeObject & {
    rules: Array<{ resources: string[] }>;
  };
  t.ok(
    controllerRole.rules.some((r) => r.resources.includes('network-attachment-definitions')),
    'NAD rule back without ExternalNetResourceInjection',
  );
  const manual = desiredState({ spec: { configuration: { roleAggregationStrategy: 'Manual' } }, target, virtApiReplicas: 2 });
  t.equal(
    find(manual.operands, 'ClusterRole', 'kubevirt.io:admin')?.metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-admin'],
    'false',
  );
  const pull = desiredState({ spec: { imagePullPolicy: 'Always', infra: { replicas: 3 } }, target, virtApiReplicas: 3 });
  const controller = find(pull.operands, 'Deployment', 'virt-controller') as KubeObject & PodSpecHolder;
  t.equal(controller.spec.template.spec.containers[0].imagePullPolicy, 'Always');
  t.equal(controller.spec.replicas, 3);
  t.equal(
    (find(pull.operands, 'PodDisruptionBudget', 'virt-controller-pdb')?.spec as { minAvailable: number } | undefined)?.minAvailable,
    2,
  );
  t.equal(
    desiredState({ spec: { configuration: { commonInstancetypesDeployment: { enabled: false } } }, target, virtApiReplicas: 2 })
      .instancetypes.length,
    0,
  );
});

t.test('virt-api replicas follow the schedulable nodes', async (t) => {
  t.equal(virtApiReplicas({}, 0), 2);
  t.equal(virtApiReplicas({}, 1), 1);
  t.equal(virtApiReplicas({}, 35), 3);
  t.equal(virtApiReplicas({ infra: { replicas: 4 } }, 1), 4);
});

t.test('operator identity comes from its Deployment', async (t) => {
  t.same(parseImage('quay.io/kubevirt/virt-operator:v1.9.0-rc.2'), {
    registry: 'quay.io/kubevirt',
    name: 'virt-operator',
    tag: 'v1.9.0-rc.2',
  });
  t.same(parseImage('localhost:5000/kv/virt-operator@sha256:abc'), {
    registry: 'localhost:5000/kv',
    name: 'virt-operator',
    tag: undefined,
  });
  const deployment = (image: string, env: Array<{ name: string; value: string }> = []): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'virt-operator', namespace: 'kv' },
    spec: { template: { spec: { containers: [{ name: 'virt-operator', image, env }] } } },
  });
  t.same(operatorIdentity(deployment('my.registry/kubevirt/virt-operator:v1.8.0')), {
    namespace: 'kv',
    version: 'v1.8.0',
    registry: 'my.registry/kubevirt',
    operatorImage: 'my.registry/kubevirt/virt-operator:v1.8.0',
  });
  t.equal(operatorIdentity(deployment('r/virt-operator:latest', [{ name: 'KUBEVIRT_VERSION', value: 'v1.7.2' }]))?.version, 'v1.7.2');
});

t.test('conditions: first add sets only lastProbeTime; a change moves both times', async (t) => {
  const first = applyTransition([], transitions.deploying('v1', 'r'), 'T1');
  t.same(
    first.map((c) => [c.type, c.status, c.reason, c.lastProbeTime, c.lastTransitionTime]),
    [
      ['Available', 'False', 'DeploymentInProgress', 'T1', null],
      ['Progressing', 'True', 'DeploymentInProgress', 'T1', null],
      ['Degraded', 'False', 'DeploymentInProgress', 'T1', null],
    ],
  );
  t.equal(first[0].message, 'Deploying version v1 with registry r');
  const ready = applyTransition(applyTransition(first, transitions.created(), 'T2'), transitions.ready(), 'T2');
  t.same(
    ready.map((c) => [c.type, c.reason, c.lastTransitionTime]),
    [
      ['Available', 'AllComponentsReady', 'T2'],
      ['Progressing', 'AllComponentsReady', 'T2'],
      ['Degraded', 'AllComponentsReady', 'T2'],
      ['Created', 'AllResourcesCreated', null],
    ],
  );
  t.same(applyTransition(ready, transitions.ready(), 'T3'), ready, 'unchanged conditions keep their times');
  const failed = applyTransition(ready, transitions.failed('boom'), 'T4');
  t.match(
    failed.find((c) => c.type === 'Synchronized'),
    { status: 'False', reason: 'DeploymentFailed', message: 'An error occurred during deployment: boom' },
  );
  const deleting = applyTransition(failed, transitions.deleting(), 'T5');
  t.same(
    deleting.map((c) => c.type),
    ['Available', 'Progressing', 'Degraded'],
    'deleting drops Created and Synchronized',
  );
  t.equal(deleting[0].message, 'Deletion was triggered');
  t.equal(
    applyTransition([], transitions.updating({ version: 'v1', registry: 'a' }, { version: 'v2', registry: 'b' }), 'T')[0].message,
    'Transitioning from previous version v1 with registry a to target version v2 using registry b',
  );
});

t.test('applier comparison tolerates server defaults but not edits', async (t) => {
  t.ok(containsDesired({ spec: { a: 1, defaulted: true }, x: [{ p: 8443, protocol: 'TCP' }] }, { spec: { a: 1 }, x: [{ p: 8443 }] }));
  t.notOk(containsDesired({ spec: { a: 2 } }, { spec: { a: 1 } }));
  t.notOk(containsDesired({ x: [1, 2, 3] }, { x: [1, 2] }), 'an extra list item is an edit');
});
