import t from 'tap';
import { deepFreeze } from '../../../../src/runtime/deep-freeze.js';
import { dropNulls } from '../../../../src/api/registry/object-diff.js';

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

t.test('dropNulls answers the same for large frozen subtrees (remembered) as for small ones (checked again)', async (t) => {
  const container = (name: string) => ({ name, resources: { requests: { cpu: '100m' } }, ports: [{ containerPort: 80 }] });
  const spec = deepFreeze({ containers: [container('a'), container('b'), container('c')], volumes: [{ name: 'v', emptyDir: {} }] });
  const withNull = deepFreeze({ containers: [container('a'), container('b'), { ...container('c'), ports: [{ hostIP: null }] }] });
  for (let round = 0; round < 3; round++) {
    const out = dropNulls({ spec, other: withNull, status: null });
    t.equal(out.spec, spec, `round ${round}: the large null-free subtree is shared`);
    t.equal(out.spec.containers[0], spec.containers[0], `round ${round}: and so are its parts`);
    t.not(out.other, withNull, `round ${round}: a large subtree with a null deep inside is copied`);
    t.same(out.other.containers[2].ports, [{}], `round ${round}: without its null`);
    t.equal(out.other.containers[0], withNull.containers[0], `round ${round}: its null-free parts are shared`);
    t.notOk('status' in out, `round ${round}: a null field is dropped`);
  }
});
