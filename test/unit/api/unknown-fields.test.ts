import t from 'tap';
import { deepFreeze } from '../../../src/runtime/deep-freeze.js';
import { DefaultSchemaCatalog } from '../../../src/api/schema-catalog.js';
import { builtinResourceTypes } from '../../../src/api/builtin-types.js';
import type { KubeObject } from '../../../src/api/types.js';

const podType = builtinResourceTypes().find((type) => type.group === '' && type.kind === 'Pod')!;
const prune = (obj: KubeObject) => new DefaultSchemaCatalog(() => undefined).schemaFor(podType).prune(obj);

const pod = (): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', labels: { any: 'label' } },
  spec: { containers: [{ name: 'c', image: 'busybox', env: [{ name: 'A', value: '1' }] }] },
});

t.test('a pod without unknown fields comes back as the very same object', async (t) => {
  const input = Object.freeze(pod());
  const { object, unknownFields } = prune(input);
  t.equal(object, input);
  t.same(unknownFields, []);
});

t.test('unknown fields are listed with their paths (list items by index) and dropped; the rest is kept in order', async (t) => {
  const input = pod();
  (input.spec as Record<string, unknown>).bogus = 1;
  const containers = (input.spec as { containers: Record<string, unknown>[] }).containers;
  containers.push({ name: 'd', image: 'x', imagePullPolicy: 'Always', colour: 'red' });
  (containers[0].env as Record<string, unknown>[])[0].extra = true;
  (input as Record<string, unknown>).topLevel = 'x';
  const before = JSON.stringify(input);
  const { object, unknownFields } = prune(input);
  t.same(unknownFields, ['spec.containers[0].env[0].extra', 'spec.containers[1].colour', 'spec.bogus', 'topLevel']);
  t.same(object, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', labels: { any: 'label' } },
    spec: {
      containers: [
        { name: 'c', image: 'busybox', env: [{ name: 'A', value: '1' }] },
        { name: 'd', image: 'x', imagePullPolicy: 'Always' },
      ],
    },
  });
  t.same(Object.keys((object.spec as { containers: object[] }).containers[1]), ['name', 'image', 'imagePullPolicy']);
  t.equal(JSON.stringify(input), before, 'the input is left as it was');
  t.equal(object.metadata, input.metadata, 'unchanged subtrees are shared, not copied');
});

/** A container large enough (30 env vars) for its walk to be remembered. */
const bigContainer = (name: string) => ({
  name,
  image: 'x',
  env: Array.from({ length: 30 }, (_, i) => ({ name: `V${i}`, value: `${i}` })),
});

t.test('a frozen subtree found without unknown fields is not walked again, and every answer stays what a fresh copy gets', async (t) => {
  const stored = deepFreeze({ ...pod(), spec: { containers: [bigContainer('a'), bigContainer('b')] } });
  t.equal(prune(stored).object, stored);
  // A status write keeps the stored spec; the new status's unknown field is still found.
  const statusWrite = { ...stored, status: { phase: 'Running', colour: 'red' } } as KubeObject;
  const fresh = prune(structuredClone(statusWrite));
  const again = prune(statusWrite);
  t.same(again.unknownFields, ['status.colour']);
  t.same(again.unknownFields, fresh.unknownFields);
  t.same(again.object, fresh.object);
  t.equal(again.object.spec, stored.spec, 'the kept spec is shared');
  // A frozen subtree with an unknown field is reported however often it comes back.
  const badSpec = deepFreeze({ containers: [{ ...bigContainer('c'), colour: 'red' }] });
  const withBadSpec = (): KubeObject => ({ ...pod(), spec: badSpec });
  t.same(prune(withBadSpec()).unknownFields, ['spec.containers[0].colour']);
  t.same(prune(withBadSpec()).unknownFields, ['spec.containers[0].colour']);
  // A value clean at one node is judged afresh at another: a container is no pod spec.
  const container = (stored.spec as { containers: object[] }).containers[0];
  t.same(prune({ ...pod(), spec: container } as KubeObject).unknownFields, ['spec.name', 'spec.image', 'spec.env']);
  // A value found clean while unfrozen and changed after is walked again by the write that stores (and freezes) it,
  // which forgets the answer: frozen, it is still reported.
  const spec = { containers: [bigContainer('d')] };
  t.same(prune({ ...pod(), spec } as KubeObject).unknownFields, []);
  (spec.containers[0] as Record<string, unknown>).colour = 'blue';
  t.same(prune({ ...pod(), spec } as KubeObject).unknownFields, ['spec.containers[0].colour']);
  t.same(prune({ ...pod(), spec: deepFreeze(spec) } as KubeObject).unknownFields, ['spec.containers[0].colour']);
});
