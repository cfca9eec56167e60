import t from 'tap';
import { deepFreeze } from '../../../../src/runtime/deep-freeze.js';
import { dropNulls, keepUnchanged } from '../../../../src/api/registry/object-diff.js';

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

t.test("keepUnchanged takes the old version's own subtrees wherever the new one equals it, and leaves both alone", async (t) => {
  const old = deepFreeze({
    metadata: { name: 'a', labels: { app: 'a' } },
    spec: { containers: [{ name: 'c', ports: [{ containerPort: 80 }] }], volumes: [{ name: 'v' }] },
    status: { phase: 'Pending', conditions: [{ type: 'Ready', status: 'False' }] },
  });
  const next = JSON.parse(JSON.stringify(old));
  next.status.phase = 'Running';
  next.spec.volumes.push({ name: 'w' });
  const kept = keepUnchanged(next, old);
  t.same(kept, next, 'the same JSON as the new version');
  t.equal(kept.metadata, old.metadata, 'an equal subtree is the old one');
  t.equal(kept.spec.containers, old.spec.containers);
  t.equal(kept.spec.volumes[0], old.spec.volumes[0], 'inside a changed list too');
  t.equal(kept.status.conditions, old.status.conditions, 'and beside a changed field');
  t.not(next.metadata, old.metadata, 'the new version itself is not rewritten');
  t.equal(keepUnchanged(JSON.parse(JSON.stringify(old)), old), old, 'an equal version is the old one itself');
  const reordered = { status: old.status, spec: old.spec, metadata: old.metadata };
  t.not(keepUnchanged(reordered, old), old, 'fields in another order are not the same JSON');
  const withProto = JSON.parse('{"spec":{"__proto__":{"x":1},"a":{"b":1}}}');
  const keptProto = keepUnchanged(withProto, deepFreeze({ spec: { a: { b: 1 } } }));
  t.ok(Object.hasOwn(keptProto.spec, '__proto__'), 'a "__proto__" field stays a field');
});
