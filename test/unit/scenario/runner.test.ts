import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../../../src/emulator.js';
import { parseScenario } from '../../../src/scenario/loader.js';
import type { Reporter, StepResult } from '../../../src/scenario/results.js';
import { runScenario } from '../../../src/scenario/runner.js';

function collecting(): { reporter: Reporter; steps: StepResult[] } {
  const steps: StepResult[] = [];
  return {
    steps,
    reporter: { scenarioStarted() {}, stepFinished: (_, step) => steps.push(step), scenarioFinished() {}, runFinished() {} },
  };
}

const repeatScenario = `
name: repeat
vars: { prefix: cm }
setup: { workers: 0 }
steps:
  - repeat:
      count: 3
      steps:
        - apply: { manifest: { apiVersion: v1, kind: ConfigMap, metadata: { name: "{{prefix}}-{{i}}" }, data: { index: "n{{i}}" } } }
        - expect: { object: "configmaps/{{prefix}}-{{i}}", jsonpath: "{.data.index}", equals: "n{{i}}" }
  - expect: { count: { resource: cm, namespace: default, selector: "", equals: 4 } }
  - patch: { object: configmaps/cm-1, type: json, patch: [{ op: add, path: /data/extra, value: "yes" }] }
  - expect: { object: configmaps/cm-1, jsonpath: "{.data}", equals: { index: "n1", extra: "yes" } }
  - delete: configmaps/cm-2
  - wait: { object: configmaps/cm-2, deleted: true, timeout: 10s }
  - advance: 90s
`;

t.test('repeat templates {{i}} per iteration; patch, delete, wait deleted, advance on virtual time', async (t) => {
  const { reporter, steps } = collecting();
  const result = await runScenario(parseScenario(repeatScenario, join(tmpdir(), 'repeat.yaml')), { reporter });
  t.ok(result.passed, JSON.stringify(steps.filter((s) => s.error)));
  t.same(
    steps.map((s) => s.id),
    ['0', '1.0.1', '1.0.2', '1.1.1', '1.1.2', '1.2.1', '1.2.2', '2', '3', '4', '5', '6', '7'],
  );
  t.equal(steps[2].label, 'expect configmaps/cm-0 {.data.index} == n0');
  t.equal(steps.at(-1)?.simulatedMs, 90_000, 'advance moved the virtual clock');
  t.ok(steps.at(-1)!.wallMs < 5_000);
});

t.test('a subresource step without virt-api fails with a clear message; an undefined variable fails its step', async (t) => {
  const text = 'name: s\nsetup: { workers: 0 }\nsteps:\n  - subresource: { action: start, name: vm-cirros }\n';
  const { reporter, steps } = collecting();
  const result = await runScenario(parseScenario(text, join(tmpdir(), 's.yaml')), { reporter });
  t.notOk(result.passed);
  t.match(
    steps[1].error?.message,
    /^virt-api's subresource API did not serve PUT \/apis\/subresources\.kubevirt\.io\/v1\/namespaces\/default\/virtualmachines\/vm-cirros\/start \(HTTP 404/,
  );

  const undefinedVar = collecting();
  const failed = await runScenario(
    parseScenario('name: u\nsetup: { workers: 0 }\nsteps:\n  - delete: "cm/{{nope}}"\n', join(tmpdir(), 'u.yaml')),
    { reporter: undefinedVar.reporter },
  );
  t.notOk(failed.passed);
  t.equal(undefinedVar.steps[1].error?.message, 'undefined variable "{{nope}}" (defined: none)');
});

t.test('--kubeconfig runs against a running emulator on real time', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'scenario-remote-'));
  const emulator = await startEmulator({
    port: 0,
    insecureHttp: true,
    kubeconfigPath: join(dir, 'kubeconfig'),
    workers: 1,
    dataDir: dir,
    logLevel: 'error',
  });
  t.teardown(async () => {
    await emulator.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const text = `
name: remote
steps:
  - apply: { manifest: { apiVersion: v1, kind: Namespace, metadata: { name: remote } } }
  - wait: { object: namespaces/remote, jsonpath: "{.status.phase}", value: Active, timeout: 5s, interval: 100ms }
  - kubectl: { args: get ns remote -o name, stdout: { equals: namespace/remote } }
  - advance: 200ms
`;
  const { reporter, steps } = collecting();
  const result = await runScenario(parseScenario(text, join(dir, 'remote.yaml')), { reporter, kubeconfig: emulator.kubeconfigPath });
  t.ok(result.passed, JSON.stringify(steps.filter((s) => s.error)));
  t.ok(steps.at(-1)!.wallMs >= 190, 'advance waits real time');
});
