/**
 * The scenario library (scenarios/*.yaml) run through the CLI's entry
 * function, in-process on virtual time, plus the failure reporting of a
 * deliberately broken scenario and the JUnit report.
 */
import t from 'tap';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScenarioFiles } from '../../src/cli/scenario.js';

const libraryDir = fileURLToPath(new URL('../../scenarios/', import.meta.url));
const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/scenarios/${name}`, import.meta.url));

/** Every element closed in order: the report parses as XML. */
function wellFormed(xml: string): boolean {
  const stack: string[] = [];
  for (const [, closing, name, selfClosing] of xml.replace(/<\?xml[^>]*\?>/, '').matchAll(/<(\/?)([A-Za-z]+)[^>]*?(\/?)>/g)) {
    if (selfClosing) continue;
    if (!closing) stack.push(name);
    else if (stack.pop() !== name) return false;
  }
  return stack.length === 0;
}

t.test('the whole library passes in-process', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'scenario-e2e-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const files = (await readdir(libraryDir))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(libraryDir, f));
  t.ok(files.length >= 5, `library: ${files.length} scenarios`);
  let output = '';
  const junit = join(dir, 'junit.xml');
  const code = await runScenarioFiles(files, { junit }, (text) => (output += text));
  t.equal(code, 0, code === 0 ? 'exit code 0' : output);
  t.match(output, `${files.length} passed, 0 failed`);
  t.match(output, /total wall time \d/);
  const xml = await readFile(junit, 'utf8');
  t.ok(wellFormed(xml), 'JUnit XML is well-formed');
  t.match(xml, /<testsuites name="kubevirt-emulator scenarios" tests="\d+" failures="0" skipped="0"/);
  t.equal([...xml.matchAll(/<testsuite /g)].length, files.length);
});

t.test('a broken scenario fails with step, path, expected and actual; TAP and JUnit say so too', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'scenario-e2e-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  let human = '';
  t.equal(await runScenarioFiles([fixture('broken.yaml')], {}, (text) => (human += text)), 1);
  t.match(human, 'step 2 (the wrong expectation): unexpected value at configmaps/settings {.data.replicas}');
  t.match(human, 'path:     configmaps/settings {.data.replicas}');
  t.match(human, '- expected: 5');
  t.match(human, '+ actual:   3');
  t.match(human, '- 3 never runs (skipped)');
  t.match(human, '0 passed, 1 failed: broken');

  let tap = '';
  const junit = join(dir, 'junit.xml');
  t.equal(await runScenarioFiles([fixture('broken.yaml')], { reporter: 'tap', junit }, (text) => (tap += text)), 1);
  t.match(tap, /^not ok 1 - broken # time=/m);
  t.match(tap, '      actual: "3"');
  const xml = await readFile(junit, 'utf8');
  t.ok(wellFormed(xml));
  t.match(xml, 'tests="4" failures="1" skipped="1"');
  t.match(xml, '<failure message="unexpected value at configmaps/settings {.data.replicas}">');
});

t.test('an invalid file is rejected before anything runs', async (t) => {
  let output = '';
  await t.rejects(
    runScenarioFiles([join(libraryDir, 'node-loss.yaml'), fixture('invalid.yaml')], {}, (text) => (output += text)),
    { message: /invalid\.yaml:9:7: steps\[1\]\.wait\.timeout: must be a duration/ },
  );
  t.equal(output, '', 'no scenario ran');
});
