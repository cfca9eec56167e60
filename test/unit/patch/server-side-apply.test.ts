import t from 'tap';
import {
  applyConfiguration,
  definitionNameForGvk,
  FieldSet,
  fieldSetOf,
  kubernetesDefinitions,
  openApiV2SchemaNode,
  updateManagedFields,
  type OpenApiDefinitions,
  type SchemaNode,
} from '../../../src/api/patch/index.js';
import { StatusError } from '../../../src/api/errors.js';
import type { KubeObject, ManagedFieldsEntry } from '../../../src/api/types.js';
import { at, deepFreeze, deploymentSchema, virtOperatorDeployment } from './fixtures.js';

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

// What updateManagedFields skips (subtrees shared with the stored version, layouts seen before, entries no write
// touched) must never change its answer: each case below compares with the same write done the long way.

const T2 = '2024-05-01T12:00:00Z';
const deploymentSchemaFrom = (definitions: OpenApiDefinitions) =>
  openApiV2SchemaNode(definitions, definitionNameForGvk('apps', 'v1', 'Deployment') as string) as SchemaNode;
const write = (before: KubeObject | undefined, after: KubeObject, manager: string, now: string, writeSchema = schema) =>
  updateManagedFields({ before, after, manager, operation: 'Update', schema: writeSchema, now, apiVersion: 'apps/v1' });
const stored = (object: KubeObject, managedFields: ManagedFieldsEntry[]) =>
  deepFreeze({ ...object, metadata: { ...object.metadata, managedFields } }) as KubeObject;
const operator = virtOperatorDeployment();
const created = stored(operator, write(undefined, operator, 'creator', T0));

/** `created` with replicas, a label, the first container's image changed and the strategy dropped, sharing the rest. */
function edited(): KubeObject {
  const { strategy: _dropped, ...spec } = created.spec as Record<string, any>;
  const [first, ...others] = spec.template.spec.containers;
  return {
    ...created,
    metadata: { ...created.metadata, labels: { ...created.metadata.labels, extra: 'y' } },
    spec: {
      ...spec,
      replicas: 3,
      template: { ...spec.template, spec: { ...spec.template.spec, containers: [{ ...first, image: 'other:1' }, ...others] } },
    },
  } as KubeObject;
}

t.test('a write owns the same fields whether its unchanged parts are the stored ones or copies', async (t) => {
  const shared = write(created, edited(), 'editor', T1);
  t.same(write(created, structuredClone(edited()), 'editor', T1), shared);
  t.same(write(structuredClone(created), structuredClone(edited()), 'editor', T1), shared);
  const editor = FieldSet.fromFieldsV1(entryOf(shared, 'editor')?.fieldsV1);
  t.same(editor.paths(), [
    ['f:metadata', 'f:labels', 'f:extra'],
    ['f:spec', 'f:replicas'],
    ['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"virt-operator"}', 'f:image'],
  ]);
  const creator = FieldSet.fromFieldsV1(entryOf(shared, 'creator')?.fieldsV1);
  t.notOk(creator.has(['f:spec', 'f:replicas']), 'a changed field leaves its former owner');
  t.notOk(creator.hasAnyUnder(['f:spec', 'f:strategy']), 'so does a removed one');
  t.ok(creator.has(['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"virt-operator"}', 'f:name']));
});

t.test("a created object's fields are the same whether its shape was seen before or not", async (t) => {
  const spec = operator.spec as Record<string, any>;
  const container = spec.template.spec.containers[0];
  const variants = [
    operator,
    { ...operator, metadata: { ...operator.metadata, labels: { b: '1', a: '2' } } },
    {
      ...operator,
      spec: { ...spec, template: { ...spec.template, spec: { ...spec.template.spec, containers: [{ ...container, name: 'x' }] } } },
    },
    {
      ...operator,
      spec: { ...spec, template: { ...spec.template, spec: { ...spec.template.spec, containers: [{ ...container, env: [] }] } } },
    },
    // Two env entries with one name: one path, as in Kubernetes.
    {
      ...operator,
      spec: {
        ...spec,
        template: {
          ...spec.template,
          spec: {
            ...spec.template.spec,
            containers: [
              {
                ...container,
                env: [
                  { name: 'A', value: '1' },
                  { name: 'A', valueFrom: {} },
                ],
              },
            ],
          },
        },
      },
    },
    { ...operator, spec: { ...spec, selector: {}, strategy: null } },
    { ...operator, spec: { strategy: spec.strategy, replicas: 1, selector: spec.selector, template: spec.template } },
    operator,
  ] as KubeObject[];
  for (const [i, variant] of variants.entries()) {
    // A schema over a copy of the definitions has nodes of its own, with no layout remembered.
    const fresh = deploymentSchemaFrom({ ...kubernetesDefinitions() });
    t.same(write(undefined, variant, 'creator', T0), write(undefined, variant, 'creator', T0, fresh), `variant ${i}`);
    t.same(fieldSetOf(variant, schema).paths(), fieldSetOf(variant, fresh).paths(), `variant ${i}, ToFieldSet`);
  }
  t.equal(fieldSetOf(operator, schema), fieldSetOf(structuredClone(operator), schema), 'a shape seen before gives the same set');
});

t.test('entries a write does not touch are written back as they were', async (t) => {
  const managedFields = write(created, edited(), 'editor', T1);
  const twice = stored(edited(), managedFields);
  const relabelled = { ...twice, metadata: { ...twice.metadata, labels: { ...twice.metadata.labels, extra: 'z' } } } as KubeObject;
  const again = write(twice, relabelled, 'editor', T2);
  t.equal(entryOf(again, 'creator'), entryOf(managedFields, 'creator'), "the untouched manager's entry is the stored one");
  t.equal(entryOf(again, 'editor')?.time, T2, 'the writer that changed a field gets the new time');
  t.same(entryOf(again, 'editor')?.fieldsV1, entryOf(managedFields, 'editor')?.fieldsV1);

  const bumped = { ...twice, metadata: { ...twice.metadata, resourceVersion: '99', generation: 7 } } as KubeObject;
  t.equal(write(twice, bumped, 'editor', T2), twice.metadata.managedFields, 'no ownable change: the stored list itself');
  const byOther = write(twice, bumped, 'someone', T2);
  t.same(byOther, managedFields, 'a writer that changed nothing owns nothing and stamps no time');
});

t.test('a set that was read refuses insert; equal built sets are one object', async (t) => {
  const built = FieldSet.of([['f:a'], ['f:b', 'f:c']]);
  built.toFieldsV1();
  t.throws(() => built.insert(['f:d']));
  t.equal(FieldSet.fromFieldsV1(built.toFieldsV1()), built, 'an encoding decodes to the set it was encoded from');
  t.ok(built.intersection(FieldSet.of([['f:z']])).isEmpty());
});

t.test('a write that only removes fields keeps the time of the manager who made it, as the fieldmanager does', async (t) => {
  const managedFields = write(created, edited(), 'editor', T1);
  const withExtra = stored(edited(), managedFields);
  const { extra: _removed, ...labels } = withExtra.metadata.labels ?? {};
  const unlabelled = { ...withExtra, metadata: { ...withExtra.metadata, labels } } as KubeObject;
  const after = write(withExtra, unlabelled, 'editor', T2);
  t.equal(entryOf(after, 'editor')?.time, T1, 'no new time');
  t.notOk(FieldSet.fromFieldsV1(entryOf(after, 'editor')?.fieldsV1).has(['f:metadata', 'f:labels', 'f:extra']), 'the field is gone');
  const relabelled = write(
    withExtra,
    { ...unlabelled, metadata: { ...unlabelled.metadata, labels: { ...labels, other: 'x' } } } as KubeObject,
    'editor',
    T2,
  );
  t.equal(entryOf(relabelled, 'editor')?.time, T2, 'a write that also sets a field is stamped');
});

t.test('creates by one manager in one second share one frozen entry list; another time or manager gets its own', async (t) => {
  const first = write(undefined, operator, 'recorder', T0);
  const second = write(undefined, virtOperatorDeployment(), 'recorder', T0);
  t.equal(second, first, 'the same list');
  t.ok(Object.isFrozen(first) && Object.isFrozen(first[0]));
  t.same(write(undefined, operator, 'recorder', T1), [{ ...first[0], time: T1 }]);
  t.not(write(undefined, operator, 'other', T0)[0], first[0]);
});
