// Issue 11, items 1 and 2: what a client can get wrong answers as kube-apiserver answers it (code, reason,
// message), through raw HTTPS and the real kubectl, and nothing malformed is stored or takes the server down.
import t from 'tap';
import { withEmulator } from '../../helpers/cluster.js';
import { rawClient, type RawAnswer } from '../../helpers/raw-https.js';
import { widgetCrd } from '../../helpers/crds.js';

const cms = '/api/v1/namespaces/default/configmaps';
const configMap = (metadata: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata,
  ...extra,
});

function expectStatus(t: Tap.Test, answer: RawAnswer, code: number, reason: string, message: string | RegExp, what: string): void {
  t.equal(answer.status, code, `${what}: HTTP ${code}`);
  t.equal(answer.json.kind, 'Status', `${what}: a Status`);
  t.equal(answer.json.code, code, `${what}: code in the Status`);
  t.equal(answer.json.reason, reason, `${what}: reason "${reason}"`);
  if (typeof message === 'string') t.equal(answer.json.message, message, `${what}: message`);
  else t.match(answer.json.message, message, `${what}: message`);
}

const causesOf = (answer: RawAnswer) => (answer.json.details?.causes ?? []).map((c) => `${c.reason} ${c.field}`);

t.test('ObjectMeta and field types are validated before anything stores the object', async (t) => {
  const { emulator, kubeconfigPath, kubectl } = await withEmulator(t);
  const api = rawClient(emulator.url, kubeconfigPath);

  // A create's resourceVersion: kube's etcd3 store refuses one that parses as a non-zero uint64 (its own 500), and
  // clears any other.
  expectStatus(
    t,
    await api.send('POST', cms, { body: configMap({ name: 'versioned', resourceVersion: '5' }) }),
    500,
    'InternalError',
    'Internal error occurred: resourceVersion should not be set on objects to be created',
    'a numeric resourceVersion on create',
  );
  const unparsed = await api.send('POST', cms, { body: configMap({ name: 'versioned', resourceVersion: '__x' }) });
  t.equal(unparsed.status, 201, 'a resourceVersion that is not a number is cleared on create');
  t.match(unparsed.json.metadata.resourceVersion, /^[1-9]\d*$/, 'and the stored object gets its own');
  t.equal((await api.send('DELETE', `${cms}/versioned`)).status, 200);

  // The request that used to be stored and then kill the garbage collector.
  expectStatus(
    t,
    await api.send('POST', cms, { body: configMap({ name: 'owned', ownerReferences: 'x' }) }),
    400,
    'BadRequest',
    'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal string into Go struct field ObjectMeta.metadata.ownerReferences of type []v1.OwnerReference',
    'ownerReferences of the wrong type',
  );
  expectStatus(
    t,
    await api.send('POST', cms, { body: configMap({ name: 'owned', labels: { a: 1 } }) }),
    400,
    'BadRequest',
    'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string',
    'a label value of the wrong type',
  );
  expectStatus(
    t,
    await api.send('POST', cms, { body: configMap({ name: 'data' }, { data: { a: 1 } }) }),
    400,
    'BadRequest',
    'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string',
    'ConfigMap data values are strings',
  );
  expectStatus(
    t,
    await api.send('POST', '/api/v1/namespaces/default/secrets', {
      body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { a: '!!!' } },
    }),
    400,
    'BadRequest',
    'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 0',
    'Secret data is base64',
  );
  // stringData is write-only: merged into data over the same key (Convert_v1_Secret_To_core_Secret), never stored.
  const withStringData = await api.send('POST', '/api/v1/namespaces/default/secrets', {
    body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'merged' }, data: { a: 'b2xk', b: 'a2VwdA==' }, stringData: { a: 'new' } },
  });
  t.equal(withStringData.status, 201, 'a Secret with stringData is created');
  t.same(withStringData.json.data, { a: 'bmV3', b: 'a2VwdA==' }, 'stringData replaced data.a, base64-encoded; data.b kept');
  t.notOk('stringData' in withStringData.json, 'stringData is not returned');
  const stored = await kubectl(['get', 'secret', 'merged', '-o', 'jsonpath={.data.a} {.stringData}']);
  t.equal(stored.stdout.trim(), 'bmV3', 'nor stored');

  expectStatus(
    t,
    await api.send('POST', cms, { body: { apiVersion: 'v1', kind: 5, metadata: { name: 'k' } } }),
    400,
    'BadRequest',
    `the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse error: json: cannot unmarshal number into Go struct field .kind of type string ({"apiVersion":"v1","kind":5,"m ...)`,
    'kind of the wrong type',
  );

  // Names per resource: DNS-1123 subdomain, RFC 1123 label, RFC 1035 label, path segment.
  const namespace = await api.send('POST', '/api/v1/namespaces', {
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'my.ns' } },
  });
  expectStatus(
    t,
    namespace,
    422,
    'Invalid',
    /^Namespace "my\.ns" is invalid: metadata\.name: Invalid value: "my\.ns": a lowercase RFC 1123 label must consist of/,
    'namespace name',
  );
  const service = await api.send('POST', '/api/v1/namespaces/default/services', {
    body: { apiVersion: 'v1', kind: 'Service', metadata: { name: '1web' }, spec: { ports: [{ port: 80 }] } },
  });
  expectStatus(
    t,
    service,
    422,
    'Invalid',
    /^Service "1web" is invalid: metadata\.name: Invalid value: "1web": a DNS-1035 label must consist of/,
    'service name',
  );
  const role = await api.send('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
    body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'a%b' } },
  });
  expectStatus(
    t,
    role,
    422,
    'Invalid',
    `ClusterRole.rbac.authorization.k8s.io "a%b" is invalid: metadata.name: Invalid value: "a%b": may not contain '%'`,
    'RBAC name',
  );
  const generated = await api.send('POST', cms, { body: configMap({ generateName: 'Bad_' }) });
  expectStatus(
    t,
    generated,
    422,
    'Invalid',
    /is invalid: \[metadata\.generateName: Invalid value: "Bad_": a lowercase RFC 1123 subdomain/,
    'generateName',
  );
  t.same(causesOf(generated), ['FieldValueInvalid metadata.generateName', 'FieldValueInvalid metadata.name']);

  const labels = await api.send('POST', cms, { body: configMap({ name: 'labels', labels: { '-a': 'ok', b: 'v'.repeat(64) } }) });
  expectStatus(
    t,
    labels,
    422,
    'Invalid',
    /^ConfigMap "labels" is invalid: \[metadata\.labels: Invalid value: "-a": name part must consist of alphanumeric characters/,
    'label key',
  );
  t.match(labels.json.message, `metadata.labels: Invalid value: "${'v'.repeat(64)}": must be no more than 63 characters`, 'label value');
  const labelsViaKubectl = await kubectl(['create', '-f', '-'], {
    input: JSON.stringify(configMap({ name: 'labels', labels: { '-a': 'ok' } })),
  });
  t.match(
    labelsViaKubectl.stderr,
    `The ConfigMap "labels" is invalid: metadata.labels: Invalid value: "-a": name part must consist of alphanumeric characters`,
  );

  expectStatus(
    t,
    await api.send('POST', cms, { body: configMap({ name: 'annotated', annotations: { a: 'x'.repeat(256 * 1024) } }) }),
    422,
    'Invalid',
    'ConfigMap "annotated" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes',
    'annotations over 256 KiB',
  );
  expectStatus(
    t,
    await api.send('POST', cms, { body: configMap({ name: 'annotated', annotations: { 'a/b/c': 'x', ok: 'y' } }) }),
    422,
    'Invalid',
    /^ConfigMap "annotated" is invalid: metadata\.annotations: Invalid value: "a\/b\/c": a qualified name must consist of alphanumeric/,
    'annotation key not a qualified name',
  );
  expectStatus(
    t,
    await api.send('POST', cms, { body: configMap({ name: 'final', finalizers: ['a/b/c'] }) }),
    422,
    'Invalid',
    /^ConfigMap "final" is invalid: metadata\.finalizers: Invalid value: "a\/b\/c": a qualified name must consist of alphanumeric characters/,
    'finalizer not a qualified name',
  );
  const owners = await api.send('POST', cms, { body: configMap({ name: 'owners', ownerReferences: [{}] }) });
  expectStatus(
    t,
    owners,
    422,
    'Invalid',
    /^ConfigMap "owners" is invalid: \[metadata\.ownerReferences\.apiVersion: Invalid value: "": version must not be empty/,
    'owner reference fields',
  );
  t.same(
    causesOf(owners),
    ['apiVersion', 'kind', 'name', 'uid'].map((f) => `FieldValueInvalid metadata.ownerReferences.${f}`),
  );
  const controller = (kind: string, uid: string) => ({ apiVersion: 'v1', kind, name: 'x', uid, controller: true });
  expectStatus(
    t,
    await api.send('POST', cms, { body: configMap({ name: 'owners', ownerReferences: [controller('A', 'u1'), controller('B', 'u2')] }) }),
    422,
    'Invalid',
    /metadata\.ownerReferences: Invalid value: \[\]v1\.OwnerReference\{.*\}: Only one reference can have Controller set to true\. Found "true" in references for A\/x and B\/x$/,
    'two controllers',
  );

  expectStatus(
    t,
    await api.send('POST', `${cms}?fieldManager=${'m'.repeat(129)}`, { body: configMap({ name: 'managed' }) }),
    422,
    'Invalid',
    'CreateOptions.meta.k8s.io "" is invalid: fieldManager: Too long: may not be more than 128 bytes',
    'fieldManager over 128',
  );
  expectStatus(
    t,
    await api.send('POST', `${cms}?fieldValidation=Strict`, {
      body: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","name":"b"},"foo":1}',
    }),
    400,
    'BadRequest',
    'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: duplicate field "metadata.name", unknown field "foo"',
    'strict field validation',
  );

  // A patch whose result does not decode: 422 on "patch", as the patcher's DecodeInto failing.
  t.equal((await api.send('POST', cms, { body: configMap({ name: 'target' }) })).status, 201);
  const patched = await api.send('PATCH', `${cms}/target`, {
    body: { metadata: { ownerReferences: 'x' } },
    headers: { 'content-type': 'application/merge-patch+json' },
  });
  expectStatus(
    t,
    patched,
    422,
    'Invalid',
    /^ "" is invalid: patch: Invalid value: ".*": json: cannot unmarshal string into Go struct field ObjectMeta\.metadata\.ownerReferences of type \[\]v1\.OwnerReference$/,
    'patch to a bad type',
  );

  // Nothing malformed got in, and the garbage collector still runs: an owned object goes with its owner.
  const list = await api.send('GET', cms);
  t.same((list.json.items as { metadata: { name: string } }[]).map((i) => i.metadata.name).sort(), ['kube-root-ca.crt', 'target']);
  const owner = await api.send('POST', cms, { body: configMap({ name: 'owner' }) });
  const ownerUid = (owner.json.metadata as { uid: string }).uid;
  t.equal(
    (
      await api.send('POST', cms, {
        body: configMap({ name: 'dependent', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: ownerUid }] }),
      })
    ).status,
    201,
  );
  t.equal((await api.send('DELETE', `${cms}/owner`)).status, 200);
  const gone = await kubectl(['wait', '--for=delete', 'configmap/dependent', '--timeout=20s']);
  t.equal(gone.code, 0, 'the garbage collector removed the dependent');

  // Custom resources: the same ObjectMeta rules, metadata types as the unstructured converter reports them.
  const crd = widgetCrd;
  t.equal((await api.send('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: crd })).status, 201);
  t.equal((await kubectl(['wait', '--for=condition=Established', 'crd/widgets.example.com', '--timeout=20s'])).code, 0);
  const widgets = '/apis/example.com/v1/namespaces/default/widgets';
  const widget = (metadata: Record<string, unknown>) => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata });
  expectStatus(
    t,
    await api.send('POST', widgets, { body: widget({ name: 'w', ownerReferences: 'x' }) }),
    400,
    'BadRequest',
    'Widget in version "v1" cannot be handled as a Widget: cannot restore slice from string',
    'custom resource ownerReferences of the wrong type',
  );
  expectStatus(
    t,
    await api.send('POST', widgets, { body: widget({ name: 'w', finalizers: ['a/b/c'] }) }),
    422,
    'Invalid',
    /^Widget\.example\.com "w" is invalid: metadata\.finalizers: Invalid value: "a\/b\/c": a qualified name/,
    'custom resource finalizer',
  );
});

t.test('every error is a Status with the code kube-apiserver answers', async (t) => {
  const { emulator, kubeconfigPath, kubectl } = await withEmulator(t);
  const api = rawClient(emulator.url, kubeconfigPath);

  expectStatus(t, await api.send('GET', `${cms}/%zz`), 400, 'BadRequest', 'invalid URL escape in "%zz"', 'malformed %-escape');
  // kube-apiserver's http.Server takes 1 MiB of request line and headers (MaxHeaderBytes; Go reads 4096 bytes of slop
  // beyond it); past that, Go's net/http answers on its own, in plain text, and closes the connection.
  const bigHeader = await api.sendBytes(
    `GET /api/v1/namespaces/default HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: ${'b'.repeat(500_000)}\r\n\r\n`,
  );
  t.equal(bigHeader.status, 200, 'a 500 KB header is within the limit');
  const longName = 'a'.repeat(500_000);
  const bigUri = await api.sendBytes(`GET /api/v1/namespaces/${longName} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  expectStatus(t, bigUri, 404, 'NotFound', `namespaces "${longName}" not found`, 'a 500 KB URI is routed');
  const overLimit = 'b'.repeat(1024 * 1024 + 4096);
  for (const [what, request] of [
    ['header', `GET /api/v1/namespaces HTTP/1.1\r\nHost: x\r\nX-Big: ${overLimit}\r\n\r\n`],
    ['URI', `GET /api/v1/namespaces/${overLimit} HTTP/1.1\r\nHost: x\r\n\r\n`],
  ]) {
    const tooLarge = await api.sendBytes(request);
    t.equal(tooLarge.status, 431, `oversized ${what}: 431`);
    t.equal(tooLarge.contentType, 'text/plain; charset=utf-8', `oversized ${what}: Go's plain text`);
    t.equal(tooLarge.text, '431 Request Header Fields Too Large', `oversized ${what}: Go's body`);
  }
  const badMethod = await api.sendBytes('FOO /api/v1/namespaces HTTP/1.1\r\nHost: x\r\n\r\n');
  expectStatus(t, badMethod, 405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', 'unknown method');

  expectStatus(
    t,
    await api.send('GET', '/api/v1/namespaces/default/pods/x/nosuch'),
    404,
    'NotFound',
    'the server could not find the requested resource',
    'unknown subresource',
  );
  expectStatus(
    t,
    await api.send('PUT', cms, { body: configMap({ name: 'a' }) }),
    405,
    'MethodNotAllowed',
    'the server does not allow this method on the requested resource',
    'PUT on a collection',
  );
  expectStatus(
    t,
    await api.send('POST', `${cms}/a`, { body: configMap({ name: 'a' }) }),
    405,
    'MethodNotAllowed',
    'the server does not allow this method on the requested resource',
    'POST on an object',
  );

  expectStatus(
    t,
    await api.send('POST', cms, { body: '['.repeat(10_001) + ']'.repeat(10_001) }),
    400,
    'BadRequest',
    `the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse error: invalid character '[' exceeded max depth (${'['.repeat(30)} ...)`,
    'JSON nested too deep',
  );
  const deepPatch = await api.send('PATCH', `${cms}/x`, {
    body: '{"a":'.repeat(10_001) + '1' + '}'.repeat(10_001),
    headers: { 'content-type': 'application/merge-patch+json' },
  });
  expectStatus(t, deepPatch, 400, 'BadRequest', `invalid character '{' exceeded max depth`, 'deep patch');
  const big = configMap({ name: 'big' }, { data: { blob: 'x'.repeat(3 * 1024 * 1024) } });
  expectStatus(
    t,
    await api.send('POST', cms, { body: big }),
    413,
    'RequestEntityTooLarge',
    'Request entity too large: limit is 3145728',
    'body over 3 MiB',
  );

  t.equal((await api.send('POST', cms, { body: configMap({ name: 'target', labels: { a: '1' } }) })).status, 201);
  const jsonPatch = (ops: unknown) =>
    api.send('PATCH', `${cms}/target`, { body: ops, headers: { 'content-type': 'application/json-patch+json' } });
  const rejected = 'the server rejected our request due to an error in our request';
  expectStatus(
    t,
    await jsonPatch([{ op: 'replace', path: '/missing/x', value: 1 }]),
    422,
    'Invalid',
    rejected,
    'JSON patch on a missing path',
  );
  expectStatus(t, await jsonPatch([{ op: 'remove', path: '' }]), 422, 'Invalid', rejected, 'JSON patch removing the root');
  expectStatus(
    t,
    await jsonPatch({ op: 'add' }),
    400,
    'BadRequest',
    'json: cannot unmarshal object into Go value of type jsonpatch.Patch',
    'JSON patch not a list',
  );
  const strategic = (patch: unknown) =>
    api.send('PATCH', `${cms}/target`, { body: patch, headers: { 'content-type': 'application/strategic-merge-patch+json' } });
  expectStatus(
    t,
    await strategic({ metadata: { labels: { $patch: 'bogus' } } }),
    400,
    'BadRequest',
    'unknown patch type: bogus in map: map[$patch:bogus]',
    'bad $patch',
  );
  expectStatus(
    t,
    await strategic({ metadata: { '$setElementOrder/finalizers': 'x' } }),
    400,
    'BadRequest',
    'invalid patch format of setElementOrder list',
    'bad $setElementOrder',
  );

  // Repeated query parameters: the first value wins, as Go's url.Values.Get.
  const selected = await api.send('GET', `${cms}?labelSelector=a%3D1&labelSelector=b`);
  t.equal(selected.status, 200, 'repeated labelSelector');
  t.same(
    (selected.json.items as { metadata: { name: string } }[]).map((i) => i.metadata.name),
    ['target'],
    'the first labelSelector selects',
  );
  const viaKubectl = await kubectl([
    'get',
    '--raw',
    `${cms}?fieldSelector=metadata.name%3Dtarget&fieldSelector=metadata.name%3Dother&limit=1&limit=x`,
  ]);
  t.equal(viaKubectl.code, 0, viaKubectl.stderr);
  t.same(
    JSON.parse(viaKubectl.stdout).items.map((i: { metadata: { name: string } }) => i.metadata.name),
    ['target'],
    'first fieldSelector and limit',
  );
  t.equal(
    (await api.send('POST', `${cms}?dryRun=All&dryRun=x`, { body: configMap({ name: 'dry' }) })).status,
    201,
    'repeated dryRun: the first',
  );
  expectStatus(t, await api.send('GET', `${cms}/dry`), 404, 'NotFound', 'configmaps "dry" not found', 'a dry run stores nothing');
  expectStatus(
    t,
    await api.send('POST', `${cms}?dryRun=x`, { body: configMap({ name: 'dry' }) }),
    422,
    'Invalid',
    'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"x"}: supported values: "All"',
    'unsupported dryRun',
  );

  // Delete preconditions: empty ones check nothing; an empty uid is a uid that does not match.
  const uid = (await api.send('GET', `${cms}/target`)).json.metadata as { uid: string };
  expectStatus(
    t,
    await api.send('DELETE', `${cms}/target`, { body: { preconditions: { uid: '' } } }),
    409,
    'Conflict',
    `Operation cannot be fulfilled on configmaps "target": Precondition failed: UID in precondition: , UID in object meta: ${uid.uid}`,
    'empty uid precondition',
  );
  expectStatus(
    t,
    await api.send('DELETE', `${cms}/target`, { body: { gracePeriodSeconds: 'soon' } }),
    400,
    'BadRequest',
    'DeleteOptions in version "v1" cannot be handled as a DeleteOptions: json: cannot unmarshal string into Go struct field DeleteOptions.gracePeriodSeconds of type int64',
    'DeleteOptions of the wrong type',
  );
  t.equal((await api.send('DELETE', `${cms}/target`, { body: { preconditions: {} } })).status, 200, 'empty preconditions delete');
  t.equal((await api.send('GET', `${cms}/target`)).status, 404, 'deleted');
});
