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

t.test('operations that cannot apply are the generic 422', async (t) => {
  const failing = [
    [{ op: 'test', path: '/spec/replicas', value: 3 }],
    [{ op: 'replace', path: '/spec/missing', value: 1 }],
    [{ op: 'remove', path: '/metadata/annotations' }],
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
