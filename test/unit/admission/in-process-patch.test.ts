import t from 'tap';
import { AdmissionChain, type AdmissionAttributes, type MutatingPlugin, type ValidatingPlugin } from '../../../src/admission/chain.js';
import { asJson, sameJson } from '../../../src/admission/webhooks/in-process-patch.js';
import { builtinResourceTypes } from '../../../src/api/builtin-types.js';
import { generateUid } from '../../../src/api/registry/names.js';
import type { KubeObject } from '../../../src/api/types.js';
import { adminUser } from '../../../src/auth/user.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';

// Values whose JSON text differs from a plain copy: what asJson and sameJson must answer as the text does.
const values: unknown[] = [
  null,
  true,
  0,
  -0,
  1.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  'text',
  [],
  {},
  [1, undefined, () => 1, Symbol('s'), null, Number.NaN],
  { a: 1, b: undefined, c: () => 1, d: Symbol('s'), e: null },
  { b: 1, a: 2 },
  { a: 2, b: 1 },
  { a: 2, b: 1, c: undefined },
  { nested: { list: [{ x: undefined, y: [undefined] }], when: new Date(Date.UTC(2026, 0, 1)) } },
  { nested: { list: [{ y: [null] }], when: '2026-01-01T00:00:00.000Z' } },
  JSON.parse('{"__proto__": {"polluted": true}, "a": 1}'),
  { toJSON: () => ({ replaced: true }) },
  { replaced: true },
  new Map([['a', 1]]),
];

t.test('asJson gives back what a JSON round trip gives', async (t) => {
  for (const value of values) {
    const text = JSON.stringify(value);
    const copy = asJson(value);
    t.equal(JSON.stringify(copy), text, `${text}`);
    if (text !== undefined) t.strictSame(copy, JSON.parse(text), `${text} as parsed`);
  }
  t.equal(asJson(undefined), undefined);
  const proto = asJson(JSON.parse('{"__proto__": {"polluted": true}}')) as Record<string, unknown>;
  t.ok(Object.hasOwn(proto, '__proto__'), '"__proto__" stays an own member');
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'nothing reached Object.prototype');
});

t.test('sameJson answers as comparing the JSON texts does', async (t) => {
  for (const a of values)
    for (const b of values)
      t.equal(sameJson(a, b), JSON.stringify(a) === JSON.stringify(b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  t.ok(
    sameJson(undefined, () => 1),
    'both write nothing',
  );
  t.notOk(sameJson(undefined, null));
});

t.test('the chain calls only the plugins that handle the request, with the same outcome', async (t) => {
  const configMaps = builtinResourceTypes().find((x) => x.plural === 'configmaps' && x.group === '')!;
  const attributes: AdmissionAttributes = {
    operation: 'CREATE',
    type: configMaps,
    namespace: 'default',
    name: 'cm',
    object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'default' } },
    dryRun: false,
    user: adminUser,
    warnings: [],
  };
  const called: string[] = [];
  const labelling = (name: string, handles?: boolean): MutatingPlugin => ({
    name,
    ...(handles === undefined ? {} : { handles: () => handles }),
    mutate: ({ object }) => {
      called.push(name);
      return { ...object, metadata: { ...object!.metadata, labels: { ...object!.metadata.labels, [name]: 'yes' } } } as KubeObject;
    },
  });
  const refusing = (name: string, handles: boolean): ValidatingPlugin => ({
    name,
    handles: () => handles,
    validate: async () => {
      called.push(name);
      throw new Error(`${name} refuses`);
    },
  });
  const chain = new AdmissionChain();
  chain.addMutating(labelling('always'));
  chain.addMutating(labelling('skipped', false));
  chain.addMutating(labelling('asked', true));
  chain.addValidating(refusing('not-concerned', false));
  const mutated = await chain.mutate(attributes);
  t.same(mutated?.metadata.labels, { always: 'yes', asked: 'yes' });
  await chain.validate({ ...attributes, object: mutated });
  t.same(called, ['always', 'asked']);
  chain.addValidating(refusing('concerned', true));
  await t.rejects(chain.validate({ ...attributes, object: mutated }), { message: 'concerned refuses' });
});

t.test('uids: the same 32 draws and the same uids as before', async (t) => {
  const random = new SeededRandom(42);
  t.same(
    [generateUid(random), generateUid(random), generateUid(random)],
    ['97da2849-d73e-4438-a907-d090402c802d', '7c570089-3a34-4d83-841a-abe1f6f21057', '9e1be4b2-8d1f-4e69-995b-47dbfe6841b5'],
  );
  t.equal(random.next(), 0.7859425814822316, 'the source moved on by 32 draws per uid');
});
