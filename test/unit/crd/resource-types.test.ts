import t from 'tap';
import { crdResourceTypes } from '../../../src/api/crd/resource-types.js';
import type { KubeObject } from '../../../src/api/types.js';
import { projectYaml } from '../../helpers/project-yaml.js';

const crd = (file: string): KubeObject => projectYaml(new URL(`../../../schemas/kubevirt/crds/${file}`, import.meta.url)) as KubeObject;
const now = new Date('2025-01-01T12:00:00Z');

t.test('VirtualMachine types: one per served version, with names, subresources and columns', async (t) => {
  const types = crdResourceTypes(crd('virtualmachines.kubevirt.io.yaml'));
  t.same(
    types.map((r) => r.version),
    ['v1', 'v1alpha3'],
  );
  const v1 = types[0];
  t.match(v1, {
    group: 'kubevirt.io',
    kind: 'VirtualMachine',
    listKind: 'VirtualMachineList',
    plural: 'virtualmachines',
    singular: 'virtualmachine',
    shortNames: ['vm', 'vms'],
    categories: ['all'],
    namespaced: true,
    storageKey: 'kubevirt.io/virtualmachines',
    custom: true,
  });
  t.same(v1.verbs, ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']);
  t.same(v1.subresources, [
    { name: 'status', responseKind: { group: 'kubevirt.io', version: 'v1', kind: 'VirtualMachine' }, verbs: ['get', 'patch', 'update'] },
  ]);
  t.same(
    v1.columns.map((c) => [c.name, c.type, c.format, c.priority]),
    [
      ['Name', 'string', 'name', 0],
      ['Age', 'date', '', 0],
      ['Status', 'string', '', 0],
      ['Ready', 'string', '', 0],
    ],
  );
  t.equal(v1.columns[2].description, 'Human Readable Status');
  const vm: KubeObject = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'vm1', creationTimestamp: '2025-01-01T11:55:00Z' },
    status: {
      printableStatus: 'Running',
      conditions: [
        { type: 'Paused', status: 'False' },
        { type: 'Ready', status: 'True' },
      ],
    },
  };
  t.same(v1.renderRow(vm, now), ['vm1', '5m', 'Running', 'True']);
  t.same(v1.renderRow({ ...vm, status: {} }, now), ['vm1', '5m', null, null], 'absent values are null cells');
});

t.test('scale subresource, priority columns, cluster scope, default Age column', async (t) => {
  const [pool] = crdResourceTypes(crd('virtualmachinepools.pool.kubevirt.io.yaml'));
  t.same(
    pool.subresources.map((s) => [s.name, s.responseKind.kind]),
    [
      ['scale', 'Scale'],
      ['status', 'VirtualMachinePool'],
    ],
  );
  const [vmi] = crdResourceTypes(crd('virtualmachineinstances.kubevirt.io.yaml'));
  t.ok(
    vmi.columns.some((c) => c.priority === 1),
    'wide-only columns are kept with their priority',
  );
  const clusterTypes = crdResourceTypes(crd('virtualmachineclusterinstancetypes.instancetype.kubevirt.io.yaml'));
  t.equal(clusterTypes[0].namespaced, false);
  const bare: KubeObject = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'widgets', kind: 'Widget' },
      versions: [
        { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } },
        { name: 'v0', served: false, storage: false },
      ],
    },
  };
  const types = crdResourceTypes(bare);
  t.equal(types.length, 1, 'unserved versions are left out');
  t.match(types[0], { singular: 'widget', listKind: 'WidgetList', shortNames: [], categories: [], subresources: [] });
  t.same(
    types[0].columns.map((c) => [c.name, c.type]),
    [
      ['Name', 'string'],
      ['Age', 'date'],
    ],
  );
  t.same(
    types[0].renderRow(
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', creationTimestamp: '2024-12-30T12:00:00Z' } },
      now,
    ),
    ['w', '2d'],
  );
});
