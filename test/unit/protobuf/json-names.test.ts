/**
 * Every message of every served group version, with every field set, must
 * decode to JSON keys the Kubernetes OpenAPI knows for that type: this
 * proves the JSON names, the inlined structs (Volume.volumeSource,
 * Probe.handler, EphemeralContainer's common fields) and the $-prefixed and
 * x-kubernetes- names of JSONSchemaProps come out as the apiserver writes them.
 */
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import t from 'tap';
import { messageToJson } from '../../../src/server/protobuf/message-to-json.js';
import { messageType, protoFileFor } from '../../../src/server/protobuf/proto-registry.js';
import type { DecodedMessage } from '../../../src/server/protobuf/special-types.js';

const servedVersions = [
  'v1',
  'apps/v1',
  'batch/v1',
  'rbac.authorization.k8s.io/v1',
  'policy/v1',
  'scheduling.k8s.io/v1',
  'storage.k8s.io/v1',
  'networking.k8s.io/v1',
  'discovery.k8s.io/v1',
  'coordination.k8s.io/v1',
  'admissionregistration.k8s.io/v1',
  'autoscaling/v1',
  'autoscaling/v2',
  'certificates.k8s.io/v1',
  'node.k8s.io/v1',
  'events.k8s.io/v1',
  'authentication.k8s.io/v1',
  'authorization.k8s.io/v1',
  'apiextensions.k8s.io/v1',
  'apiregistration.k8s.io/v1',
  'meta.k8s.io/v1',
];

interface Definition {
  type?: string;
  properties?: Record<string, unknown>;
}
const definitions = (
  JSON.parse(readFileSync(new URL('../../../schemas/kubernetes/openapi-v2.json', import.meta.url), 'utf8')) as {
    definitions: Record<string, Definition>;
  }
).definitions;

/** The OpenAPI definition name of a proto message: io.k8s.api.core.v1.Pod, io.k8s.apiextensions-apiserver.pkg.... */
const definitionName = (type: protobuf.Type): string => type.fullName.replace(/^\.k8s\.io\./, 'io.k8s.').replace(/_/g, '-');

/** A value for every field, nested messages filled two levels deep; bytes hold valid JSON for the raw-JSON types. */
function filled(type: protobuf.Type, depth: number): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    const one = sample(field, depth);
    if (one === undefined) continue;
    object[field.name] = field instanceof protobuf.MapField ? { key: one } : field.repeated ? [one] : one;
  }
  return object;
}

function sample(field: protobuf.Field, depth: number): unknown {
  field.resolve();
  if (field.resolvedType instanceof protobuf.Type) return depth > 0 ? filled(field.resolvedType, depth - 1) : undefined;
  switch (field.type) {
    case 'string':
      return 'x';
    case 'bool':
      return true;
    case 'bytes':
      return Buffer.from('"x"');
    default:
      return 7;
  }
}

t.test('every served message decodes to keys of its OpenAPI definition', async (t) => {
  const root = messageType(protoFileFor('v1')!, 'Pod')!.root;
  let checked = 0;
  for (const apiVersion of servedVersions) {
    const file = protoFileFor(apiVersion);
    if (!file) {
      t.fail(`no proto file for ${apiVersion}`);
      continue;
    }
    root.loadSync(`${file.importPath}/generated.proto`, { keepCase: true });
    const pkg = root.lookup(file.protoPackage) as protobuf.Namespace;
    for (const type of pkg.nestedArray.filter((n): n is protobuf.Type => n instanceof protobuf.Type)) {
      const properties = definitions[definitionName(type)]?.properties;
      if (!properties) continue;
      const message = type.decode(type.encode(type.fromObject(filled(type, 2))).finish()) as unknown as DecodedMessage;
      const json = messageToJson(type, message) as Record<string, unknown>;
      const unknownKeys = Object.keys(json).filter((key) => !(key in properties));
      if (unknownKeys.length) t.fail(`${type.fullName}: ${unknownKeys.join(', ')} are not fields of ${definitionName(type)}`);
      checked++;
    }
  }
  t.ok(checked > 450, `checked ${checked} message types`);
});

t.test('inlined structs and renamed fields', async (t) => {
  const core = protoFileFor('v1')!;
  const volume = messageType(core, 'Volume')!;
  const decode = (type: protobuf.Type, fields: Record<string, unknown>) =>
    messageToJson(type, type.decode(type.encode(type.fromObject(fields)).finish()) as unknown as DecodedMessage);
  t.strictSame(decode(volume, { name: 'data', volumeSource: { emptyDir: { medium: 'Memory', sizeLimit: { string: '1Gi' } } } }), {
    name: 'data',
    emptyDir: { medium: 'Memory', sizeLimit: '1Gi' },
  });
  t.strictSame(
    decode(messageType(core, 'Probe')!, {
      handler: { httpGet: { path: '/healthz', port: { type: 1, strVal: 'http' } } },
      periodSeconds: 5,
    }),
    {
      httpGet: { path: '/healthz', port: 'http' },
      periodSeconds: 5,
    },
  );
  t.strictSame(
    decode(messageType(core, 'EphemeralContainer')!, {
      ephemeralContainerCommon: { name: 'debug', image: 'busybox' },
      targetContainerName: 'app',
    }),
    {
      name: 'debug',
      image: 'busybox',
      targetContainerName: 'app',
    },
  );
  const props = messageType(protoFileFor('apiextensions.k8s.io/v1')!, 'JSONSchemaProps')!;
  t.strictSame(
    decode(props, {
      ref: '#/definitions/a',
      schema: 'http://json-schema.org/draft-04/schema#',
      xKubernetesPreserveUnknownFields: true,
      xKubernetesIntOrString: false,
    }),
    {
      $schema: 'http://json-schema.org/draft-04/schema#',
      $ref: '#/definitions/a',
      'x-kubernetes-preserve-unknown-fields': true,
    },
  );
});
