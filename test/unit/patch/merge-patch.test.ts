import t from 'tap';
import { applyMergePatch } from '../../../src/api/patch/index.js';
import { StatusError } from '../../../src/api/errors.js';
import { deepFreeze } from './fixtures.js';

// RFC 7386 Appendix A. The RFC allows any JSON document as target and patch; the apiserver
// only patches objects, so the cases with a non-object target or patch are wrapped in a field.
const rfcExamples: [unknown, unknown, unknown][] = [
  [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
  [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
  [{ a: 'b' }, { a: null }, {}],
  [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
  [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
  [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
  [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
  [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
  [{ x: ['a', 'b'] }, { x: ['c', 'd'] }, { x: ['c', 'd'] }],
  [{ x: { a: 'b' } }, { x: ['c'] }, { x: ['c'] }],
  [{ x: { a: 'foo' } }, { x: null }, {}],
  [{ x: { a: 'foo' } }, { x: 'bar' }, { x: 'bar' }],
  [{ e: null }, { a: 1 }, { e: null, a: 1 }],
  [{ x: [1, 2] }, { x: { a: 'b', c: null } }, { x: { a: 'b' } }],
  [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
];

t.test('RFC 7386 examples', async (t) => {
  for (const [target, patch, expected] of rfcExamples) {
    t.same(applyMergePatch(deepFreeze(target) as never, deepFreeze(patch)), expected, JSON.stringify({ target, patch }));
  }
});

t.test('does not modify the original', async (t) => {
  const original = deepFreeze({ spec: { replicas: 2, template: { a: 1 } } });
  const patched = applyMergePatch(original, { spec: { replicas: 4 } });
  t.same(patched, { spec: { replicas: 4, template: { a: 1 } } });
  t.equal(original.spec.replicas, 2);
});

t.test('a patch that is not an object is a 400', async (t) => {
  for (const patch of [null, 'x', 3, ['a']]) {
    t.throws(() => applyMergePatch({}, patch), { constructor: StatusError, code: 400, message: 'Invalid JSON Patch' });
  }
});
