/**
 * scripts/run-tests.mjs, the runner `npm test` uses instead of tap's: its summary must count what the files report,
 * and a file that fails without saying so (killed, hung) must fail the run, never pass silently.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const runner = fileURLToPath(new URL('../../../scripts/run-tests.mjs', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/test-runner/${name}.fixture.js`, import.meta.url));

interface RunnerResult {
  code: number | null;
  stdout: string;
}

/** Runs the runner in a directory whose package.json gives it `timeout` seconds per file. */
function runRunner(dir: string, files: string[], timeout = 30): Promise<RunnerResult> {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ tap: { jobs: 2, timeout } }));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [runner, '--reporter=tap', ...files], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

/** The run's own summary: the last unindented `# { ... }` line, as `.ci/run` reads it. */
const summary = (stdout: string) => stdout.match(/^# \{ .* \}$/gm)?.at(-1);

t.test('a passing file: its assertions counted, exit 0', async (t) => {
  const { code, stdout } = await runRunner(t.testdir(), [fixture('passing')]);
  t.equal(code, 0);
  t.equal(summary(stdout), '# { total: 3, pass: 3 }');
  t.match(stdout, /^ok 1 - .*passing\.fixture\.js # time=/m);
  t.match(stdout, /^1\.\.1$/m);
});

t.test('a failing assertion and a killed file both fail the run', async (t) => {
  const { code, stdout } = await runRunner(t.testdir(), [fixture('passing'), fixture('failing'), fixture('crashing')]);
  t.equal(code, 1);
  // passing 3/3, failing 1 pass + 1 fail, crashing 1 fail for dying without a summary (what it printed before is
  // shown, not counted: only a file's own summary line says what it passed).
  t.equal(summary(stdout), '# { total: 6, pass: 4, fail: 2 }');
  t.match(stdout, /^not ok \d - .*failing\.fixture\.js # time=/m);
  t.match(stdout, /^not ok \d - .*crashing\.fixture\.js # exited SIGKILL # time=/m);
  t.match(stdout, /^ {4}ok 1 - printed before the crash$/m, "the file's own output is kept, indented");
  // After the summary, what failed again, so the end of a long log (all a CI page may show) names it.
  const after = stdout.slice(stdout.lastIndexOf('# { total'));
  t.match(after, /^# failed: .*failing\.fixture\.js\n# {3}not ok 2 - fails\n# {5}---\n/m, 'the failing assertion with its diagnostics');
  t.match(after, /^# {7}-2\n# {7}\+1$/m, 'the diff of expected and found');
  t.match(
    after,
    /^# failed: .*crashing\.fixture\.js # exited SIGKILL\n(# .*\n)*# {3}ok 1 - printed before the crash$/m,
    'a crash shows its last lines',
  );
  t.notMatch(after, /passing\.fixture/, 'a passing file is not listed');
});

t.test('a file that outlives its timeout is ended and fails', async (t) => {
  const { code, stdout } = await runRunner(t.testdir(), [fixture('hanging')], 2);
  t.equal(code, 1);
  t.match(stdout, /^not ok 1 - .*hanging\.fixture\.js/m);
  t.match(summary(stdout), /fail: [1-9]/);
});
