// CPU time of installing KubeVirt into a fresh emulator, the two ways tests do it: in-process
// (`startEmulator({ installKubeVirt: true })`, src/kubevirt/install.ts) and as a user does with the real kubectl
// (apply kubevirt-operator.yaml, apply kubevirt-cr.yaml, kubectl wait), the kubectl processes' CPU included.
// Each round starts one emulator of each kind in one process (after a warm-up of each, so module loading and
// first-use compilation are not counted), and a bare emulator beside them: an install's cost is its emulator's
// CPU less the bare one's. Medians of the rounds; the ratio kubectl / in-process is what the figures compare.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDistModule, startQuietEmulator, temporaryDirectory } from './lib/emulator.mjs';
import { median, note, report } from './lib/report.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const KUBECTL = (await loadDistModule('scenario/kubectl.js')).resolveKubectl();
const MANIFESTS = fileURLToPath(new URL('../schemas/kubevirt/manifests/', import.meta.url));
const KUBECTL_STEPS = [
  ['apply', '-f', join(MANIFESTS, 'kubevirt-operator.yaml')],
  ['apply', '-f', join(MANIFESTS, 'kubevirt-cr.yaml')],
  ['-n', 'kubevirt', 'wait', 'kv', 'kubevirt', '--for', 'condition=Available', '--timeout=120s'],
];

/** Seconds of "XmY.Zs" as the shell's `times` prints them. */
const shellSeconds = (text) => {
  const [, minutes, seconds] = /^(\d+)m([\d.]+)s$/.exec(text) ?? [];
  return Number(minutes) * 60 + Number(seconds);
};

/** Runs kubectl under sh, whose `times` reports the user and system CPU of its child: answers those seconds. */
function kubectlCpu(args, kubeconfig, cacheDir) {
  return new Promise((resolve, reject) => {
    const script = '"$0" "$@" >/dev/null; code=$?; times >&2; exit $code';
    const child = spawn('sh', ['-c', script, KUBECTL, ...args], {
      env: { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: cacheDir },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`kubectl ${args.join(' ')} failed: ${stderr}`));
      const [user, system] = stderr.trim().split('\n').at(-1).split(/\s+/).map(shellSeconds);
      resolve(user + system);
    });
  });
}

const processCpu = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

/** CPU seconds of starting an emulator (installing KubeVirt the `mode` way) and stopping it. */
async function oneEmulator(dataDir, mode) {
  const work = await temporaryDirectory('install-cpu-work');
  const cacheDir = await mkdtemp(join(tmpdir(), 'kubevirt-emulator-bench-cache-'));
  const started = processCpu();
  let children = 0;
  const emulator = await startQuietEmulator(dataDir, work.path, { workers: 1, installKubeVirt: mode === 'in-process' });
  try {
    if (mode === 'kubectl') for (const args of KUBECTL_STEPS) children += await kubectlCpu(args, emulator.kubeconfigPath, cacheDir);
  } finally {
    await emulator.stop();
    await Promise.all([work.remove(), rm(cacheDir, { recursive: true, force: true })]);
  }
  return processCpu() - started + children;
}

const MODES = ['bare', 'in-process', 'kubectl'];
const data = await temporaryDirectory('install-cpu-data');
const cpu = Object.fromEntries(MODES.map((mode) => [mode, []]));
try {
  for (const mode of MODES) await oneEmulator(data.path, mode);
  for (let round = 0; round < ROUNDS; round++) for (const mode of MODES) cpu[mode].push(await oneEmulator(data.path, mode));
} finally {
  await data.remove();
}
note(`CPU s per emulator: ${MODES.map((mode) => `${mode} ${cpu[mode].map((s) => s.toFixed(2)).join(' ')}`).join('; ')}`);
const bare = median(cpu.bare);
const inProcess = median(cpu['in-process']) - bare;
const viaKubectl = median(cpu.kubectl) - bare;
report('install-cpu', [
  { metric: 'bare emulator start and stop (CPU s, median)', value: bare, unit: 's' },
  { metric: 'in-process install beyond that (CPU s, median)', value: inProcess, unit: 's' },
  { metric: 'kubectl install beyond that, kubectl included (CPU s, median)', value: viaKubectl, unit: 's' },
  { metric: 'kubectl / in-process', value: viaKubectl / inProcess },
]);
