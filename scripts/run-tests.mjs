// Runs the compiled tap test files of .build/ (scripts/build-tests.mjs) as tap's runner does, each file in its own
// `node` process, two at a time, and prints one TAP stream: each file a subtest, then tap's summary line
// `# { total: N, pass: N, fail: N, ... }` summed over the files.
//
// Why not `tap` itself: tap's runner starts every test process with three module loaders (@tapjs/processinfo, which
// records every loaded file for coverage and `--changed`; @tapjs/mock; @tapjs/typescript) on Node 20's off-thread
// loader hooks, and with `--enable-source-maps`. None of them is used here (coverage is off, nothing is mocked, the
// files are already JavaScript), and none can be turned off: for a process that loads the emulator they cost about
// 1.5 CPU-seconds, a quarter of a typical e2e file. A tap test file is a program of its own that prints TAP and
// exits non-zero when it fails, so this runner starts it with plain `node`; the tests still use tap's API, and
// `npx tap test/x.test.ts` still runs one file from the sources during development.
//
// Usage (from .build/): node ../scripts/run-tests.mjs [file or directory ...] (a test/x.test.ts names its .js); `--reporter=...` and other tap options
// are accepted and ignored, so `npm test -- --reporter=tap` keeps working. Configuration comes from package.json's
// `tap` section: `jobs` and `timeout` (seconds per file).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';

const root = process.cwd();
const tapConfig = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).tap ?? {};
const jobs = Number(tapConfig.jobs ?? 2);
const timeoutSeconds = Number(tapConfig.timeout ?? 30);
// A file that has not exited this long after SIGTERM (its own children holding it open) is killed.
const killGraceMs = 5_000;

/** The `*.test.js` files under `path` (a file is taken as it is), sorted as tap sorts them. */
const testFiles = (path) => {
  if (statSync(path).isFile()) return [path];
  return readdirSync(path, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.test.js'))
    .map((entry) => relative(root, join(entry.parentPath ?? entry.path, entry.name)));
};
// A TypeScript path names its compiled file (`npm test -- test/e2e/x.test.ts`).
const operands = process.argv
  .slice(2)
  .filter((arg) => !arg.startsWith('-'))
  .map((arg) => arg.replace(/\.ts$/, '.js'));
const files = [...new Set((operands.length > 0 ? operands : ['test']).flatMap(testFiles))].sort((a, b) => a.localeCompare(b, 'en'));

/** Tap's summary line of one file's output, e.g. `# { total: 9, pass: 8, fail: 1 }`, as counts; undefined if absent. */
const summaryCounts = (output) => {
  const line = output.match(/^# \{ (total: \d+.*) \}$/m);
  if (!line) return undefined;
  return Object.fromEntries(
    line[1]
      .split(', ')
      .map((pair) => pair.split(': '))
      .map(([key, value]) => [key, Number(value)]),
  );
};

// Each file's environment: this process's without the variables a tap runner above this one set (a file that inherits
// them reports as that runner's subtest, without its summary line), with the root test's timeout as tap's runner gives it.
const fileEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^_?TAP/.test(key))),
  TAP: '1',
  TAP_TIMEOUT: String(timeoutSeconds),
};

/** Runs one file; resolves with its output, exit code or signal, whether it timed out, and its wall time. */
const runFile = (file) =>
  new Promise((resolve) => {
    const started = performance.now();
    // Its own process group, so a timeout also ends the kubectl, etcd and emulator processes the file started.
    const child = spawn(process.execPath, [file], {
      cwd: root,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: fileEnv,
    });
    running.add(child);
    const chunks = [];
    child.stdout.on('data', (chunk) => chunks.push(chunk));
    child.stderr.on('data', (chunk) => process.stderr.write(chunk));
    let timedOut = false;
    // A file that cannot be started (node gone, cwd removed) fails like one that crashed; 'close' follows this.
    let startError;
    child.on('error', (error) => {
      startError = error;
    });
    const killGroup = (signal) => {
      try {
        process.kill(-child.pid, signal);
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      setTimeout(() => killGroup('SIGKILL'), killGraceMs).unref();
    }, timeoutSeconds * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      // Whatever the file left running in its group goes with it, as when tap's runner ends a file.
      killGroup('SIGKILL');
      const output = Buffer.concat(chunks).toString('utf8') + (startError ? `# could not start: ${startError.message}\n` : '');
      resolve({ output, code: startError ? 1 : code, signal, timedOut, ms: performance.now() - started });
    });
  });

const running = new Set();
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of running) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    process.exit(130);
  });
}

const totals = { total: 0, pass: 0, fail: 0, todo: 0, skip: 0 };
let failedFiles = 0;
/** Each failed file's `not ok` lines with the diagnostics under them, printed again after the summary so the end of a long log says what failed. */
const failureDigests = [];
let reported = 0;
const indent = (text) => text.replace(/^(?=.)/gm, '    ');

/**
 * A failed file's `not ok` lines, each with the indented diagnostics that follow it (at most 30 lines each), as TAP
 * comments; a file that failed without one (a crash, a timeout) shows the last lines it printed.
 */
const failureDigest = (file, output, why) => {
  const lines = output.trimEnd().split('\n');
  const digest = [];
  lines.forEach((line, index) => {
    const failing = line.match(/^(\s*)not ok /);
    if (!failing) return;
    digest.push(line);
    const depth = failing[1].length;
    for (const next of lines.slice(index + 1, index + 31)) {
      if (next.trim() !== '' && next.search(/\S/) <= depth) break;
      digest.push(next);
    }
  });
  const shown = digest.length > 0 ? digest : lines.slice(-30);
  return [`failed: ${file}${why}`, ...shown.map((line) => `  ${line}`)].map((line) => `# ${line}`).join('\n');
};

/** Prints one file's result as a subtest of the run and adds its counts. */
const report = (file, { output, code, signal, timedOut, ms }) => {
  const counts = summaryCounts(output);
  for (const key of Object.keys(totals)) totals[key] += counts?.[key] ?? 0;
  // A file that timed out, crashed or exited non-zero without a failing assertion fails once, as with tap's runner;
  // without its summary line, what it printed before is shown but not counted.
  const failedUnreported = (timedOut || code !== 0 || counts === undefined) && !(counts?.fail > 0);
  if (failedUnreported) {
    totals.total += 1;
    totals.fail += 1;
  }
  const ok = !failedUnreported && !(counts?.fail > 0);
  const why = timedOut ? ` # timeout after ${timeoutSeconds} s` : failedUnreported ? ` # exited ${signal ?? code}` : '';
  if (!ok) {
    failedFiles += 1;
    failureDigests.push(failureDigest(file, output, why));
  }
  reported += 1;
  process.stdout.write(`# Subtest: ${file}\n${indent(output.trimEnd())}\n`);
  process.stdout.write(`${ok ? 'ok' : 'not ok'} ${reported} - ${file}${why} # time=${ms.toFixed(3)}ms\n\n`);
};

const started = performance.now();
process.stdout.write('TAP version 14\n');
const queue = [...files];
await Promise.all(
  Array.from({ length: Math.min(jobs, queue.length) }, async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) report(file, await runFile(file));
  }),
);
process.stdout.write(`1..${files.length}\n`);
const summary = Object.entries(totals)
  .filter(([key, value]) => key === 'total' || value > 0)
  .map(([key, value]) => `${key}: ${value}`)
  .join(', ');
process.stdout.write(`# { ${summary} }\n# time=${(performance.now() - started).toFixed(3)}ms\n`);
if (failureDigests.length > 0) process.stdout.write(`${failureDigests.join('\n')}\n`);
process.exitCode = failedFiles > 0 ? 1 : 0;
