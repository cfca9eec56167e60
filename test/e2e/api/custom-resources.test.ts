// Acceptance 5: custom resources are validated against their CRD schema, unknown fields pruned or reported.
import t from 'tap';
import { withEmulator } from '../../helpers/cluster.js';
import { operatorManifest } from './manifests.js';

const kubevirt = (spec: Record<string, unknown>) =>
  JSON.stringify({ apiVersion: 'kubevirt.io/v1', kind: 'KubeVirt', metadata: { name: 'kv', namespace: 'kubevirt' }, spec });

t.test('a wrong type is 422 with the field path; unknown fields are pruned or reported', async (t) => {
  const { kubectl } = await withEmulator(t);
  t.equal((await kubectl(['apply', '-f', operatorManifest])).code, 0);

  const wrongType = await kubectl(['create', '-f', '-'], {
    input: kubevirt({ imagePullPolicy: 'Always', certificateRotateStrategy: 'yes' }),
  });
  t.not(wrongType.code, 0);
  t.match(wrongType.stderr, 'The KubeVirt "kv" is invalid');
  t.match(
    wrongType.stderr,
    'spec.certificateRotateStrategy: Invalid value: "string": spec.certificateRotateStrategy in body must be of type object: "string"',
  );

  const badEnum = await kubectl(['create', '-f', '-'], { input: kubevirt({ configuration: { roleAggregationStrategy: 'Sometimes' } }) });
  t.not(badEnum.code, 0);
  t.match(
    badEnum.stderr,
    'spec.configuration.roleAggregationStrategy: Unsupported value: "Sometimes": supported values: "AggregateToDefault", "Manual"',
  );

  const strict = await kubectl(['create', '--validate=strict', '-f', '-'], { input: kubevirt({ notAField: 1 }) });
  t.not(strict.code, 0, 'strict validation refuses an unknown field');
  t.match(strict.stderr, 'unknown field "spec.notAField"');

  const lenient = await kubectl(['create', '--validate=false', '-f', '-'], {
    input: kubevirt({ notAField: 1, imagePullPolicy: 'Always' }),
  });
  t.equal(lenient.code, 0, lenient.stderr);
  const stored = JSON.parse((await kubectl(['-n', 'kubevirt', 'get', 'kv', 'kv', '-o', 'json'])).stdout);
  t.equal(stored.spec.notAField, undefined, 'unknown field pruned');
  t.equal(stored.spec.imagePullPolicy, 'Always');

  const warn = await kubectl(['apply', '--validate=warn', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'w', namespace: 'default' },
      data: { a: 'b' },
      bogus: true,
    }),
  });
  t.equal(warn.code, 0, warn.stderr);
  t.match(warn.stderr, 'unknown field "bogus"');
});
