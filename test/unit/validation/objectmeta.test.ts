import t from 'tap';
import { validateDnsSubdomainName, validatePathSegmentName } from '../../../src/api/builtins/names.js';
import {
  qualifiedNameMessages,
  validateFieldManager,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../../../src/api/validation/objectmeta.js';

const namespaced = { namespaced: true, nameRule: validateDnsSubdomainName };
const lines = (errors: { field: string; message: string }[]) => errors.map((e) => `${e.field}: ${e.message}`);

t.test('a well-formed ObjectMeta has no errors', async (t) => {
  const meta = {
    name: 'web',
    namespace: 'default',
    labels: { 'app.kubernetes.io/name': 'web', tier: '' },
    annotations: { 'Example.COM/Note': 'anything at all' },
    finalizers: ['kubernetes.io/pvc-protection', 'foregroundDeletion'],
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'u1', controller: true }],
    managedFields: [{ manager: 'kubectl', operation: 'Update' as const, fieldsType: 'FieldsV1' }],
  };
  t.same(validateObjectMeta(meta, namespaced), []);
});

t.test('qualified names as apimachinery words them', async (t) => {
  t.same(qualifiedNameMessages('a/b/c'), [
    "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
  ]);
  t.same(qualifiedNameMessages('/x'), ['prefix part must be non-empty']);
  t.same(qualifiedNameMessages('x/'), [
    'name part must be non-empty',
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
  ]);
  t.match(qualifiedNameMessages(`${'a'.repeat(64)}`), ['name part must be no more than 63 characters']);
});

t.test('every shared field of ObjectMeta is checked', async (t) => {
  const errors = validateObjectMeta(
    {
      name: 'ok',
      namespace: 'Bad_NS',
      generation: -1,
      labels: { ok: 'v'.repeat(64) },
      finalizers: ['orphan', 'foregroundDeletion'],
      ownerReferences: [
        { apiVersion: 'a/b/c', kind: 'Event', name: 'e', uid: 'u' },
        { apiVersion: 'v1', kind: 'Event', name: 'e', uid: 'u' },
      ],
      managedFields: [{ manager: 'x\u0007', operation: 'Delete' as never, fieldsType: 'FieldsV2' }],
    },
    namespaced,
  );
  t.same(
    errors.map((e) => e.field),
    [
      'metadata.namespace',
      'metadata.generation',
      'metadata.labels',
      'metadata.ownerReferences.apiVersion',
      'metadata.ownerReferences',
      'metadata.finalizers',
      'metadata.managedFields[0].operation',
      'metadata.managedFields[0].fieldsType',
      'metadata.managedFields[0].manager',
    ],
  );
  t.match(lines(errors), [
    /^metadata\.namespace: Invalid value: "Bad_NS": a lowercase RFC 1123 label/,
    'metadata.generation: Invalid value: -1: must be greater than or equal to 0',
    `metadata.labels: Invalid value: "${'v'.repeat(64)}": must be no more than 63 characters`,
    'metadata.ownerReferences.apiVersion: Invalid value: "a/b/c": version must not be empty',
    /^metadata\.ownerReferences: Invalid value: v1\.OwnerReference\{APIVersion:"v1", Kind:"Event".*\}: \/v1, Kind=Event is disallowed from being an owner$/,
    'metadata.finalizers: Invalid value: []string{"orphan", "foregroundDeletion"}: finalizer orphan and foregroundDeletion cannot be both set',
    'metadata.managedFields[0].operation: Invalid value: "Delete": must be `Apply` or `Update`',
    'metadata.managedFields[0].fieldsType: Invalid value: "FieldsV2": must be `FieldsV1`',
    'metadata.managedFields[0].manager: Invalid value: "x\\u0007": invalid character U+0007 (at position 1)',
  ]);
});

t.test('names: required, the kind rule, generateName as a prefix, namespace on cluster-scoped kinds', async (t) => {
  t.same(lines(validateObjectMeta({ namespace: 'default' }, namespaced)), [
    'metadata.name: Required value: name or generateName is required',
  ]);
  t.same(
    validateObjectMeta({ name: 'web-x2k9p', generateName: 'web-', namespace: 'default' }, namespaced),
    [],
    'a prefix may end in a dash',
  );
  t.same(lines(validateObjectMeta({ name: 'a/b' }, { namespaced: false, nameRule: validatePathSegmentName })), [
    `metadata.name: Invalid value: "a/b": may not contain '/'`,
  ]);
  t.same(lines(validateObjectMeta({ name: 'n', namespace: 'x' }, { namespaced: false, nameRule: validatePathSegmentName })), [
    'metadata.namespace: Forbidden: not allowed on this type',
  ]);
  t.same(validateObjectMeta({}, { namespaced: false, nameRule: null }), [], 'kinds never stored under a name');
});

t.test('annotations: 256 KiB in total', async (t) => {
  t.same(
    validateObjectMeta(
      { name: 'n', annotations: { a: 'x'.repeat(256 * 1024 - 1) } },
      { namespaced: false, nameRule: validateDnsSubdomainName },
    ),
    [],
  );
  t.same(
    lines(
      validateObjectMeta(
        { name: 'n', annotations: { a: 'x'.repeat(256 * 1024) } },
        { namespaced: false, nameRule: validateDnsSubdomainName },
      ),
    ),
    ['metadata.annotations: Too long: may not be more than 262144 bytes'],
  );
});

t.test('updates: no new finalizers on a terminating object; field managers of 128 characters at most', async (t) => {
  const old = { name: 'n', deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: ['a.io/x'] };
  t.same(validateObjectMetaUpdate({ ...old, finalizers: [] }, old), []);
  t.same(lines(validateObjectMetaUpdate({ ...old, finalizers: ['a.io/x', 'b.io/y'] }, old)), [
    'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"b.io/y"}',
  ]);
  t.same(validateFieldManager('m'.repeat(128), 'fieldManager'), []);
  t.same(lines(validateFieldManager('m'.repeat(129), 'fieldManager')), ['fieldManager: Too long: may not be more than 128 bytes']);
});

t.test('a manager name found valid is not checked again; an invalid one is reported every time', async (t) => {
  t.same(validateFieldManager('kube-controller-manager', 'f'), []);
  t.same(validateFieldManager('kube-controller-manager', 'f'), []);
  for (let i = 0; i < 2; i++) {
    t.same(
      validateFieldManager('bell\u0007', 'metadata.managedFields[0].manager').map((e) => `${e.field}: ${e.message}`),
      ['metadata.managedFields[0].manager: Invalid value: "bell\\u0007": invalid character U+0007 (at position 4)'],
    );
  }
  // Frozen managed fields found valid, written back by the next update, are not checked again, with the same answer.
  const meta = (managedFields: unknown) => ({ name: 'n', namespace: 'ns', managedFields }) as never;
  const rules = { namespaced: true, nameRule: null };
  const entries = Object.freeze([Object.freeze({ manager: 'virt-handler', operation: 'Update', fieldsType: 'FieldsV1' })]);
  t.same(validateObjectMeta(meta(entries), rules), []);
  t.same(validateObjectMeta(meta(entries), rules), []);
  const bad = Object.freeze([Object.freeze({ manager: 'virt-handler', operation: 'Delete', fieldsType: 'FieldsV1' })]);
  for (let i = 0; i < 2; i++) t.equal(validateObjectMeta(meta(bad), rules).length, 1);
});
