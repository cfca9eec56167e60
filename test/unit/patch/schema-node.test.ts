import t from 'tap';
import {
  applyConfiguration,
  definitionNameForGvk,
  kubernetesDefinitions,
  openApiV2SchemaNode,
  openApiV3SchemaNode,
  type OpenApiSchema,
} from '../../../src/api/patch/index.js';
import { at, deploymentSchema } from './fixtures.js';
import { projectYaml } from '../../helpers/project-yaml.js';

t.test('definitionNameForGvk follows x-kubernetes-group-version-kind', async (t) => {
  t.equal(definitionNameForGvk('apps', 'v1', 'Deployment'), 'io.k8s.api.apps.v1.Deployment');
  t.equal(definitionNameForGvk('', 'v1', 'Pod'), 'io.k8s.api.core.v1.Pod');
  t.equal(definitionNameForGvk('kubevirt.io', 'v1', 'VirtualMachine'), undefined);
  t.equal(kubernetesDefinitions(), kubernetesDefinitions(), 'read once');
});

t.test('swagger nodes: list and patch metadata, $ref followed lazily', async (t) => {
  const podSpec = deploymentSchema().property('spec')?.property('template')?.property('spec');
  const containers = podSpec?.property('containers');
  t.equal(containers?.patchMergeKey, 'name');
  t.equal(containers?.patchStrategy, 'merge');
  t.equal(containers?.listType, 'map');
  t.same(containers?.listMapKeys, ['name']);
  t.same(containers?.items()?.property('ports')?.listMapKeys, ['containerPort', 'protocol']);
  t.equal(podSpec?.property('tolerations')?.listType, 'atomic');
  t.equal(podSpec?.property('volumes')?.patchStrategy, 'merge,retainKeys');
  t.equal(podSpec?.property('nodeSelector')?.additionalProperties()?.property('x'), undefined);
  t.ok(podSpec?.property('nodeSelector')?.additionalProperties(), 'maps have a value schema');
  t.equal(podSpec?.property('nope'), undefined);

  const spec = deploymentSchema().property('spec');
  t.equal(spec?.property('strategy')?.patchStrategy, 'retainKeys', 'extension on the referring property');
  t.ok(spec?.property('strategy')?.property('rollingUpdate'), 'structure from the referenced definition');
  t.equal(spec?.property('selector')?.mapType, 'atomic', 'map-type from the referenced definition');
  t.equal(openApiV2SchemaNode(kubernetesDefinitions(), 'no.such.Definition'), undefined);
  t.equal(
    openApiV2SchemaNode(kubernetesDefinitions(), 'io.k8s.api.core.v1.Pod')?.property('spec')?.property('containers')?.items(),
    openApiV2SchemaNode(kubernetesDefinitions(), 'io.k8s.api.core.v1.Pod')?.property('spec')?.property('containers')?.items(),
    'nodes are cached',
  );
});

const vmSchema = () => {
  const crd = projectYaml(new URL('../../../schemas/kubevirt/crds/virtualmachines.kubevirt.io.yaml', import.meta.url));
  return openApiV3SchemaNode(crd.spec.versions[0].schema.openAPIV3Schema as OpenApiSchema);
};

t.test('CRD nodes: list types from openAPIV3Schema, metadata from ObjectMeta', async (t) => {
  const schema = vmSchema();
  const vmiSpec = schema.property('spec')?.property('template')?.property('spec');
  t.equal(vmiSpec?.property('topologySpreadConstraints')?.listType, 'map');
  t.same(vmiSpec?.property('topologySpreadConstraints')?.listMapKeys, ['topologyKey', 'whenUnsatisfiable']);
  t.equal(vmiSpec?.property('domain')?.property('devices')?.property('disks')?.patchMergeKey, undefined, 'CRDs have no patch merge keys');
  t.equal(schema.property('metadata')?.property('ownerReferences')?.listType, 'map');
  t.equal(schema.property('metadata')?.property('finalizers')?.listType, 'set');
});

t.test('server-side apply on a custom resource uses the CRD list types', async (t) => {
  const schema = vmSchema();
  const vm = (constraints: object[]) => ({
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'vm', finalizers: ['a'] },
    spec: { template: { spec: { topologySpreadConstraints: constraints } } },
  });
  const zone = { topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', maxSkew: 1 };
  const created = applyConfiguration({
    live: undefined,
    applied: vm([zone]),
    manager: 'a',
    force: false,
    schema,
    now: 'T',
    apiVersion: 'kubevirt.io/v1',
  });
  t.same(created.managedFields[0].fieldsV1, {
    'f:metadata': { 'f:finalizers': { 'v:"a"': {} } },
    'f:spec': {
      'f:template': {
        'f:spec': {
          'f:topologySpreadConstraints': {
            'k:{"topologyKey":"zone","whenUnsatisfiable":"DoNotSchedule"}': {
              '.': {},
              'f:maxSkew': {},
              'f:topologyKey': {},
              'f:whenUnsatisfiable': {},
            },
          },
        },
      },
    },
  });
  const host = { topologyKey: 'host', whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 2 };
  const second = applyConfiguration({
    live: created.object,
    applied: vm([host]),
    manager: 'b',
    force: false,
    schema,
    now: 'T',
    apiVersion: 'kubevirt.io/v1',
  });
  t.same(at(second.object, 'spec', 'template', 'spec', 'topologySpreadConstraints'), [zone, host], 'list-map items of two appliers merge');
});
