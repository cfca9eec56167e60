import t from 'tap';
import { deepFreeze } from '../../../src/runtime/deep-freeze.js';
import { CrdSchema, crdSchema } from '../../../src/api/crd/schema.js';
import { validateCrd } from '../../../src/api/crd/validate-crd.js';
import type { KubeObject } from '../../../src/api/types.js';
import { projectYaml } from '../../helpers/project-yaml.js';

const crd = (file: string): KubeObject => projectYaml(new URL(`../../../schemas/kubevirt/crds/${file}`, import.meta.url)) as KubeObject;
const vmCrd = crd('virtualmachines.kubevirt.io.yaml');
const vmSchema = crdSchema(vmCrd, 'v1')!;

const vm = (spec: Record<string, unknown>, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachine',
  metadata: { name: 'vm1', namespace: 'default' },
  spec,
  ...extra,
});

const template = (domain: Record<string, unknown>) => ({ spec: { domain } });
const plainDomain = { devices: {} };

const asMessages = (errors: { field: string; message: string }[]) => errors.map((e) => `${e.field}: ${e.message}`);

t.test('a valid VirtualMachine passes', async (t) => {
  t.same(
    vmSchema.validate(vm({ runStrategy: 'Always', template: template({ ...plainDomain, resources: { requests: { memory: '64Mi' } } }) })),
    [],
  );
  t.equal(crdSchema(vmCrd, 'v1'), vmSchema, 'one compiled schema per CRD version');
  t.equal(crdSchema(vmCrd, 'v9'), undefined);
});

t.test('a wrong type names the field path as the apiserver does', async (t) => {
  const errors = vmSchema.validate(vm({ template: template({ ...plainDomain, cpu: { cores: 'two' } }) }));
  t.same(asMessages(errors), [
    'spec.template.spec.domain.cpu.cores: Invalid value: "string": spec.template.spec.domain.cpu.cores in body must be of type integer: "string"',
  ]);
  t.equal(errors[0].reason, 'FieldValueTypeInvalid');
});

t.test('list items, required fields', async (t) => {
  const errors = vmSchema.validate(vm({ template: template({ devices: { disks: [{ name: 'ok' }, { name: 7 }] } }) }));
  t.same(asMessages(errors), [
    'spec.template.spec.domain.devices.disks[1].name: Invalid value: "integer": spec.template.spec.domain.devices.disks[1].name in body must be of type string: "integer"',
  ]);
  const missing = vmSchema.validate(vm({}));
  t.same(asMessages(missing), ['spec.template: Required value']);
  t.equal(missing[0].reason, 'FieldValueRequired');
});

t.test('int-or-string quantities', async (t) => {
  const withRequests = (memory: unknown) => vm({ template: template({ ...plainDomain, resources: { requests: { memory } } }) });
  t.same(vmSchema.validate(withRequests('1Gi')), []);
  t.same(vmSchema.validate(withRequests(1024)), []);
  const bad = asMessages(vmSchema.validate(withRequests('lots')));
  t.equal(bad.length, 1);
  t.match(
    bad[0],
    /^spec\.template\.spec\.domain\.resources\.requests\.memory: Invalid value: "lots": spec\.template\.spec\.domain\.resources\.requests\.memory in body should match '\^/,
  );
  const wrongType = asMessages(vmSchema.validate(withRequests(true)));
  t.ok(
    wrongType.includes(
      'spec.template.spec.domain.resources.requests.memory: Invalid value: "boolean": spec.template.spec.domain.resources.requests.memory in body must be of type integer,string: "boolean"',
    ),
    wrongType.join('\n'),
  );
});

t.test('pruning drops unknown fields and reports their paths', async (t) => {
  const input = vm({ foo: 1, template: template({ ...plainDomain, cpu: { cores: 1, bogus: true } }) }, { extra: 'x' });
  (input.metadata as Record<string, unknown>).color = 'blue';
  const { object, unknownFields } = vmSchema.prune(input);
  t.same(unknownFields, ['extra', 'metadata.color', 'spec.foo', 'spec.template.spec.domain.cpu.bogus']);
  t.notOk('foo' in (object.spec as object));
  t.notOk('extra' in object);
  t.same(object.metadata, { name: 'vm1', namespace: 'default' });
  t.same((object.spec as any).template.spec.domain.cpu, { cores: 1 });
  t.ok('foo' in (input.spec as object), 'the input is not modified');
  const clean = vm({ template: template(plainDomain) });
  const same = vmSchema.prune(clean);
  t.equal(same.object, clean, 'nothing to prune: the same object back');
  t.same(same.unknownFields, []);
});

t.test('pruning keeps nulls where the schema is nullable and drops the others (PruneNonNullableNullsWithoutDefaults)', async (t) => {
  const input = vm(
    { template: template({ ...plainDomain, cpu: null }) },
    { status: { conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: null, reason: null }] } },
  );
  const { object, unknownFields } = vmSchema.prune(input);
  t.same(unknownFields, [], 'a dropped null is no unknown field');
  t.same((object.status as any).conditions, [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: null }]);
  t.notOk('cpu' in (object.spec as any).template.spec.domain, 'domain.cpu is not nullable');
});

const toyCrd = (openAPIV3Schema: Record<string, unknown>): KubeObject => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema } }],
  },
});

const widgetSchema = new CrdSchema({
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['size'],
      properties: {
        size: { type: 'string', enum: ['small', 'large'] },
        replicas: { type: 'integer', minimum: 1, maximum: 5, default: 1 },
        name: { type: 'string', maxLength: 5, nullable: true },
        tags: { type: 'array', maxItems: 2, items: { type: 'object', properties: { key: { type: 'string', default: 'k' } } } },
        port: { 'x-kubernetes-int-or-string': true },
        created: { type: 'string', format: 'date-time' },
        settings: { type: 'object', default: {}, properties: { mode: { type: 'string', default: 'auto' } } },
        extra: {
          type: 'object',
          'x-kubernetes-preserve-unknown-fields': true,
          properties: { known: { type: 'object', properties: { a: { type: 'string' } } } },
        },
        labels: { type: 'object', additionalProperties: { type: 'object', properties: { v: { type: 'string' } } } },
      },
    },
  },
});

t.test('value validations word their errors like the apiserver', async (t) => {
  const errors = asMessages(
    widgetSchema.validate(vm({ size: 'medium', replicas: 9, name: 'toolong', tags: [{}, {}, {}], created: 'yesterday' }) as KubeObject),
  );
  t.same(errors.sort(), [
    'spec.created: Invalid value: "yesterday": spec.created in body must be of type date-time: "yesterday"',
    'spec.name: Too long: may not be more than 5 bytes',
    'spec.replicas: Invalid value: 9: spec.replicas in body should be less than or equal to 5',
    'spec.size: Unsupported value: "medium": supported values: "small", "large"',
    'spec.tags: Too many: 3: must have at most 2 items',
  ]);
  t.same(
    widgetSchema.validate(vm({ size: 'small', name: null, port: 'http', created: '2024-01-02T03:04:05Z' })),
    [],
    'nullable, int-or-string, date-time',
  );
  t.same(asMessages(widgetSchema.validate(vm({ size: 'small', port: 8080.5 }))), [
    'spec.port: Invalid value: "number": spec.port in body must be of type integer,string: "number"',
  ]);
  // kube-openapi checks the type and the enum of a null value both.
  t.same(asMessages(widgetSchema.validate(vm({ size: null }))), [
    'spec.size: Invalid value: "null": spec.size in body must be of type string: "null"',
    'spec.size: Unsupported value: null: supported values: "small", "large"',
  ]);
});

t.test('defaulting fills absent and non-nullable null fields, recursively, without touching the input', async (t) => {
  const input = vm({ size: 'small', replicas: null, tags: [{}, { key: 'x' }] });
  const out = widgetSchema.applyDefaults(input) as any;
  t.same(out.spec, { size: 'small', replicas: 1, tags: [{ key: 'k' }, { key: 'x' }], settings: { mode: 'auto' } });
  t.equal(input.spec && (input.spec as any).replicas, null, 'input unchanged');
  const full = vm({ size: 'small', replicas: 2, settings: { mode: 'manual' } });
  t.equal(widgetSchema.applyDefaults(full), full, 'nothing to default: the same object back');
});

t.test('preserve-unknown-fields and additionalProperties when pruning', async (t) => {
  const { object, unknownFields } = widgetSchema.prune(
    vm({ size: 'small', extra: { anything: 1, known: { a: 'x', b: 'y' } }, labels: { one: { v: 'x', w: 'y' } } }),
  );
  t.same((object.spec as any).extra, { anything: 1, known: { a: 'x' } });
  t.same((object.spec as any).labels, { one: { v: 'x' } });
  t.same(unknownFields, ['spec.extra.known.b', 'spec.labels.one.w']);
});

t.test('validateCrd checks the essentials', async (t) => {
  t.same(validateCrd(vmCrd), []);
  t.same(validateCrd(toyCrd({ type: 'object' })), []);
  const bad = toyCrd({ type: 'object' });
  bad.metadata.name = 'gadgets.example.com';
  (bad.spec as any).versions.push({ name: 'v2', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } });
  (bad.spec as any).names.kind = '';
  const messages = asMessages(validateCrd(bad));
  t.equal(messages[0], 'metadata.name: Invalid value: "gadgets.example.com": must be spec.names.plural+"."+spec.group');
  t.match(messages[1], /^spec\.versions: Invalid value: .*must have exactly one version marked as storage version$/);
  t.equal(messages[2], 'spec.names.kind: Required value');
});

t.test('a frozen subtree found valid is not checked again, and every answer stays what a fresh copy gets', async (t) => {
  const stored = deepFreeze(vm({ runStrategy: 'Always', template: template({ ...plainDomain, cpu: { cores: 2 } }) }));
  t.same(vmSchema.validate(stored), []);
  t.same(vmSchema.validate(stored), [], 'the same stored version again');
  // A status write keeps the stored spec: the errors are those of the same object built afresh.
  const statusWrite = { ...stored, status: { printableStatus: 7, ready: 'yes' } } as KubeObject;
  t.same(asMessages(vmSchema.validate(statusWrite)), asMessages(vmSchema.validate(structuredClone(statusWrite))));
  t.equal(vmSchema.validate(statusWrite).length, 2);
  // A frozen invalid subtree is never taken for valid, however often it comes back.
  const badSpec = deepFreeze({ template: template({ ...plainDomain, cpu: { cores: 'two' } }) });
  const first = asMessages(vmSchema.validate(vm(badSpec)));
  t.equal(first.length, 1);
  t.same(asMessages(vmSchema.validate(vm(badSpec))), first);
  // A value valid at one node is judged afresh at another: the devices part remembered it, the template's spec did not.
  const devices = deepFreeze({ disks: [{ name: 'root' }] });
  t.same(vmSchema.validate(vm({ template: template({ devices }) })), []);
  t.same(asMessages(vmSchema.validate(vm({ template: { spec: devices } }))), ['spec.template.spec.domain: Required value']);
  // Found valid unfrozen, then changed: the write that stores it checks it again and forgets the answer.
  const changing = { template: template({ ...plainDomain, cpu: { cores: 2 } }) };
  t.same(vmSchema.validate(vm(changing)), []);
  (changing.template.spec.domain.cpu as Record<string, unknown>).cores = 'two';
  const afterChange = asMessages(vmSchema.validate(vm(changing)));
  t.equal(afterChange.length, 1);
  t.same(asMessages(vmSchema.validate(vm(deepFreeze(changing)))), afterChange);
});

t.test('pruning does not walk again a frozen subtree it found clean, with the same answers', async (t) => {
  // Thirty entries: large enough for the labels map's walk to be remembered.
  const manyLabels = (extra: Record<string, unknown> = {}) =>
    Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`l${i}`, { v: `${i}`, ...extra }]));
  const labels = deepFreeze(manyLabels());
  const withLabels = (): KubeObject => vm({ size: 'small', labels });
  t.same(widgetSchema.prune(withLabels()).unknownFields, []);
  t.equal((widgetSchema.prune(withLabels()).object.spec as any).labels, labels);
  // Clean as the labels map, not as settings: its keys are unknown there.
  const asSettings = widgetSchema.prune(vm({ size: 'small', settings: labels }));
  t.equal(asSettings.unknownFields.length, 30);
  t.same((asSettings.object.spec as any).settings, {});
  const dirty = deepFreeze(manyLabels({ w: 'y' }));
  for (let i = 0; i < 2; i++) t.equal(widgetSchema.prune(vm({ size: 'small', labels: dirty })).unknownFields.length, 30);
  // Found clean unfrozen, then changed: the write that stores it walks it again and forgets the answer.
  const changing = manyLabels();
  t.same(widgetSchema.prune(vm({ size: 'small', labels: changing })).unknownFields, []);
  (changing.l0 as Record<string, unknown>).w = 'y';
  t.same(widgetSchema.prune(vm({ size: 'small', labels: changing })).unknownFields, ['spec.labels.l0.w']);
  t.same(widgetSchema.prune(vm({ size: 'small', labels: deepFreeze(changing) })).unknownFields, ['spec.labels.l0.w']);
});
