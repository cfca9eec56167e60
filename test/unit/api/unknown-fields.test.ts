import t from 'tap';
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
