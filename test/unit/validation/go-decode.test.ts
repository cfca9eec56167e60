import t from 'tap';
import { builtinTypeMismatch, goJsonMessage, objectMetaTypeMismatch, unstructuredMessage } from '../../../src/api/validation/go-decode.js';

const POD = 'io.k8s.api.core.v1.Pod';
const CONFIG_MAP = 'io.k8s.api.core.v1.ConfigMap';
const goMessage = (obj: Record<string, unknown>, definition: string) => {
  const mismatch = builtinTypeMismatch(obj, definition);
  return mismatch && goJsonMessage(mismatch);
};

t.test('values that fit their Go types pass, nulls included', async (t) => {
  const pod = {
    metadata: { name: 'p', labels: { a: 'b' }, ownerReferences: null, creationTimestamp: null, generation: 3 },
    spec: {
      containers: [
        {
          name: 'c',
          image: 'i',
          ports: [{ containerPort: 80 }],
          resources: { limits: { cpu: '500m', memory: 1024 } },
          livenessProbe: { httpGet: { port: 'http' } },
        },
      ],
    },
  };
  t.equal(goMessage(pod, POD), undefined);
  t.equal(goMessage({ metadata: {}, unknownField: { anything: [1] } }, CONFIG_MAP), undefined, 'unknown fields are left to pruning');
});

t.test('encoding/json words: the struct, the JSON path without indices, the Go type', async (t) => {
  t.equal(
    goMessage({ metadata: { ownerReferences: 'x' } }, CONFIG_MAP),
    'json: cannot unmarshal string into Go struct field ObjectMeta.metadata.ownerReferences of type []v1.OwnerReference',
  );
  t.equal(
    goMessage({ metadata: { ownerReferences: ['x'] } }, CONFIG_MAP),
    'json: cannot unmarshal string into Go struct field ObjectMeta.metadata.ownerReferences of type v1.OwnerReference',
  );
  t.equal(
    goMessage({ metadata: { ownerReferences: [{ controller: 'yes' }] } }, CONFIG_MAP),
    'json: cannot unmarshal string into Go struct field OwnerReference.metadata.ownerReferences.controller of type bool',
  );
  t.equal(
    goMessage({ metadata: 'x' }, CONFIG_MAP),
    'json: cannot unmarshal string into Go struct field ConfigMap.metadata of type v1.ObjectMeta',
  );
  t.equal(
    goMessage({ metadata: { labels: [] } }, CONFIG_MAP),
    'json: cannot unmarshal array into Go struct field ObjectMeta.metadata.labels of type map[string]string',
  );
  t.equal(
    goMessage({ metadata: { generation: 1.5 } }, CONFIG_MAP),
    'json: cannot unmarshal number 1.5 into Go struct field ObjectMeta.metadata.generation of type int64',
  );
  t.equal(
    goMessage({ spec: { containers: [{ ports: [{ containerPort: 2 ** 40 }] }] } }, POD),
    `json: cannot unmarshal number ${2 ** 40} into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32`,
  );
  t.equal(
    goMessage({ binaryData: { a: 1 } }, CONFIG_MAP),
    'json: cannot unmarshal number into Go struct field ConfigMap.binaryData of type []uint8',
  );
});

t.test('types with their own decoders', async (t) => {
  t.equal(
    goMessage({ metadata: { creationTimestamp: 'yesterday' } }, CONFIG_MAP),
    'parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"',
  );
  t.equal(
    goMessage({ spec: { containers: [{ resources: { limits: { cpu: 'lots' } } }] } }, POD),
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
  );
  t.equal(
    goMessage({ spec: { containers: [{ livenessProbe: { httpGet: { port: true } } }] } }, POD),
    'json: cannot unmarshal bool into Go struct field HTTPGetAction.spec.containers.livenessProbe.httpGet.port of type int32',
  );
  t.equal(goMessage({ binaryData: { a: 'not base64!' } }, CONFIG_MAP), 'illegal base64 data at input byte 3');
});

t.test('custom resources: the unstructured converter words metadata errors', async (t) => {
  const message = (metadata: unknown) => {
    const mismatch = objectMetaTypeMismatch(metadata);
    return mismatch && unstructuredMessage(mismatch);
  };
  t.equal(message({ name: 'x', labels: { a: 'b' } }), undefined);
  t.equal(message({ ownerReferences: 'x' }), 'cannot restore slice from string');
  t.equal(message({ labels: 'x' }), 'cannot restore map from string');
  t.equal(message({ labels: { a: 1 } }), 'cannot convert int64 to string');
  t.equal(message({ ownerReferences: [1.5] }), 'cannot restore struct from: float64');
});

t.test('a frozen (stored) subtree found to fit is not walked again; one that does not fit is reported every time', async (t) => {
  const spec = Object.freeze({ containers: Object.freeze([Object.freeze({ name: 'c', image: 'i' })]) });
  t.equal(goMessage({ metadata: { name: 'a' }, spec }, POD), undefined);
  t.equal(goMessage({ metadata: { name: 'b' }, spec }, POD), undefined, 'the same spec in the next version still fits');
  const bad = Object.freeze({ containers: Object.freeze([Object.freeze({ name: 'c', image: 1 })]) });
  const message = 'json: cannot unmarshal number into Go struct field Container.spec.containers.image of type string';
  t.equal(goMessage({ metadata: {}, spec: bad }, POD), message);
  t.equal(goMessage({ metadata: {}, spec: bad }, POD), message, 'a mismatch is not remembered as fitting');
  t.equal(
    goMessage({ metadata: { ownerReferences: spec } }, POD),
    'json: cannot unmarshal object into Go struct field ObjectMeta.metadata.ownerReferences of type []v1.OwnerReference',
    'fitting one definition says nothing about another',
  );
});
