import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdmissionChain, type AdmissionAttributes } from '../../../src/admission/chain.js';
import { jsonPatchResponse } from '../../../src/admission/webhooks/in-process-patch.js';
import { WebhookBackends, registerWebhookAdmission, type AdmissionReview, type Webhook } from '../../../src/admission/webhooks/index.js';
import { builtinResourceTypes } from '../../../src/api/builtin-types.js';
import { StatusError } from '../../../src/api/errors.js';
import type { Operation } from '../../../src/api/patch/json-patch.js';
import type { KubeObject, ResourceType } from '../../../src/api/types.js';
import { adminUser } from '../../../src/auth/user.js';
import { startEmulator } from '../../../src/emulator.js';
import type { VirtualClock } from '../../../src/runtime/clock.js';
import { SharedInformerFactory } from '../../../src/runtime/informer.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';

const types = builtinResourceTypes();
const typeOf = (plural: string): ResourceType => types.find((x) => x.plural === plural && x.group === '')!;
const configMaps = typeOf('configmaps');
const pods = typeOf('pods');

const dir = await mkdtemp(join(tmpdir(), 'webhooks-'));
const emulator = await startEmulator({ port: 0, insecureHttp: true, kubeconfigPath: join(dir, 'kubeconfig'), clock: 'virtual' });
const informers = new SharedInformerFactory(emulator.client, { clock: emulator.clock });
const backends = new WebhookBackends();
const chain = new AdmissionChain();
const logged: string[] = [];
const logger = { info: () => {}, error: (message: string, err?: unknown) => logged.push(`${message}: ${(err as Error).message}`) };
registerWebhookAdmission(chain, {
  informers,
  client: emulator.client,
  backends,
  clock: emulator.clock,
  random: new SeededRandom(7),
  resourceTypes: () => types,
  logger,
});
informers.start();
t.teardown(async () => {
  informers.stop();
  await emulator.stop();
  await rm(dir, { recursive: true, force: true });
});

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
};

await emulator.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'hooks' } });
await emulator.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'labelled', labels: { team: 'a' } } });
const service = await emulator.client.create<KubeObject>({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'fake', namespace: 'hooks' },
  spec: { selector: { app: 'fake' }, ports: [{ port: 443, targetPort: 8443 }] },
});
const clusterIP = (service.spec as { clusterIP: string }).clusterIP;

let available = true;
const reviews: AdmissionReview[] = [];
type Answer = (review: AdmissionReview) => Record<string, unknown>;
let answer: Answer = () => ({});
backends.addService('hooks/fake', () => available);
for (const path of ['/mutate', '/validate']) {
  backends.handle('hooks/fake', path, async (review) => {
    reviews.push(review);
    return { uid: review.request!.uid, allowed: true, ...answer(review) };
  });
  // The same server answering at once, as virt-api's in-process admitters do.
  backends.handle('hooks/fake', `${path}-now`, (review) => {
    reviews.push(review);
    return { uid: review.request!.uid, allowed: true, ...answer(review) };
  });
}

const hook = (name: string, path: string, extra: Partial<Webhook> = {}): Webhook => ({
  name,
  clientConfig: { service: { namespace: 'hooks', name: 'fake', path } },
  rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }],
  sideEffects: 'None',
  admissionReviewVersions: ['v1'],
  ...extra,
});

async function configure(kind: 'MutatingWebhookConfiguration' | 'ValidatingWebhookConfiguration', webhooks: Webhook[]): Promise<void> {
  const ref = { apiVersion: 'admissionregistration.k8s.io/v1', kind };
  await emulator.client.delete(ref, undefined, 'test').catch(() => undefined);
  await emulator.client.create({ ...ref, metadata: { name: 'test' }, webhooks });
  await settle();
}

const attributes = (overrides: Partial<AdmissionAttributes> = {}): AdmissionAttributes => ({
  operation: 'CREATE',
  type: configMaps,
  namespace: 'default',
  name: 'cm',
  object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'default', labels: { tier: 'x' } }, data: { a: '1' } },
  dryRun: false,
  user: adminUser,
  warnings: [],
  ...overrides,
});

t.beforeEach(() => {
  reviews.length = 0;
  available = true;
  answer = () => ({});
});

t.test('a mutating webhook gets an AdmissionReview v1 and its JSONPatch and warnings apply', async (t) => {
  await configure('MutatingWebhookConfiguration', [hook('add.example.com', '/mutate')]);
  answer = () => ({
    patch: Buffer.from(JSON.stringify([{ op: 'add', path: '/data/b', value: '2' }])).toString('base64'),
    patchType: 'JSONPatch',
    warnings: ['be careful'],
  });
  const attrs = attributes();
  const mutated = await chain.mutate(attrs);
  t.same(mutated?.data, { a: '1', b: '2' });
  t.same(attrs.warnings, ['be careful']);
  const request = reviews[0].request!;
  t.equal(reviews[0].apiVersion, 'admission.k8s.io/v1');
  t.match(request, {
    kind: { group: '', version: 'v1', kind: 'ConfigMap' },
    resource: { group: '', version: 'v1', resource: 'configmaps' },
    requestKind: { group: '', version: 'v1', kind: 'ConfigMap' },
    namespace: 'default',
    name: 'cm',
    operation: 'CREATE',
    userInfo: { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] },
    dryRun: false,
    options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
  });
  t.match(request.uid, /^[0-9a-f-]{36}$/);
  t.equal(request.oldObject, null);
});

// dispatcher.go applies the patch with evanphx/json-patch, the engine of the API's own JSON patches: `replace` of a
// missing key adds it (RFC 6902 refuses), and a patch that does not apply is an InternalError with evanphx's words.
t.test('a webhook patch is applied as evanphx/json-patch applies it; one that does not apply is an InternalError', async (t) => {
  await configure('MutatingWebhookConfiguration', [hook('patch.example.com', '/mutate')]);
  const patchOf = (ops: object[]) => () => ({ patch: Buffer.from(JSON.stringify(ops)).toString('base64'), patchType: 'JSONPatch' });
  answer = patchOf([{ op: 'replace', path: '/metadata/labels/added', value: 'yes' }]);
  t.same((await chain.mutate(attributes()))?.metadata.labels, { tier: 'x', added: 'yes' });
  answer = patchOf([]);
  t.same(await chain.mutate(attributes()), attributes().object, 'an empty patch changes nothing');
  answer = patchOf([{ op: 'remove', path: '/data/missing' }]);
  const failed = (await chain.mutate(attributes()).catch((e: unknown) => e)) as StatusError;
  t.equal(failed.code, 500);
  t.equal(failed.message, 'Internal error occurred: Unable to remove nonexistent key: missing');
  answer = () => ({ patch: Buffer.from('{"op":"add"}').toString('base64'), patchType: 'JSONPatch' });
  const undecodable = (await chain.mutate(attributes()).catch((e: unknown) => e)) as StatusError;
  t.equal(undecodable.message, 'Internal error occurred: json: cannot unmarshal object into Go value of type jsonpatch.Patch');
});

t.test('rules decide: operations, resources and subresources, scope', async (t) => {
  await configure('ValidatingWebhookConfiguration', [
    hook('status.example.com', '/validate', {
      rules: [{ operations: ['UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods/status'] }],
    }),
    hook('cluster.example.com', '/validate', {
      rules: [{ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'], scope: 'Cluster' }],
    }),
  ]);
  const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' } };
  await chain.validate(attributes({ operation: 'UPDATE', type: pods, name: 'p', object: pod, oldObject: pod }));
  t.equal(reviews.length, 0, 'the main resource does not match pods/status, a namespaced object not Cluster scope');
  await chain.validate(attributes({ operation: 'UPDATE', type: pods, subresource: 'status', name: 'p', object: pod, oldObject: pod }));
  t.equal(reviews.length, 1);
  t.equal(reviews[0].request!.subResource, 'status');
  t.equal(reviews[0].request!.kind.kind, 'Pod');
  await chain.validate(attributes({ operation: 'CREATE', type: configMaps }));
  t.equal(reviews.length, 1, 'CREATE of configmaps matches neither');
});

t.test('object and namespace selectors', async (t) => {
  await configure('ValidatingWebhookConfiguration', [
    hook('objects.example.com', '/validate', { objectSelector: { matchLabels: { tier: 'y' } } }),
    hook('namespaces.example.com', '/validate', {
      namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'In', values: ['a'] }] },
    }),
  ]);
  await chain.validate(attributes());
  t.equal(reviews.length, 0);
  await chain.validate(
    attributes({
      namespace: 'labelled',
      object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'labelled', labels: { tier: 'y' } } },
    }),
  );
  t.equal(reviews.length, 2);
});

t.test('an unavailable backend fails as a refused connection; failurePolicy Ignore lets the request through', async (t) => {
  available = false;
  await configure('ValidatingWebhookConfiguration', [hook('down.example.com', '/validate', { timeoutSeconds: 5 })]);
  const err = await chain.validate(attributes()).catch((e: unknown) => e);
  t.ok(err instanceof StatusError);
  t.equal((err as StatusError).code, 500);
  t.equal((err as StatusError).reason, 'InternalError');
  t.equal(
    (err as StatusError).message,
    `Internal error occurred: failed calling webhook "down.example.com": failed to call webhook: Post "https://fake.hooks.svc:443/validate?timeout=5s": dial tcp ${clusterIP}:443: connect: connection refused`,
  );
  await configure('ValidatingWebhookConfiguration', [hook('down.example.com', '/validate', { failurePolicy: 'Ignore' })]);
  await chain.validate(attributes());
  t.equal(reviews.length, 0);
});

t.test('a handler that throws is logged and fails the call as a server error; the next call is served', async (t) => {
  const failure = '(review.request.object.metadata.ownerReferences ?? []).map is not a function';
  backends.handle('hooks/fake', '/crash', () => {
    throw new TypeError(failure);
  });
  await configure('ValidatingWebhookConfiguration', [hook('crash.example.com', '/crash')]);
  const err = (await chain.validate(attributes()).catch((e: unknown) => e)) as StatusError;
  t.equal(err.code, 500);
  t.match(err.message, 'failed calling webhook "crash.example.com": failed to call webhook: an error on the server ("(review.request');
  t.same(logged, [`webhook "crash.example.com" handler failed: ${failure}`]);
  await configure('ValidatingWebhookConfiguration', [hook('fine.example.com', '/validate')]);
  await chain.validate(attributes());
  t.equal(reviews.length, 1);
});

t.test('a Service that does not exist, and a path nobody serves', async (t) => {
  await configure('ValidatingWebhookConfiguration', [
    hook('missing.example.com', '/validate', { clientConfig: { service: { namespace: 'hooks', name: 'nope', path: '/x' } } }),
  ]);
  const missing = (await chain.validate(attributes()).catch((e: unknown) => e)) as StatusError;
  t.equal(
    missing.message,
    'Internal error occurred: failed calling webhook "missing.example.com": failed to call webhook: Post "https://nope.hooks.svc:443/x?timeout=10s": service "nope" not found',
  );
  await configure('ValidatingWebhookConfiguration', [hook('nopath.example.com', '/elsewhere')]);
  const noPath = (await chain.validate(attributes()).catch((e: unknown) => e)) as StatusError;
  t.equal(
    noPath.message,
    'Internal error occurred: failed calling webhook "nopath.example.com": failed to call webhook: the server could not find the requested resource',
  );
});

t.test('a denial carries the webhook name and its status code (400 by default)', async (t) => {
  await configure('ValidatingWebhookConfiguration', [hook('deny.example.com', '/validate')]);
  answer = () => ({ allowed: false, status: { code: 422, reason: 'Invalid', message: 'spec is wrong' } });
  const err = (await chain.validate(attributes()).catch((e: unknown) => e)) as StatusError;
  t.equal(err.code, 422);
  t.equal(err.message, 'admission webhook "deny.example.com" denied the request: spec is wrong');
  answer = () => ({ allowed: false });
  const bare = (await chain.validate(attributes()).catch((e: unknown) => e)) as StatusError;
  t.equal(bare.code, 400);
  t.equal(bare.message, 'admission webhook "deny.example.com" denied the request without explanation');
});

t.test('dry run: webhooks with side effects refuse, others see dryRun', async (t) => {
  await configure('ValidatingWebhookConfiguration', [hook('effects.example.com', '/validate', { sideEffects: 'Some' })]);
  const err = (await chain.validate(attributes({ dryRun: true })).catch((e: unknown) => e)) as StatusError;
  t.equal(err.code, 400);
  t.equal(err.message, 'admission webhook "effects.example.com" does not support dry run');
  await configure('ValidatingWebhookConfiguration', [hook('pure.example.com', '/validate')]);
  await chain.validate(attributes({ dryRun: true }));
  t.equal(reviews[0].request!.dryRun, true);
  t.same(reviews[0].request!.options, { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions', dryRun: ['All'] });
});

t.test('a validating webhook may not patch, and the response uid must match', async (t) => {
  await configure('ValidatingWebhookConfiguration', [hook('bad.example.com', '/validate')]);
  answer = () => ({ patch: 'W10=', patchType: 'JSONPatch' });
  const patched = (await chain.validate(attributes()).catch((e: unknown) => e)) as StatusError;
  t.equal(
    patched.message,
    'Internal error occurred: failed calling webhook "bad.example.com": received invalid webhook response: validating webhook may not return response.patch',
  );
  answer = () => ({ uid: 'other' });
  const uid = (await chain.validate(attributes()).catch((e: unknown) => e)) as StatusError;
  t.match(uid.message, /received invalid webhook response: expected response.uid="[0-9a-f-]+", got "other"/);
});

t.test('webhook configurations themselves are exempt', async (t) => {
  await configure('ValidatingWebhookConfiguration', [
    hook('all.example.com', '/validate', { rules: [{ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'] }] }),
  ]);
  const webhookType = types.find((x) => x.plural === 'validatingwebhookconfigurations')!;
  await chain.validate(
    attributes({
      type: webhookType,
      namespace: undefined,
      object: { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'x' } },
    }),
  );
  t.equal(reviews.length, 0);
  await chain.validate(attributes());
  t.equal(reviews.length, 1);
});

t.test('matchPolicy Equivalent calls a webhook for another version of the same resource', async (t) => {
  const v1alpha1: ResourceType = { ...configMaps, version: 'v1alpha1' };
  const equivalentTypes = [configMaps, v1alpha1];
  const localChain = new AdmissionChain();
  registerWebhookAdmission(localChain, {
    informers,
    client: emulator.client,
    backends,
    clock: emulator.clock,
    random: new SeededRandom(3),
    resourceTypes: () => equivalentTypes,
  });
  await configure('ValidatingWebhookConfiguration', [
    hook('equivalent.example.com', '/validate', {
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }],
    }),
  ]);
  await localChain.validate(attributes({ type: v1alpha1 }));
  t.equal(reviews.length, 1);
  t.equal(reviews[0].request!.kind.version, 'v1');
  t.equal(reviews[0].request!.requestKind!.version, 'v1alpha1');
  t.equal(reviews[0].request!.object!.apiVersion, 'v1');
  await configure('ValidatingWebhookConfiguration', [hook('exact.example.com', '/validate', { matchPolicy: 'Exact' })]);
  await localChain.validate(attributes({ type: v1alpha1 }));
  t.equal(reviews.length, 1, 'Exact does not match the other version');
});

/** What a chain call came to: the object (or the error's code and message), and the warnings. */
async function outcomeOf(call: (attrs: AdmissionAttributes) => Promise<unknown>): Promise<unknown> {
  const attrs = attributes();
  const result = await call(attrs).then(
    (value) => ({ value }),
    (err: StatusError) => ({ code: err.code, message: err.message }),
  );
  return { result, warnings: attrs.warnings };
}

t.test('a server that answers at once gets the same patch, warnings, denials and errors as one that answers later', async (t) => {
  const answers: Array<[string, Answer]> = [
    ['nothing', () => ({})],
    [
      'a patch and warnings',
      () => ({
        patch: Buffer.from(JSON.stringify([{ op: 'add', path: '/data/b', value: '2' }])).toString('base64'),
        patchType: 'JSONPatch',
        warnings: ['be careful'],
      }),
    ],
    ['a denial', () => ({ allowed: false, status: { code: 403, reason: 'Forbidden', message: 'no' }, warnings: ['denied'] })],
    [
      'a patch that does not apply',
      () => ({ patch: Buffer.from('[{"op":"remove","path":"/nope"}]').toString('base64'), patchType: 'JSONPatch' }),
    ],
    ['a wrong uid', () => ({ uid: 'other' })],
  ];
  for (const [what, given] of answers) {
    answer = given;
    const outcomes = [];
    for (const path of ['/mutate', '/mutate-now']) {
      await configure('MutatingWebhookConfiguration', [hook('same.example.com', path)]);
      const mutated = await outcomeOf((attrs) => chain.mutate(attrs));
      await configure('MutatingWebhookConfiguration', []);
      await configure('ValidatingWebhookConfiguration', [hook('same.example.com', path.replace('mutate', 'validate'))]);
      const validated = await outcomeOf((attrs) => chain.validate(attrs));
      await configure('ValidatingWebhookConfiguration', []);
      outcomes.push({ mutated, validated });
    }
    // The uid of each call differs; the message that quotes it is compared without it.
    const withoutUids = JSON.parse(JSON.stringify(outcomes).replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<uid>'));
    t.same(withoutUids[1], withoutUids[0], what);
  }
  t.equal(reviews.length, 2 * 2 * answers.length, 'every call reached its server');
});

t.test('an answer at once sets no timer; one that never comes still times out by timeoutSeconds', async (t) => {
  const clock = emulator.clock as VirtualClock;
  let timersSet = 0;
  const setTimeout = clock.setTimeout.bind(clock);
  clock.setTimeout = (fn, ms) => {
    timersSet++;
    return setTimeout(fn, ms);
  };
  t.teardown(() => {
    clock.setTimeout = setTimeout;
  });
  await configure('ValidatingWebhookConfiguration', [hook('now.example.com', '/validate-now', { timeoutSeconds: 3 })]);
  timersSet = 0;
  await chain.validate(attributes());
  t.equal(timersSet, 0, 'no deadline for an answer given at once');
  backends.handle('hooks/fake', '/never', () => new Promise(() => {}));
  await configure('ValidatingWebhookConfiguration', [hook('never.example.com', '/never', { timeoutSeconds: 3 })]);
  timersSet = 0;
  const pending = chain.validate(attributes()).catch((e: unknown) => e);
  await settle();
  t.equal(timersSet, 1, 'a pending answer races the deadline');
  await clock.advance(3000);
  const err = (await pending) as StatusError;
  t.equal(
    err.message,
    'Internal error occurred: failed calling webhook "never.example.com": failed to call webhook: Post "https://fake.hooks.svc:443/never?timeout=3s": context deadline exceeded',
  );
  await configure('ValidatingWebhookConfiguration', []);
});

t.test('a patch handed over as operations gives what its base64 text gives', async (t) => {
  // Values as the JSON text carries them: an undefined member is left out, an undefined item is null.
  const operations = [
    { op: 'add', path: '/data/b', value: '2' },
    { op: 'add', path: '/metadata/annotations', value: { kept: 'yes', dropped: undefined } },
    { op: 'add', path: '/spec', value: { list: [1, undefined, 'x'], when: new Date(Date.UTC(2026, 0, 1)) } },
  ] as unknown as Operation[];
  const results = [];
  for (const asText of [true, false]) {
    backends.handle('hooks/fake', '/ops', (review) => {
      const allowed = { uid: review.request!.uid, allowed: true };
      if (!asText) return jsonPatchResponse(allowed, operations);
      return { ...allowed, patch: Buffer.from(JSON.stringify(operations)).toString('base64'), patchType: 'JSONPatch' };
    });
    await configure('MutatingWebhookConfiguration', [hook('ops.example.com', '/ops')]);
    results.push(await chain.mutate(attributes()));
  }
  await configure('MutatingWebhookConfiguration', []);
  t.equal(JSON.stringify(results[1]), JSON.stringify(results[0]));
  t.notOk('dropped' in (results[1]!.metadata.annotations ?? {}), 'no member JSON would not carry');
  t.same((results[1] as KubeObject & { spec: unknown }).spec, { list: [1, null, 'x'], when: '2026-01-01T00:00:00.000Z' });
  const response = jsonPatchResponse({ uid: 'u', allowed: true }, operations);
  t.equal(response.patch, Buffer.from(JSON.stringify(operations)).toString('base64'), 'its text, when read, is the JSON of the operations');
  t.equal(response.patchType, 'JSONPatch');
});
