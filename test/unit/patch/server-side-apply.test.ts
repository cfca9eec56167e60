import t from 'tap';
import { applyConfiguration, FieldSet, fieldSetOf, updateManagedFields } from '../../../src/api/patch/index.js';
import { StatusError } from '../../../src/api/errors.js';
import type { KubeObject, ManagedFieldsEntry } from '../../../src/api/types.js';
import { at, deepFreeze, deploymentSchema } from './fixtures.js';

const schema = deploymentSchema();
const T0 = '2024-05-01T10:00:00Z';
const T1 = '2024-05-01T11:00:00Z';

const config = (replicas = 2, ports = [{ containerPort: 80 }, { containerPort: 443 }]) =>
  deepFreeze({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx', ports }] } },
    },
  });

const apply = (live: KubeObject | undefined, applied: unknown, manager = 'kubectl', force = false, now = T1) =>
  applyConfiguration({ live: live && deepFreeze(live), applied, manager, force, schema, now, apiVersion: 'apps/v1' });

const entryOf = (fields: readonly ManagedFieldsEntry[], manager: string) => fields.find((e) => e.manager === manager);
const owns = (entry: ManagedFieldsEntry | undefined, ...path: string[]) => FieldSet.fromFieldsV1(entry?.fieldsV1).has(path);
const REPLICAS = ['f:spec', 'f:replicas'];

t.test('fieldSetOf in FieldsV1 form', async (t) => {
  t.same(fieldSetOf(config(), schema).toFieldsV1(), {
    'f:metadata': { 'f:labels': { 'f:app': {} } },
    'f:spec': {
      'f:replicas': {},
      'f:selector': {},
      'f:template': {
        'f:metadata': { 'f:labels': { 'f:app': {} } },
        'f:spec': {
          'f:containers': {
            'k:{"name":"c"}': {
              '.': {},
              'f:image': {},
              'f:name': {},
              'f:ports': {
                'k:{"containerPort":80}': { '.': {}, 'f:containerPort': {} },
                'k:{"containerPort":443}': { '.': {}, 'f:containerPort': {} },
              },
            },
          },
        },
      },
    },
  });
});

t.test('apply creates the object and records the applier', async (t) => {
  const { object, managedFields } = apply(undefined, config(), 'kubectl', false, T0);
  t.same(
    { ...object, metadata: { ...object.metadata, managedFields: undefined } },
    { ...config(), metadata: { ...config().metadata, managedFields: undefined } },
  );
  t.same(
    managedFields.map(({ fieldsV1: _f, ...rest }) => rest),
    [{ manager: 'kubectl', operation: 'Apply', apiVersion: 'apps/v1', time: T0, fieldsType: 'FieldsV1' }],
  );
  t.same(managedFields[0].fieldsV1, fieldSetOf(config(), schema).toFieldsV1());
  t.same(object.metadata.managedFields, managedFields);
});

t.test('re-applying the same configuration changes nothing, not even the time', async (t) => {
  const created = apply(undefined, config(), 'kubectl', false, T0).object;
  const again = apply(created, config(), 'kubectl', false, T1);
  t.same(again.object, created);
  t.equal(again.managedFields[0].time, T0);
});

t.test('fields dropped from the configuration are removed', async (t) => {
  const created = apply(undefined, config(), 'kubectl', false, T0).object;
  const { replicas: _r, ...specWithoutReplicas } = config().spec;
  const next = apply(created, {
    ...config(undefined, [{ containerPort: 80 }]),
    spec: { ...specWithoutReplicas, template: config(2, [{ containerPort: 80 }]).spec.template },
  });
  t.notOk('replicas' in (next.object.spec as object));
  t.same(at(next.object, 'spec', 'template', 'spec', 'containers', 0, 'ports'), [{ containerPort: 80 }]);
  t.notOk(owns(next.managedFields[0], ...REPLICAS));
  t.equal(next.managedFields[0].time, T1);
});

t.test('a dropped field another manager also owns stays', async (t) => {
  const created = apply(undefined, config(), 'kubectl', false, T0).object;
  const scaled = { ...created, spec: { ...(created.spec as object), replicas: 5 } } as KubeObject;
  const managedFields = updateManagedFields({
    before: created,
    after: scaled,
    manager: 'kube-controller-manager',
    operation: 'Update',
    schema,
    now: T1,
    apiVersion: 'apps/v1',
  });
  const live = { ...scaled, metadata: { ...scaled.metadata, managedFields } };
  const { replicas: _r, ...spec } = config().spec;
  const next = apply(live, { ...config(), spec });
  t.equal(at(next.object, 'spec', 'replicas'), 5);
  t.ok(owns(entryOf(next.managedFields, 'kube-controller-manager'), ...REPLICAS));
});

/** A Deployment created by client-side apply: an Update entry of kubectl-client-side-apply owning everything. */
function clientSideApplied(): KubeObject {
  const obj = config() as unknown as KubeObject;
  const managedFields = updateManagedFields({
    before: undefined,
    after: obj,
    manager: 'kubectl-client-side-apply',
    operation: 'Update',
    schema,
    now: T0,
    apiVersion: 'apps/v1',
  });
  return { ...obj, metadata: { ...obj.metadata, managedFields } };
}

t.test('changing a field another manager owns is a conflict', async (t) => {
  const live = clientSideApplied();
  t.throws(() => apply(live, config(3)), {
    constructor: StatusError,
    code: 409,
    reason: 'Conflict',
    message: 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas',
    details: {
      causes: [
        { reason: 'FieldManagerConflict', message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: '.spec.replicas' },
      ],
    },
  });
});

t.test('several conflicts are listed per manager', async (t) => {
  const live = clientSideApplied();
  const changed = { ...config(3), metadata: { ...config().metadata, labels: { app: 'other' } } };
  t.throws(() => apply(live, changed), {
    message:
      'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using apps/v1:\n- .metadata.labels.app\n- .spec.replicas',
  });
  const renamed = {
    ...config(),
    spec: { ...config().spec, template: { ...config().spec.template, spec: { containers: [{ name: 'c', image: 'httpd', ports: [] }] } } },
  };
  t.throws(() => apply(live, renamed), {
    message: /conflict with "kubectl-client-side-apply" using apps\/v1: \.spec\.template\.spec\.containers\[name="c"\]\.image$/,
  });
});

t.test('the same value is shared, not a conflict', async (t) => {
  const { managedFields } = apply(clientSideApplied(), config());
  t.ok(owns(entryOf(managedFields, 'kubectl'), ...REPLICAS));
  t.ok(owns(entryOf(managedFields, 'kubectl-client-side-apply'), ...REPLICAS));
});

t.test('force takes the field over', async (t) => {
  const { object, managedFields } = apply(clientSideApplied(), config(3), 'kubectl', true);
  t.equal(at(object, 'spec', 'replicas'), 3);
  t.ok(owns(entryOf(managedFields, 'kubectl'), ...REPLICAS));
  t.notOk(owns(entryOf(managedFields, 'kubectl-client-side-apply'), ...REPLICAS));
  t.ok(owns(entryOf(managedFields, 'kubectl-client-side-apply'), 'f:metadata', 'f:labels', 'f:app'), 'unchanged fields stay shared');
  t.same(
    managedFields.map((e) => e.operation),
    ['Apply', 'Update'],
    'Apply entries sort first',
  );
});

t.test('updates move changed fields to the writer and drop empty entries', async (t) => {
  const created = apply(
    undefined,
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 1 } },
    'kubectl',
    false,
    T0,
  ).object;
  const scaled = { ...created, spec: { replicas: 4 } } as KubeObject;
  const managedFields = updateManagedFields({
    before: created,
    after: scaled,
    manager: 'kubectl-scale',
    operation: 'Update',
    subresource: 'scale',
    schema,
    now: T1,
    apiVersion: 'apps/v1',
  });
  t.same(managedFields, [
    {
      manager: 'kubectl-scale',
      operation: 'Update',
      apiVersion: 'apps/v1',
      time: T1,
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:spec': { 'f:replicas': {} } },
      subresource: 'scale',
    },
  ]);
});
