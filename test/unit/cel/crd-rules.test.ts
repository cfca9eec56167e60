// CRD validation rules evaluated directly: typing of self from the schema, transition rules and optionalOldSelf,
// ratcheting, messageExpression fallback, int-or-string, escaped property names and the runtime cost limit.
import t from 'tap';
import { compileSchemaRules } from '../../../src/api/crd/rules-compile.js';
import { validateRules } from '../../../src/api/crd/rules-validate.js';
import { validateCrdRules } from '../../../src/api/crd/validate-crd-rules.js';

const rootWith = (spec: Record<string, unknown>) => ({ type: 'object', properties: { spec } });
const run = (schema: Record<string, unknown>, object: unknown, old?: unknown) => {
  const tree = compileSchemaRules(schema);
  if (!tree) throw new Error('no rules');
  const { errors, warnings } = validateRules(tree, object, old);
  return { errors: errors.map((e) => `${e.field}: ${e.message}`), warnings };
};

t.test('transition rules run only with an old value; optionalOldSelf runs them on create too', async (t) => {
  const schema = rootWith({
    type: 'object',
    properties: { n: { type: 'integer' } },
    'x-kubernetes-validations': [
      { rule: 'self.n >= oldSelf.n', message: 'n may not decrease' },
      { rule: 'oldSelf.hasValue() || self.n == 0', message: 'n starts at zero', optionalOldSelf: true },
    ],
  });
  t.same(run(schema, { spec: { n: 0 } }).errors, []);
  t.same(run(schema, { spec: { n: 5 } }).errors, ['spec: Invalid value: "object": n starts at zero']);
  t.same(run(schema, { spec: { n: 1 } }, { spec: { n: 2 } }).errors, ['spec: Invalid value: "object": n may not decrease']);
});

t.test('an unchanged failing value is ratcheted to a warning', async (t) => {
  const schema = rootWith({
    type: 'object',
    properties: { a: { type: 'string', 'x-kubernetes-validations': [{ rule: "self != 'bad'" }] }, b: { type: 'string' } },
  });
  const old = { spec: { a: 'bad', b: 'x' } };
  const result = run(schema, { spec: { a: 'bad', b: 'y' } }, old);
  t.same(result.errors, []);
  t.same(result.warnings, [`spec.a: Invalid value: "string": failed rule: self != 'bad'`]);
});

t.test('messageExpression falls back to message when it fails; reasons map to cause types', async (t) => {
  const schema = rootWith({
    type: 'object',
    properties: { x: { type: 'integer' } },
    'x-kubernetes-validations': [
      { rule: 'self.x > 1', message: 'static', messageExpression: "'x is ' + self.missing" },
      { rule: 'self.x > 2', reason: 'FieldValueForbidden', messageExpression: "'x is ' + string(self.x)" },
      { rule: 'self.x > 3', reason: 'FieldValueDuplicate' },
    ],
  });
  t.same(run(schema, { spec: { x: 1 } }).errors, [
    'spec: Invalid value: "object": static',
    'spec: Forbidden: x is 1',
    'spec: Duplicate value: "object"',
  ]);
});

t.test('int-or-string is dyn, property names are escaped, integers are ints', async (t) => {
  const schema = rootWith({
    type: 'object',
    properties: { port: { 'x-kubernetes-int-or-string': true }, 'max-size': { type: 'integer' }, ratio: { type: 'number' } },
    'x-kubernetes-validations': [
      { rule: "type(self.port) == string ? self.port.matches('^[a-z]+$') : self.port > 0" },
      { rule: 'self.max__dash__size < 10' },
      { rule: 'self.ratio < 1.5' },
    ],
  });
  t.same(run(schema, { spec: { port: 'http', 'max-size': 3, ratio: 1 } }).errors, []);
  t.same(run(schema, { spec: { port: 0, 'max-size': 30, ratio: 2 } }).errors.length, 3);
});

t.test('the resource root sees apiVersion, kind and metadata.name only', async (t) => {
  const ok = validateCrdRules([
    {
      name: 'v1',
      served: true,
      storage: true,
      schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-validations': [{ rule: "self.metadata.name != 'x'" }] } },
    },
  ]);
  t.same(ok, []);
  const errors = validateCrdRules([
    {
      name: 'v1',
      served: true,
      storage: true,
      schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-validations': [{ rule: "self.metadata.namespace != 'x'" }] } },
    },
  ]);
  t.match(errors[0].message, "undefined field 'namespace'");
});

t.test('a rule over large actual data is stopped by the per-call limit with kube message', async (t) => {
  const schema = rootWith({
    type: 'object',
    properties: { items: { type: 'array', items: { type: 'string' } } },
    'x-kubernetes-validations': [{ rule: 'self.items.all(a, self.items.all(b, a == b || a != b))' }],
  });
  const items = Array.from({ length: 2000 }, (_, i) => `item-${i}`);
  const { errors } = run(schema, { spec: { items } });
  t.match(
    errors[0],
    "'operation cancelled: actual cost limit exceeded': no further validation rules will be run due to call cost exceeds limit for rule",
  );
  t.same(run(schema, { spec: { items: items.slice(0, 10) } }).errors, []);
});

t.test('a runtime error is reported as cel-go words it, with the rule', async (t) => {
  const schema = rootWith({
    type: 'object',
    properties: { x: { type: 'integer' } },
    'x-kubernetes-validations': [{ rule: 'self.x == 1' }],
  });
  t.same(run(schema, { spec: {} }).errors, ['spec: Invalid value: "object": no such key: x evaluating rule: self.x == 1']);
});
