import t from 'tap';
import { fileURLToPath } from 'node:url';
import { loadScenario, parseScenario, ScenarioLoadError } from '../../../src/scenario/loader.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../fixtures/scenarios/${name}`, import.meta.url));

t.test('an invalid field value is rejected with its line, column and reason', async (t) => {
  const err = t.throws(() => loadScenario(fixture('invalid.yaml'))) as ScenarioLoadError;
  t.type(err, ScenarioLoadError);
  t.equal(err.line, 9);
  t.equal(err.column, 7);
  t.match(err.message, /invalid\.yaml:9:7: steps\[1\]\.wait\.timeout: must be a duration such as 500ms, 30s, 2m or 1h30m$/);
});

t.test('an unknown step type is named, with the known ones', async (t) => {
  const err = t.throws(() => loadScenario(fixture('unknown-step.yaml'))) as ScenarioLoadError;
  t.equal(err.line, 4);
  t.match(
    err.reason,
    'steps[1].sleep: unknown step type "sleep" (expected one of apply, delete, patch, subresource, kubectl, wait, expect, fault, advance, console, repeat)',
  );
});

t.test('unknown step types inside repeat are found too', async (t) => {
  const text = 'name: r\nsteps:\n  - repeat:\n      count: 2\n      steps:\n        - bogus: 1\n';
  t.throws(() => parseScenario(text, 'r.yaml'), {
    message:
      'r.yaml:6:11: steps[0].repeat.steps[0].bogus: unknown step type "bogus" (expected one of apply, delete, patch, subresource, kubectl, wait, expect, fault, advance, console, repeat)',
  });
});

t.test('a step with two actions, an unknown field, a missing field, a YAML syntax error', async (t) => {
  t.throws(() => parseScenario('name: x\nsteps:\n  - advance: 1s\n    apply: f.yaml\n', 'x.yaml'), {
    message: /^x\.yaml:4:5: steps\[0\]\.apply: a step has exactly one action, this one has advance and apply$/,
  });
  t.throws(() => parseScenario('name: x\nsteps:\n  - wait: { object: vm/a, printableStatus: Running, tiemout: 1m }\n', 'x.yaml'), {
    message: /^x\.yaml:3:53: steps\[0\]\.wait\.tiemout: unknown field "tiemout"$/,
  });
  t.throws(() => parseScenario('name: x\nsteps:\n  - patch: { object: vm/a }\n', 'x.yaml'), {
    message: /^x\.yaml:3:5: steps\[0\]\.patch: missing required field "patch"$/,
  });
  t.throws(() => parseScenario('name: x\nsteps:\n  - fault: { type: meteor }\n', 'x.yaml'), {
    message: /^x\.yaml:3:14: steps\[0\]\.fault\.type: must be one of "node-lost", "node-back"/,
  });
  t.throws(() => parseScenario('name: [x\nsteps: []\n', 'x.yaml'), { message: /^x\.yaml:\d+:\d+: invalid YAML: / });
});

t.test('metric expectations need a bound; API fault targets take Kubernetes verbs', async (t) => {
  t.throws(() => parseScenario('name: x\nsteps:\n  - expect: { metric: { name: apiserver_request_total } }\n', 'x.yaml'), {
    message: 'x.yaml:3:15: steps[0].expect.metric: missing required field "equals"',
  });
  const verb = 'name: x\nsteps:\n  - fault: { type: api-error, target: { resource: pods, verb: PATCH } }\n';
  t.throws(() => parseScenario(verb, 'x.yaml'), {
    message: /^x\.yaml:3:\d+: steps\[0\]\.fault\.target\.verb: must be one of "get", "create", "update", "patch", "delete"$/,
  });
  const ok = parseScenario(
    'name: x\nsteps:\n  - fault: { type: api-latency, target: { resource: pods, verb: create }, milliseconds: 200 }\n  - expect: { metric: { name: m, labels: { code: "500" }, atLeast: 1 } }\n',
    'x.yaml',
  );
  t.equal(ok.steps.length, 2);
});

t.test('every library scenario loads', async (t) => {
  for (const name of [
    'kubevirt-deploy',
    'vm-lifecycle-always',
    'guest-crash-rerun',
    'node-loss',
    'handler-loss',
    'api-faults',
    'pause-softreboot',
    'virt-api-down',
    'run-strategies',
    'migration-failure',
  ]) {
    const scenario = loadScenario(fileURLToPath(new URL(`../../../scenarios/${name}.yaml`, import.meta.url)));
    t.equal(scenario.name, name);
    t.ok(scenario.steps.length > 0);
  }
});
