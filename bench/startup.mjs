// (a) Start-to-ready: how long startEmulator() takes until it listens, and how
// long the CLI takes from process spawn to its ready line. Five runs each;
// the first uses a fresh data directory (the CA and serving certificate are
// generated), the others reuse it.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { loadDist, startQuietEmulator, temporaryDirectory } from './lib/emulator.mjs';
import { median, note, report } from './lib/report.mjs';

const RUNS = 5;
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const READY_TIMEOUT_MS = 30_000;

async function timeStartEmulator(dataDir, workDir) {
  const started = performance.now();
  const emulator = await startQuietEmulator(dataDir, workDir);
  const seconds = (performance.now() - started) / 1000;
  await emulator.stop();
  return seconds;
}

/** Spawns `serve`, resolves with the seconds until the ready line, then stops the process with SIGTERM. */
function timeCliStart(dataDir, workDir) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(
      process.execPath,
      [CLI, 'serve', '--port', '0', '--log-level', 'silent', '--data-dir', dataDir, '--kubeconfig', join(workDir, 'kubeconfig')],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('no ready line from the CLI'));
    }, READY_TIMEOUT_MS);
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith('kubevirt-emulator ready: ')) return;
      const seconds = (performance.now() - started) / 1000;
      clearTimeout(timer);
      child.once('exit', () => resolve(seconds));
      child.kill('SIGTERM');
    });
    child.once('error', reject);
  });
}

async function series(label, measure) {
  const dataDir = await temporaryDirectory(`${label}-data`);
  const workDir = await temporaryDirectory(`${label}-work`);
  try {
    const times = [];
    for (let run = 0; run < RUNS; run += 1) times.push(await measure(dataDir.path, workDir.path));
    note(`${label}: ${times.map((s) => s.toFixed(3)).join(' s, ')} s`);
    return times;
  } finally {
    await dataDir.remove();
    await workDir.remove();
  }
}

// Module loading is not part of startEmulator's cost: load once before timing.
await loadDist();
const inProcess = await series('startEmulator', timeStartEmulator);
const cli = await series('cli', timeCliStart);
report('startup', [
  { metric: 'startEmulator, first run (fresh data dir: certificates made; cold code)', value: inProcess[0], unit: 's' },
  { metric: `startEmulator, median of ${RUNS}`, value: median(inProcess), unit: 's', target: { op: '<=', value: 0.5 } },
  { metric: `CLI spawn to ready line, median of ${RUNS}`, value: median(cli), unit: 's' },
]);
