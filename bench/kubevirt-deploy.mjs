// KubeVirt deployment time: from `serve` ready to `kubectl wait kv kubevirt
// --for condition=Available` returning, with the pinned upstream kubectl and
// the instant profile, timed per phase (real KubeVirt takes minutes).
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDistModule, startQuietEmulator, temporaryDirectory } from './lib/emulator.mjs';
import { median, note, report } from './lib/report.mjs';

const RUNS = 3;
// The user's kubectl ($KUBECTL or PATH), as scenario steps use it.
const KUBECTL = (await loadDistModule('scenario/kubectl.js')).resolveKubectl();
const MANIFESTS = fileURLToPath(new URL('../schemas/kubevirt/manifests/', import.meta.url));

function kubectl(args, kubeconfig, cacheDir) {
  return new Promise((resolve, reject) => {
    const child = spawn(KUBECTL, args, {
      env: { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: cacheDir },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`kubectl ${args.join(' ')} failed: ${stderr}`))));
  });
}

async function oneRun() {
  const data = await temporaryDirectory('deploy-data');
  const work = await temporaryDirectory('deploy-work');
  const cacheDir = await mkdtemp(join(tmpdir(), 'kubevirt-emulator-bench-cache-'));
  const started = performance.now();
  const emulator = await startQuietEmulator(data.path, work.path);
  const phases = { serve: performance.now() - started };
  try {
    const kc = emulator.kubeconfigPath;
    let mark = performance.now();
    await kubectl(['apply', '-f', join(MANIFESTS, 'kubevirt-operator.yaml')], kc, cacheDir);
    phases.applyOperator = performance.now() - mark;
    mark = performance.now();
    await kubectl(['apply', '-f', join(MANIFESTS, 'kubevirt-cr.yaml')], kc, cacheDir);
    phases.applyCr = performance.now() - mark;
    mark = performance.now();
    await kubectl(['-n', 'kubevirt', 'wait', 'kv', 'kubevirt', '--for', 'condition=Available', '--timeout=120s'], kc, cacheDir);
    phases.waitAvailable = performance.now() - mark;
    phases.total = phases.applyOperator + phases.applyCr + phases.waitAvailable;
    return phases;
  } finally {
    await emulator.stop();
    await Promise.all([data.remove(), work.remove(), rm(cacheDir, { recursive: true, force: true })]);
  }
}

const runs = [];
for (let i = 0; i < RUNS; i++) runs.push(await oneRun());
note(`runs (ms): ${runs.map((r) => JSON.stringify(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Math.round(v)])))).join(' ')}`);
const phase = (key) => median(runs.map((r) => r[key])) / 1000;
report('kubevirt-deploy', [
  { metric: 'serve start (s, median)', value: phase('serve'), unit: 's' },
  { metric: 'kubectl apply kubevirt-operator.yaml (s, median)', value: phase('applyOperator'), unit: 's' },
  { metric: 'kubectl apply kubevirt-cr.yaml (s, median)', value: phase('applyCr'), unit: 's' },
  { metric: 'kubectl wait kv --for condition=Available (s, median)', value: phase('waitAvailable'), unit: 's' },
  { metric: 'ready to Available, the three commands (s, median)', value: phase('total'), unit: 's', target: { op: '<=', value: 2 } },
]);
