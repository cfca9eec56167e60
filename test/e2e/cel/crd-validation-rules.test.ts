// CRD x-kubernetes-validations through the real kubectl: object rules, macros, matches, transition rules,
// messageExpression, reason and fieldPath, ratcheting, and a rule that does not compile refused at CRD creation.
import t from 'tap';
import { withEmulator, type EmulatorFixture } from '../../helpers/cluster.js';

const schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      'x-kubernetes-validations': [
        { rule: 'self.minReplicas <= self.maxReplicas', message: 'minReplicas must not exceed maxReplicas' },
        {
          rule: "!has(self.mode) || self.mode != 'Locked' || has(self.owner)",
          messageExpression: "'mode ' + self.mode + ' needs an owner'",
          reason: 'FieldValueRequired',
          fieldPath: '.owner',
        },
      ],
      properties: {
        minReplicas: { type: 'integer' },
        maxReplicas: { type: 'integer' },
        mode: { type: 'string' },
        owner: { type: 'string' },
        host: { type: 'string', maxLength: 253, 'x-kubernetes-validations': [{ rule: "self.matches('^[a-z0-9.-]+$')" }] },
        ports: {
          type: 'array',
          maxItems: 16,
          items: { type: 'integer' },
          'x-kubernetes-validations': [
            { rule: 'self.all(p, p > 0 && p < 65536)', message: 'every port must be between 1 and 65535' },
            { rule: 'self.exists(p, p == 443)', message: 'port 443 must be listed' },
          ],
        },
        tier: {
          type: 'string',
          'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'tier is immutable' }],
        },
        legacy: { type: 'string', 'x-kubernetes-validations': [{ rule: "self != 'old'", message: 'old is no longer accepted' }] },
      },
    },
  },
};

const crd = (name: string, openAPIV3Schema: unknown) =>
  JSON.stringify({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${name}.cel.example.com` },
    spec: {
      group: 'cel.example.com',
      scope: 'Namespaced',
      names: { plural: name, singular: name.replace(/s$/, ''), kind: name[0].toUpperCase() + name.slice(1, -1) },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema } }],
    },
  });

const gadget = (name: string, spec: Record<string, unknown>) =>
  JSON.stringify({ apiVersion: 'cel.example.com/v1', kind: 'Gadget', metadata: { name, namespace: 'default' }, spec });

const valid = { minReplicas: 1, maxReplicas: 3, host: 'a.example.com', ports: [80, 443], tier: 'gold' };

/** One emulator for the file: the rules tests' CRDs are of their own group, the KubeVirt test adds the VMI CRD. */
let shared: EmulatorFixture;
t.before(async () => {
  shared = await withEmulator(t);
});

t.test('CRD validation rules', async (t) => {
  const { kubectl } = shared;
  const created = await kubectl(['create', '-f', '-'], { input: crd('gadgets', schema) });
  t.equal(created.code, 0, created.stderr);
  await kubectl(['wait', '--for', 'condition=Established', 'crd/gadgets.cel.example.com']);

  t.test('a valid object is accepted', async (t) => {
    const ok = await kubectl(['create', '-f', '-'], { input: gadget('ok', valid) });
    t.equal(ok.code, 0, ok.stderr);
  });

  t.test('an object rule refuses with its message, value "object"', async (t) => {
    const r = await kubectl(['create', '-f', '-'], { input: gadget('minmax', { ...valid, minReplicas: 5 }) });
    t.not(r.code, 0);
    t.match(r.stderr, 'The Gadget "minmax" is invalid: spec: Invalid value: "object": minReplicas must not exceed maxReplicas');
  });

  t.test('all and exists macros', async (t) => {
    const r = await kubectl(['create', '-f', '-'], { input: gadget('ports', { ...valid, ports: [80, 70000] }) });
    t.not(r.code, 0);
    t.match(r.stderr, 'spec.ports: Invalid value: "array": every port must be between 1 and 65535');
    t.match(r.stderr, 'spec.ports: Invalid value: "array": port 443 must be listed');
  });

  t.test('matches, with the default message naming the rule', async (t) => {
    const r = await kubectl(['create', '-f', '-'], { input: gadget('host', { ...valid, host: 'Not_A_Host' }) });
    t.not(r.code, 0);
    t.match(r.stderr, `spec.host: Invalid value: "string": failed rule: self.matches('^[a-z0-9.-]+$')`);
  });

  t.test('messageExpression, reason and fieldPath', async (t) => {
    const r = await kubectl(['create', '-f', '-'], { input: gadget('locked', { ...valid, mode: 'Locked' }) });
    t.not(r.code, 0);
    t.match(r.stderr, 'spec.owner: Required value: mode Locked needs an owner');
    const ok = await kubectl(['create', '-f', '-'], { input: gadget('locked', { ...valid, mode: 'Locked', owner: 'me' }) });
    t.equal(ok.code, 0, ok.stderr);
  });

  t.test('a transition rule runs on update only', async (t) => {
    const r = await kubectl(['patch', 'gadget', 'ok', '--type', 'merge', '-p', '{"spec":{"tier":"silver"}}']);
    t.not(r.code, 0);
    t.match(r.stderr, 'spec.tier: Invalid value: "string": tier is immutable');
    const same = await kubectl(['patch', 'gadget', 'ok', '--type', 'merge', '-p', '{"spec":{"maxReplicas":4}}']);
    t.equal(same.code, 0, same.stderr);
  });

  t.test('an unchanged invalid value is ratcheted; a changed one is refused', async (t) => {
    // Stored before the rule existed, then the rule is added to the CRD.
    const legacySchema = structuredClone(schema) as typeof schema;
    const legacy = legacySchema.properties.spec.properties.legacy as Record<string, unknown>;
    delete legacy['x-kubernetes-validations'];
    t.equal((await kubectl(['replace', '-f', '-'], { input: crd('gadgets', legacySchema) })).code, 0);
    t.equal((await kubectl(['create', '-f', '-'], { input: gadget('legacy', { ...valid, legacy: 'old' }) })).code, 0);
    t.equal((await kubectl(['replace', '-f', '-'], { input: crd('gadgets', schema) })).code, 0);
    const untouched = await kubectl(['patch', 'gadget', 'legacy', '--type', 'merge', '-p', '{"spec":{"maxReplicas":5}}']);
    t.equal(untouched.code, 0, untouched.stderr);
    const changed = await kubectl([
      'patch',
      'gadget',
      'legacy',
      '--type',
      'merge',
      '-p',
      '{"spec":{"legacy":"old","tier":"gold","host":"b"}}',
    ]);
    t.equal(changed.code, 0, 'the legacy value itself is unchanged');
    t.match(changed.stderr, 'Warning: spec.legacy: Invalid value: "string": old is no longer accepted');
    const created2 = await kubectl(['create', '-f', '-'], { input: gadget('legacy2', { ...valid, legacy: 'old' }) });
    t.not(created2.code, 0);
    t.match(created2.stderr, 'spec.legacy: Invalid value: "string": old is no longer accepted');
  });

  t.test('a rule that does not compile is refused when the CRD is written', async (t) => {
    const bad = {
      type: 'object',
      properties: {
        spec: { type: 'object', properties: { a: { type: 'integer' } }, 'x-kubernetes-validations': [{ rule: 'self.b > 1' }] },
      },
    };
    const r = await kubectl(['create', '-f', '-'], { input: crd('widgetts', bad) });
    t.not(r.code, 0);
    t.match(r.stderr, 'The CustomResourceDefinition "widgetts.cel.example.com" is invalid');
    t.match(
      r.stderr,
      'spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule: Invalid value: apiextensions.ValidationRule{Rule:"self.b > 1"',
    );
    t.match(r.stderr, 'compilation failed: ERROR: <input>:1:');
    t.match(r.stderr, "undefined field 'b'");
    const notBool = await kubectl(['create', '-f', '-'], {
      input: crd('widgetts', {
        ...bad,
        properties: { spec: { ...bad.properties.spec, 'x-kubernetes-validations': [{ rule: 'self.a + 1' }] } },
      }),
    });
    t.match(notBool.stderr, 'cel expression must evaluate to a bool');
    const costly = {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: { names: { type: 'array', items: { type: 'string' } } },
          'x-kubernetes-validations': [{ rule: 'self.names.all(a, self.names.all(b, a == b || !a.contains(b)))' }],
        },
      },
    };
    const refused = await kubectl(['create', '-f', '-'], { input: crd('widgetts', costly) });
    t.not(refused.code, 0);
    t.match(
      refused.stderr,
      'spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule: Forbidden: estimated rule cost exceeds budget by factor of more than 100x ' +
        '(try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)',
    );
    const bounded = structuredClone(costly);
    Object.assign(bounded.properties.spec.properties.names, { maxItems: 10 });
    Object.assign(bounded.properties.spec.properties.names.items, { maxLength: 64 });
    const accepted = await kubectl(['create', '-f', '-'], { input: crd('widgetts', bounded) });
    t.equal(accepted.code, 0, accepted.stderr);
  });

  t.test('membership in a literal list costs its length, whatever the length of the strings compared', async (t) => {
    // cel-go's checker/cost.go: InList is O(size of the list); == traverses the smaller side. CDI's StorageProfile
    // CRD has this rule on strings of no maxLength (spec.claimPropertySets[].accessModes), and kube-apiserver accepts it.
    const accessModes = {
      type: 'array',
      maxItems: 4,
      items: { type: 'string' },
      'x-kubernetes-validations': [{ rule: "self.all(am, am in ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'])" }],
    };
    const modes = {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: { sets: { type: 'array', maxItems: 8, items: { type: 'object', properties: { accessModes } } } },
        },
      },
    };
    const accepted = await kubectl(['create', '-f', '-'], { input: crd('modesets', modes) });
    t.equal(accepted.code, 0, accepted.stderr);
  });
});

t.test("KubeVirt's own CRD rules: containerPath must be absolute and read-only", async (t) => {
  const { kubectl } = shared;
  const applied = await kubectl(['create', '-f', 'schemas/kubevirt/crds/virtualmachineinstances.kubevirt.io.yaml']);
  t.equal(applied.code, 0, applied.stderr);
  await kubectl(['wait', '--for', 'condition=Established', 'crd/virtualmachineinstances.kubevirt.io']);
  const vmi = (containerPath: Record<string, unknown>) =>
    JSON.stringify({
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstance',
      metadata: { name: 'fs', namespace: 'default' },
      spec: { domain: { devices: {} }, volumes: [{ name: 'shared', containerPath }] },
    });
  const relative = await kubectl(['create', '-f', '-'], { input: vmi({ path: 'rel/x' }) });
  t.not(relative.code, 0);
  t.match(relative.stderr, `spec.volumes[0].containerPath.path: Invalid value: "string": path must be absolute (start with '/')`);
  const writable = await kubectl(['create', '-f', '-'], { input: vmi({ path: '/a/../b', readOnly: false }) });
  t.match(writable.stderr, `spec.volumes[0].containerPath.path: Invalid value: "string": path must not contain '..'`);
  t.match(
    writable.stderr,
    'spec.volumes[0].containerPath.readOnly: Invalid value: "boolean": readOnly must be true, write access is not supported',
  );
  const ok = await kubectl(['create', '-f', '-'], { input: vmi({ path: '/var/shared' }) });
  t.equal(ok.code, 0, ok.stderr);
});
