import t from 'tap';
import { humanReporter, junitXml, tapReporter } from '../../../src/scenario/reporters.js';
import type { ScenarioResult } from '../../../src/scenario/results.js';

const failed: ScenarioResult = {
  name: 'broken <one>',
  file: '/tmp/broken.yaml',
  passed: false,
  wallMs: 1500,
  simulatedMs: 60_000,
  steps: [
    { id: '0', label: 'setup', status: 'passed', wallMs: 1000, simulatedMs: 0 },
    {
      id: '1',
      label: 'expect configmaps/settings {.data.replicas} == "5"',
      status: 'failed',
      wallMs: 3,
      simulatedMs: 0,
      error: {
        message: 'unexpected value at configmaps/settings {.data.replicas}',
        detail: { path: 'configmaps/settings {.data.replicas}', expected: '5', actual: '3' },
      },
    },
    { id: '2', label: 'advance 1s', status: 'skipped', wallMs: 0, simulatedMs: 0 },
  ],
};

function capture(): { write: (s: string) => void; text: () => string } {
  let out = '';
  return { write: (s) => (out += s), text: () => out };
}

t.test('human: each step with timing; the failure names step, path, expected and actual', async (t) => {
  const out = capture();
  const reporter = humanReporter(out.write);
  reporter.scenarioStarted(failed.name, failed.file);
  for (const step of failed.steps) reporter.stepFinished(failed.name, step);
  reporter.scenarioFinished(failed);
  reporter.runFinished([failed], 1600);
  const text = out.text();
  t.match(text, '✓ 0 setup (1.00s)');
  t.match(text, 'step 1 (expect configmaps/settings {.data.replicas} == "5"): unexpected value');
  t.match(text, 'path:     configmaps/settings {.data.replicas}');
  t.match(text, '- expected: 5');
  t.match(text, '+ actual:   3');
  t.match(text, '- 2 advance 1s (skipped)');
  t.match(text, 'FAIL broken <one> (1.50s, 1m0s simulated)');
  t.match(text, '0 passed, 1 failed: broken <one>\ntotal wall time 1.60s');
});

t.test('tap: a subtest per scenario with YAML diagnostics', async (t) => {
  const out = capture();
  const reporter = tapReporter(out.write);
  reporter.scenarioStarted(failed.name, failed.file);
  for (const step of failed.steps) reporter.stepFinished(failed.name, step);
  reporter.scenarioFinished(failed);
  reporter.runFinished([failed], 1600);
  const lines = out.text().split('\n');
  t.equal(lines[0], 'TAP version 14');
  t.ok(lines.includes('    not ok 2 - 1 expect configmaps/settings {.data.replicas} == "5"'));
  t.ok(lines.includes('      expected: "5"'));
  t.ok(lines.includes('    ok 3 - 2 advance 1s # SKIP'));
  t.ok(lines.includes('    1..3'));
  t.match(out.text(), /^not ok 1 - broken <one> # time=1500ms$/m);
  t.match(out.text(), /^1\.\.1$/m);
});

t.test('junit: escaped, counted, failures with the diff', async (t) => {
  const xml = junitXml([failed], 1600);
  t.match(
    xml,
    /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="kubevirt-emulator scenarios" tests="3" failures="1" skipped="1" time="1\.600">/,
  );
  t.match(xml, '<testsuite name="broken &lt;one&gt;"');
  t.match(xml, '<failure message="unexpected value at configmaps/settings {.data.replicas}">');
  t.match(xml, '- expected: 5');
  t.match(xml, '<skipped/>');
  t.notMatch(xml, /<one>/);
});
