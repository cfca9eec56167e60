import t from 'tap';
import { applyJsonPatch, applyPatch } from '../../../src/api/patch/index.js';
import { StatusError } from '../../../src/api/errors.js';
import { deepFreeze } from './fixtures.js';

const deployment = deepFreeze({ metadata: { name: 'd', labels: { app: 'x' } }, spec: { replicas: 2, items: ['a', 'b'] } });

const isStatus = (code: number, reason: string, message: string) => ({ constructor: StatusError, code, reason, message });

t.test('add, replace, remove, move, copy and a passing test', async (t) => {
  const patched = applyJsonPatch(deployment, [
    { op: 'test', path: '/spec/replicas', value: 2 },
    { op: 'replace', path: '/spec/replicas', value: 5 },
    { op: 'add', path: '/metadata/labels/tier', value: 'web' },
    { op: 'add', path: '/spec/items/-', value: 'c' },
    { op: 'remove', path: '/metadata/labels/app' },
    { op: 'copy', from: '/spec/replicas', path: '/spec/copied' },
  ]);
  t.same(patched, { metadata: { name: 'd', labels: { tier: 'web' } }, spec: { replicas: 5, items: ['a', 'b', 'c'], copied: 5 } });
  t.same(deployment.spec.items, ['a', 'b'], 'original untouched');
});

t.test('a patch copies only what it changes: untouched parts stay the original ones', async (t) => {
  const stored = deepFreeze({ metadata: { name: 'd', labels: { app: 'x' } }, spec: { replicas: 2, items: [{ n: 1 }, { n: 2 }] } });
  const patched = applyJsonPatch(stored, [
    { op: 'replace', path: '/spec/items/-1/n', value: 3 },
    { op: 'add', path: '/spec/extra', value: { a: 1 } },
    { op: 'add', path: '/spec/extra/b', value: 2 },
    { op: 'copy', from: '/spec/extra', path: '/spec/twin' },
    { op: 'add', path: '/spec/twin/c', value: 3 },
  ]) as typeof stored & { spec: Record<string, unknown> };
  t.same(patched.spec, { replicas: 2, items: [{ n: 1 }, { n: 3 }], extra: { a: 1, b: 2 }, twin: { a: 1, b: 2, c: 3 } });
  t.equal(patched.metadata, stored.metadata, 'a part no operation touches is the original itself');
  t.equal(patched.spec.items[0], stored.spec.items[0]);
  t.same(stored.spec, { replicas: 2, items: [{ n: 1 }, { n: 2 }] }, 'the frozen original is unchanged');
});

// gopkg.in/evanphx/json-patch.v4 v4.12.0 (patch.go), which kube-apiserver 1.32 applies JSON patches with.
t.test("evanphx/json-patch v4's semantics where they differ from RFC 6902", async (t) => {
  const doc = { metadata: { name: 'd' }, spec: { replicas: 2, items: ['a', 'b', 'c'] } };
  const apply = (patch: unknown[]) => applyJsonPatch(doc, patch) as typeof doc & Record<string, any>;
  t.same(apply([{ op: 'replace', path: '/spec/missing', value: 1 }]).spec.missing, 1, 'replace of a missing object key adds it');
  t.same(apply([{ op: 'remove', path: '/spec/items/-1' }]).spec.items, ['a', 'b'], 'negative index counts from the end');
  t.same(apply([{ op: 'add', path: '/spec/items/-1', value: 'x' }]).spec.items, ['a', 'b', 'c', 'x'], 'add counts -1 from length + 1');
  t.same(apply([{ op: 'add', path: '/spec/items/-4', value: 'x' }]).spec.items, ['x', 'a', 'b', 'c']);
  t.same(apply([{ op: 'replace', path: '/spec/items/-3', value: 'z' }]).spec.items, ['z', 'b', 'c']);
  t.same(apply([{ op: 'add', path: '/spec/items/3', value: 'd' }]).spec.items, ['a', 'b', 'c', 'd'], 'add at the length appends');
  t.same(apply([{ op: 'add', path: '/spec/extra' }]).spec.extra, null, 'add without a value adds null');
  t.same(apply([{ op: 'copy', from: '/spec/nothere', path: '/spec/copied' }]).spec.copied, null, 'copy of a missing key copies null');
  t.same(apply([{ op: 'test', path: '/spec/nothere', value: null }]), doc, 'test of a missing key against null passes');
  t.same(
    apply([{ op: 'add', path: 'spec/extra', value: 1 }]).extra,
    1,
    'findObject drops the first segment of a path without a leading slash',
  );
  t.same(apply([{ op: 'move', from: '/spec/items/0', path: '/spec/items/-' }]).spec.items, ['b', 'c', 'a']);
  t.same(apply([{ op: 'test', path: '/spec', value: { items: ['a', 'b', 'c'], replicas: 2 } }]), doc, 'objects compare member by member');
  const proto = apply([{ op: 'add', path: '/__proto__', value: { polluted: true } }]);
  t.equal(Object.getPrototypeOf(proto), Object.prototype, '__proto__ is an ordinary key');
  t.equal(({} as Record<string, unknown>).polluted, undefined);
  t.same(doc.spec.items, ['a', 'b', 'c'], 'original untouched');
});

t.test('operations that cannot apply are the generic 422', async (t) => {
  const failing = [
    [{ op: 'test', path: '/spec/replicas', value: 3 }],
    [{ op: 'replace', path: '/spec/items/2', value: 'c' }],
    [{ op: 'replace', path: '/spec/nothere/x', value: 1 }],
    [{ op: 'remove', path: '/metadata/annotations' }],
    [{ op: 'remove', path: '/spec/items/-3' }],
    [{ op: 'add', path: '/spec/items/3', value: 'x' }],
    [{ op: 'add', path: '/spec/items/x', value: 'x' }],
    [{ op: 'move', from: '/spec/nothere', path: '/spec/x' }],
    [{ op: 'test', path: '/spec/nothere', value: 1 }],
    [{ op: 'test', path: '/spec/replicas', value: '2' }],
    [{ op: 'add', value: 1 }],
    [{ op: 'add', path: 'extra', value: 1 }],
    [{ op: 'replace', path: '', value: 'scalar' }],
    [{ op: 'add', path: '/status/phase', value: 'x' }],
    [{ op: 'frobnicate', path: '/spec' }],
  ];
  for (const patch of failing) {
    t.throws(
      () => applyJsonPatch(deployment, patch),
      isStatus(422, 'Invalid', 'the server rejected our request due to an error in our request'),
      JSON.stringify(patch),
    );
  }
});

t.test('a body that is not a list of operations is a 400', async (t) => {
  t.throws(
    () => applyJsonPatch(deployment, { op: 'add' }),
    isStatus(400, 'BadRequest', 'json: cannot unmarshal object into Go value of type jsonpatch.Patch'),
  );
  t.throws(
    () => applyJsonPatch(deployment, ['x']),
    isStatus(400, 'BadRequest', 'json: cannot unmarshal string into Go value of type jsonpatch.Operation'),
  );
  t.same(applyJsonPatch(deployment, null), deployment, 'null decodes to no operations');
});

t.test('applyPatch dispatches by type', async (t) => {
  const viaJson = applyPatch('json', deployment, [{ op: 'replace', path: '/spec/replicas', value: 7 }]);
  t.equal((viaJson.spec as { replicas: number }).replicas, 7);
  t.equal((applyPatch('merge', deployment, { spec: { replicas: 9 } }).spec as { replicas: number }).replicas, 9);
  t.same(
    (applyPatch('strategic', deployment, { spec: { items: ['z'] } }).spec as { items: string[] }).items,
    ['z'],
    'no schema: lists are replaced',
  );
});
