// ValidatingAdmissionPolicy and its bindings through the real kubectl: params, a namespace-selecting binding that
// denies in one namespace and not another, Warn as a kubectl warning, reasons, variables, and compile errors at write.
import t from 'tap';
import { withEmulator } from '../../helpers/cluster.js';

const policy = {
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingAdmissionPolicy',
  metadata: { name: 'max-keys' },
  spec: {
    failurePolicy: 'Fail',
    paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
    matchConstraints: {
      resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['configmaps'] }],
    },
    matchConditions: [{ name: 'not-exempt', expression: "!has(object.metadata.labels) || !('exempt' in object.metadata.labels)" }],
    variables: [{ name: 'keys', expression: 'has(object.data) ? size(object.data) : 0' }],
    validations: [
      {
        expression: 'variables.keys <= int(params.data.maxKeys)',
        messageExpression: "'at most ' + params.data.maxKeys + ' keys, got ' + string(variables.keys)",
        reason: 'Forbidden',
      },
      { expression: "!has(object.data) || object.data.all(k, k.matches('^[a-z]+$'))" },
    ],
  },
};

const binding = (name: string, env: string, actions: string[]) => ({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingAdmissionPolicyBinding',
  metadata: { name },
  spec: {
    policyName: 'max-keys',
    validationActions: actions,
    paramRef: { name: 'limits', namespace: 'default', parameterNotFoundAction: 'Deny' },
    matchResources: { namespaceSelector: { matchLabels: { env } } },
  },
});

const configMap = (namespace: string, name: string, data: Record<string, string>, labels?: Record<string, string>) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels }, data });

t.test('ValidatingAdmissionPolicy', async (t) => {
  const { kubectl } = await withEmulator(t);
  for (const [ns, env] of [
    ['prod', 'prod'],
    ['staging', 'staging'],
    ['dev', 'dev'],
  ]) {
    t.equal((await kubectl(['create', 'namespace', ns])).code, 0);
    t.equal((await kubectl(['label', 'namespace', ns, `env=${env}`])).code, 0);
  }
  t.equal((await kubectl(['create', 'configmap', 'limits', '-n', 'default', '--from-literal=maxKeys=2'])).code, 0);
  const docs = [policy, binding('max-keys-prod', 'prod', ['Deny']), binding('max-keys-staging', 'staging', ['Warn'])];
  const applied = await kubectl(['apply', '-f', '-'], { input: docs.map((d) => JSON.stringify(d)).join('\n') });
  t.equal(applied.code, 0, applied.stderr);

  t.test('denies in the namespace its binding selects, with the reason and messageExpression', async (t) => {
    const r = await kubectl(['create', '-f', '-'], { input: configMap('prod', 'big', { a: '1', b: '2', c: '3' }) });
    t.not(r.code, 0);
    t.match(
      r.stderr,
      `Error from server (Forbidden): error when creating "STDIN": configmaps "big" is forbidden: ` +
        `ValidatingAdmissionPolicy 'max-keys' with binding 'max-keys-prod' denied request: at most 2 keys, got 3`,
    );
    const small = await kubectl(['create', '-f', '-'], { input: configMap('prod', 'small', { a: '1' }) });
    t.equal(small.code, 0, small.stderr);
    const invalid = await kubectl(['create', '-f', '-'], { input: configMap('prod', 'caps', { A: '1' }) });
    // kubectl renders a 422 with a field-less cause as real clusters show it: "is invalid: : ValidatingAdmissionPolicy ...".
    t.match(invalid.stderr, `The configmaps "caps" is invalid: : ValidatingAdmissionPolicy 'max-keys' with binding 'max-keys-prod'`);
    t.match(invalid.stderr, `denied request: failed expression: !has(object.data) || object.data.all(k, k.matches('^[a-z]+$'))`);
  });

  t.test('a namespace no binding selects is not checked', async (t) => {
    const r = await kubectl(['create', '-f', '-'], { input: configMap('dev', 'big', { a: '1', b: '2', c: '3' }) });
    t.equal(r.code, 0, r.stderr);
  });

  t.test('matchConditions exclude a request', async (t) => {
    const r = await kubectl(['create', '-f', '-'], { input: configMap('prod', 'exempted', { a: '1', b: '2', c: '3' }, { exempt: 'yes' }) });
    t.equal(r.code, 0, r.stderr);
  });

  t.test('Warn admits and kubectl prints the warning', async (t) => {
    const r = await kubectl(['create', '-f', '-'], { input: configMap('staging', 'big', { a: '1', b: '2', c: '3' }) });
    t.equal(r.code, 0, r.stderr);
    t.match(
      r.stderr,
      "Warning: Validation failed for ValidatingAdmissionPolicy 'max-keys' with binding 'max-keys-staging': at most 2 keys, got 3",
    );
  });

  t.test('a missing param with parameterNotFoundAction Deny denies', async (t) => {
    t.equal((await kubectl(['delete', 'configmap', 'limits', '-n', 'default'])).code, 0);
    const r = await kubectl(['create', '-f', '-'], { input: configMap('prod', 'any', { a: '1' }) });
    t.not(r.code, 0);
    t.match(r.stderr, 'no params found for policy binding with `Deny` parameterNotFoundAction');
  });

  t.test('status.typeChecking warns of an expression that does not type-check against a matched kind', async (t) => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'sprockets.cel.example.com' },
      spec: {
        group: 'cel.example.com',
        scope: 'Namespaced',
        names: { plural: 'sprockets', singular: 'sprocket', kind: 'Sprocket' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { teeth: { type: 'integer' } } } } },
            },
          },
        ],
      },
    };
    t.equal((await kubectl(['create', '-f', '-'], { input: JSON.stringify(crd) })).code, 0);
    await kubectl(['wait', '--for', 'condition=Established', 'crd/sprockets.cel.example.com']);
    const typo = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: 'teeth' },
      spec: {
        matchConstraints: {
          resourceRules: [{ apiGroups: ['cel.example.com'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['sprockets'] }],
        },
        validations: [{ expression: 'object.spec.teeth > 3' }, { expression: 'object.spec.teath > 3' }],
      },
    };
    t.equal((await kubectl(['create', '-f', '-'], { input: JSON.stringify(typo) })).code, 0);
    const observed = await kubectl([
      'wait',
      '--for=jsonpath={.status.observedGeneration}=1',
      'validatingadmissionpolicy/teeth',
      '--timeout=20s',
    ]);
    t.equal(observed.code, 0, observed.stderr);
    const status = JSON.parse((await kubectl(['get', 'validatingadmissionpolicy', 'teeth', '-o', 'json'])).stdout).status;
    t.equal(status.typeChecking.expressionWarnings.length, 1);
    t.equal(status.typeChecking.expressionWarnings[0].fieldRef, 'spec.validations[1].expression');
    t.match(status.typeChecking.expressionWarnings[0].warning, 'cel.example.com/v1, Kind=Sprocket: ERROR: <input>:1:');
    t.match(status.typeChecking.expressionWarnings[0].warning, "undefined field 'teath'");
  });

  // The plugin keeps, per request shape, the bindings whose rules may concern it; a changed policy or binding must count at once.
  t.test('a policy whose rules change checks the resources they name now; a deleted binding checks nothing', async (t) => {
    const guard = (resource: string) => ({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: 'guard' },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: [resource] }] },
        validations: [{ expression: 'false', message: `no new ${resource}` }],
      },
    });
    const guardBinding = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: 'guard' },
      spec: { policyName: 'guard', validationActions: ['Deny'] },
    };
    const apply = async (...docs: object[]) => {
      const r = await kubectl(['apply', '-f', '-'], { input: docs.map((d) => JSON.stringify(d)).join('\n') });
      t.equal(r.code, 0, r.stderr);
    };
    const secret = (name: string) => kubectl(['create', 'secret', 'generic', name, '-n', 'dev', '--from-literal=a=b']);
    const configMapIn = (name: string) => kubectl(['create', '-f', '-'], { input: configMap('dev', name, { a: '1' }) });
    await apply(guard('secrets'), guardBinding);
    t.match((await secret('s1')).stderr, 'no new secrets');
    t.equal((await configMapIn('c1')).code, 0);
    await apply(guard('configmaps'));
    t.equal((await secret('s2')).code, 0, 'secrets are no longer checked');
    t.match((await configMapIn('c2')).stderr, 'no new configmaps');
    t.equal((await kubectl(['delete', 'validatingadmissionpolicybinding', 'guard'])).code, 0);
    t.equal((await configMapIn('c3')).code, 0, 'without its binding the policy checks nothing');
  });

  t.test('a policy whose CEL does not compile is refused when written', async (t) => {
    const bad = { ...policy, metadata: { name: 'bad' }, spec: { ...policy.spec, validations: [{ expression: 'object.data.size( >' }] } };
    const r = await kubectl(['create', '-f', '-'], { input: JSON.stringify(bad) });
    t.not(r.code, 0);
    t.match(
      r.stderr,
      'The ValidatingAdmissionPolicy "bad" is invalid: spec.validations[0].expression: Invalid value: "object.data.size( >": compilation failed: ERROR: <input>:1:',
    );
  });
});
