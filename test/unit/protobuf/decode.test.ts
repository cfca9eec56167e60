/**
 * decodeKubernetesProtobuf on bodies encoded with the real Kubernetes
 * schemas: the envelope, the special types' JSON forms, Go's omitempty rules,
 * and 400s (never crashes) for malformed input.
 */
import t from 'tap';
import { StatusError } from '../../../src/api/errors.js';
import { decodeKubernetesProtobuf } from '../../../src/server/protobuf/index.js';
import { formatGoDuration } from '../../../src/server/protobuf/go-duration.js';
import { encodeObject, envelope, magic } from './encode-helper.js';

/** 2026-01-02T03:04:05Z */
const seconds = Date.UTC(2026, 0, 2, 3, 4, 5) / 1000;

/** ObjectMeta as Go writes it: every plain field on the wire, zero or not. */
const goMetadata = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  generateName: '',
  namespace: '',
  selfLink: '',
  uid: '',
  resourceVersion: '',
  generation: 0,
  creationTimestamp: {},
  ...extra,
});

t.test('the envelope names the object; apiVersion and kind lead the JSON', async (t) => {
  const decoded = decodeKubernetesProtobuf(
    encodeObject('v1', 'ConfigMap', { metadata: goMetadata('settings'), data: { a: 'b', empty: '' }, immutable: false }),
  );
  t.equal(decoded.apiVersion, 'v1');
  t.equal(decoded.kind, 'ConfigMap');
  t.strictSame(decoded.object, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'settings', creationTimestamp: null },
    data: { a: 'b', empty: '' },
    immutable: false,
  });
  t.same(Object.keys(decoded.object).slice(0, 2), ['apiVersion', 'kind']);
});

t.test('bytes are base64, int64 are numbers, timestamps are RFC 3339', async (t) => {
  const secret = decodeKubernetesProtobuf(
    encodeObject('v1', 'Secret', {
      metadata: goMetadata('creds', {
        generation: 3,
        creationTimestamp: { seconds },
        deletionGracePeriodSeconds: 30,
        labels: { app: 'db' },
      }),
      data: { password: Buffer.from([0x73, 0x33, 0x00, 0xff]) },
      type: 'Opaque',
    }),
  ).object;
  t.strictSame(secret.metadata, {
    name: 'creds',
    generation: 3,
    creationTimestamp: '2026-01-02T03:04:05Z',
    deletionGracePeriodSeconds: 30,
    labels: { app: 'db' },
  });
  t.strictSame(secret.data, { password: 'czMA/w==' });
  const event = decodeKubernetesProtobuf(
    encodeObject('events.k8s.io/v1', 'Event', {
      metadata: goMetadata('e1'),
      eventTime: { seconds, nanos: 123456789 },
      deprecatedFirstTimestamp: { seconds: seconds + 1, nanos: 999000000 },
      deprecatedCount: 2,
      reason: 'Started',
    }),
  ).object;
  t.equal(event.eventTime, '2026-01-02T03:04:05.123456Z', 'MicroTime keeps six fractional digits');
  t.equal(event.deprecatedFirstTimestamp, '2026-01-02T03:04:06Z', 'Time drops the fraction');
  t.equal(event.deprecatedCount, 2);
});

t.test('omitempty drops plain zero values but keeps pointers set to zero and fields without omitempty', async (t) => {
  const deployment = decodeKubernetesProtobuf(
    encodeObject('apps/v1', 'Deployment', {
      metadata: goMetadata('web'),
      spec: {
        replicas: 0,
        minReadySeconds: 0,
        paused: false,
        strategy: {
          type: 'RollingUpdate',
          rollingUpdate: { maxSurge: { type: 0, intVal: 1 }, maxUnavailable: { type: 1, strVal: '25%' } },
        },
        template: {
          metadata: goMetadata(''),
          spec: {
            containers: [
              { name: 'app', image: 'nginx', imagePullPolicy: '', ports: [{ containerPort: 80, protocol: 'TCP', hostPort: 0, name: '' }] },
            ],
          },
        },
      },
      status: {},
    }),
  ).object;
  t.strictSame(deployment.spec, {
    replicas: 0,
    template: {
      metadata: { creationTimestamp: null },
      spec: { containers: [{ name: 'app', image: 'nginx', ports: [{ containerPort: 80, protocol: 'TCP' }] }] },
    },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: 1 } },
  });
  t.strictSame(deployment.status, {}, 'a plain struct is never omitted');
});

t.test('IntOrString, Quantity and Duration', async (t) => {
  const service = decodeKubernetesProtobuf(
    encodeObject('v1', 'Service', {
      metadata: goMetadata('svc'),
      spec: {
        ports: [
          { name: 'http', port: 80, targetPort: { type: 1, strVal: 'http' } },
          { port: 81, targetPort: {} },
        ],
      },
    }),
  ).object;
  t.strictSame((service.spec as { ports: unknown }).ports, [
    { name: 'http', port: 80, targetPort: 'http' },
    { port: 81, targetPort: 0 },
  ]);
  const pod = decodeKubernetesProtobuf(
    encodeObject('v1', 'Pod', {
      metadata: goMetadata('p'),
      spec: { containers: [{ name: 'c', resources: { limits: { cpu: { string: '500m' }, memory: { string: '1Gi' } } } }] },
    }),
  ).object;
  t.strictSame((pod.spec as { containers: Array<{ resources: unknown }> }).containers[0].resources, {
    limits: { cpu: '500m', memory: '1Gi' },
  });
  const durations: Array<[bigint, string]> = [
    [0n, '0s'],
    [1n, '1ns'],
    [1_500n, '1.5µs'],
    [250_000_000n, '250ms'],
    [1_500_000_000n, '1.5s'],
    [90_000_000_000n, '1m30s'],
    [3_600_000_000_000n, '1h0m0s'],
    [-3_723_000_000_000n, '-1h2m3s'],
  ];
  for (const [nanoseconds, text] of durations) t.equal(formatGoDuration(nanoseconds), text, text);
});

t.test('embedded raw JSON: RawExtension, FieldsV1, apiextensions JSON and the JSONSchemaPropsOr* unions', async (t) => {
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));
  const revision = decodeKubernetesProtobuf(
    encodeObject('apps/v1', 'ControllerRevision', {
      metadata: goMetadata('rev', {
        managedFields: [
          {
            manager: 'kubectl',
            operation: 'Update',
            apiVersion: 'apps/v1',
            time: { seconds },
            fieldsType: 'FieldsV1',
            fieldsV1: { Raw: json({ 'f:data': {} }) },
          },
        ],
      }),
      data: { raw: json({ spec: { template: { x: 1 } } }) },
      revision: 2,
    }),
  ).object;
  t.strictSame(revision.data, { spec: { template: { x: 1 } } });
  t.strictSame((revision.metadata as { managedFields: unknown }).managedFields, [
    {
      manager: 'kubectl',
      operation: 'Update',
      apiVersion: 'apps/v1',
      time: '2026-01-02T03:04:05Z',
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:data': {} },
    },
  ]);
  t.equal(revision.revision, 2);

  const crd = decodeKubernetesProtobuf(
    encodeObject('apiextensions.k8s.io/v1', 'CustomResourceDefinition', {
      metadata: goMetadata('widgets.example.com'),
      spec: {
        group: 'example.com',
        names: { plural: 'widgets', kind: 'Widget' },
        scope: 'Namespaced',
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  size: { type: 'integer', default: { raw: json(3) } },
                  tags: { type: 'array', items: { schema: { type: 'string' } } },
                  labels: { type: 'object', additionalProperties: { allows: true, schema: { type: 'string' } } },
                  extra: { type: 'object', additionalProperties: { allows: false } },
                },
                xKubernetesPreserveUnknownFields: true,
              },
            },
          },
        ],
      },
    }),
  ).object;
  const schema = (crd.spec as { versions: Array<{ schema: { openAPIV3Schema: Record<string, unknown> } }> }).versions[0].schema
    .openAPIV3Schema;
  t.strictSame(schema, {
    type: 'object',
    properties: {
      size: { type: 'integer', default: 3 },
      tags: { type: 'array', items: { type: 'string' } },
      labels: { type: 'object', additionalProperties: { type: 'string' } },
      extra: { type: 'object', additionalProperties: false },
    },
    'x-kubernetes-preserve-unknown-fields': true,
  });
});

t.test('list wrappers (ExtraValue) become arrays', async (t) => {
  const review = decodeKubernetesProtobuf(
    encodeObject('authorization.k8s.io/v1', 'SubjectAccessReview', {
      metadata: goMetadata(''),
      spec: {
        user: 'alice',
        groups: ['dev'],
        extra: { scopes: { items: ['a', 'b'] } },
        resourceAttributes: { verb: 'get', resource: 'pods', namespace: 'default' },
      },
    }),
  ).object;
  t.strictSame(review.spec, {
    resourceAttributes: { namespace: 'default', verb: 'get', resource: 'pods' },
    user: 'alice',
    groups: ['dev'],
    extra: { scopes: ['a', 'b'] },
  });
});

t.test('malformed bodies are 400 Bad Request', async (t) => {
  const good = encodeObject('v1', 'ConfigMap', { metadata: goMetadata('x'), data: { a: 'b' } });
  const badRequest = (body: Buffer, message: RegExp, what: string) => {
    try {
      decodeKubernetesProtobuf(body);
      t.fail(`${what}: decoded`);
    } catch (err) {
      t.ok(err instanceof StatusError, `${what}: a StatusError`);
      t.equal((err as StatusError).code, 400, `${what}: 400`);
      t.match((err as StatusError).message, message, what);
    }
  };
  badRequest(Buffer.from('{"kind":"ConfigMap"}'), /does not appear to be a protobuf message, expected prefix \[107 56 115 0\]/, 'JSON');
  badRequest(Buffer.alloc(0), /expected prefix/, 'empty');
  badRequest(good.subarray(0, good.length - 3), /unable to decode protobuf/, 'truncated');
  badRequest(Buffer.concat([magic, Buffer.from([0xff, 0xff, 0xff])]), /unable to decode protobuf Unknown/, 'garbage');
  badRequest(
    encodeObject('v1', 'ConfigMap', { metadata: goMetadata('x') }).subarray(0, 4 + 4),
    /unable to decode protobuf|missing its apiVersion/,
    'cut inside typeMeta',
  );
  badRequest(
    envelope({ typeMeta: { apiVersion: 'v1', kind: 'Gadget' }, raw: Buffer.alloc(0) }),
    /no kind "Gadget" is registered for version "v1"/,
    'unknown kind',
  );
  badRequest(
    envelope({ typeMeta: { apiVersion: 'example.com/v9', kind: 'Widget' }, raw: Buffer.alloc(0) }),
    /no kind "Widget" is registered for version "example.com\/v9"/,
    'unknown group',
  );
  badRequest(envelope({ raw: Buffer.from([1, 2]) }), /missing its apiVersion or kind/, 'no typeMeta');
  badRequest(
    envelope({ typeMeta: { apiVersion: 'v1', kind: 'ConfigMap' }, raw: Buffer.from([0x0a, 0x09, 0x0a]) }),
    /unable to decode protobuf ConfigMap/,
    'truncated object',
  );
  badRequest(
    encodeObject('apps/v1', 'ControllerRevision', { data: { raw: Buffer.from('{not json') } }),
    /unable to decode RawExtension/,
    'RawExtension not JSON',
  );
});
