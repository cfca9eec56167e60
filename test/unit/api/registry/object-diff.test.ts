import t from 'tap';
import { dropNulls } from '../../../../src/api/registry/object-diff.js';

const deepFreeze = <T>(value: T): T => {
  if (typeof value === 'object' && value !== null) {
    for (const field of Object.values(value)) deepFreeze(field);
    Object.freeze(value);
  }
  return value;
};

t.test('dropNulls keeps a frozen null-free subtree as it is, every time, and copies one that holds a null', async (t) => {
  const labels = deepFreeze({ app: 'a' });
  const spec = deepFreeze({ template: { metadata: { labels } }, replicas: 1 });
  for (let round = 0; round < 2; round++) {
    const out = dropNulls({ spec, status: { ready: null, count: 2 } });
    t.equal(out.spec, spec, `round ${round}: the frozen null-free spec is shared`);
    t.same(out.status, { count: 2 }, `round ${round}: the null is dropped`);
  }
  const leafWithNull = deepFreeze({ a: 'x', b: null });
  const parent = deepFreeze({ leaf: leafWithNull, other: labels });
  for (let round = 0; round < 2; round++) {
    const out = dropNulls(parent);
    t.not(out, parent, `round ${round}: a frozen tree with a null inside is copied`);
    t.same(out, { leaf: { a: 'x' }, other: { app: 'a' } });
    t.equal(out.other, labels, `round ${round}: its null-free leaves are still shared`);
  }
});
