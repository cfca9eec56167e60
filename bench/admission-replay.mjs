// The admission chain's CPU per VM, measured alone: every call of the chain
// (mutating and validating plugins, policies, virt-api's webhooks) made while
// VMs start is recorded, then the same calls are replayed many times in a
// loop, so the figure is the chain's own work without the rest of the write
// (decoding, managed fields, the store) and with little of the machine's noise.
//   node bench/admission-replay.mjs                 this tree's dist/
//   node bench/admission-replay.mjs /work/wt/base9  and another built tree as the baseline, alternated in one run
//   BENCH_CPU_PROFILE=out.cpuprofile node bench/admission-replay.mjs --one .   a profile of the replays of this tree
// Each measurement runs in a fresh process of its own.
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { profileMeasuredPhase } from './lib/profile.mjs';
import { median, note, report } from './lib/report.mjs';

const VMS = 20;
const REPLAYS = 50;
const ROUNDS = 3;
const RESULT_PREFIX = 'ADMISSION_REPLAY ';
const VM = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine' };
const NAMESPACE = 'default';

/** In this process: records the chain's calls while VMS VMs start on the tree at `root`, then replays them. */
async function measureOne(root) {
  const at = (path) => pathToFileURL(join(root, path)).href;
  const { AdmissionChain } = await import(at('dist/admission/chain.js'));
  const { startQuietEmulator, temporaryDirectory } = await import(at('bench/lib/emulator.mjs'));
  const { cirrosVmiSpec, installKubeVirt } = await import(at('bench/lib/kubevirt.mjs'));
  const calls = [];
  let recording = false;
  for (const method of ['mutate', 'validate']) {
    const original = AdmissionChain.prototype[method];
    AdmissionChain.prototype[method] = function (attributes) {
      if (recording) calls.push({ chain: this, original, attributes });
      return original.call(this, attributes);
    };
  }
  const data = await temporaryDirectory('admission-data');
  const work = await temporaryDirectory('admission-work');
  const emulator = await startQuietEmulator(data.path, work.path, { insecureHttp: true, workers: 2, clock: 'virtual' });
  try {
    await installKubeVirt(emulator);
    const stopClock = emulator.clock.runFreely();
    const running = new Set();
    let allRunning;
    const done = new Promise((resolve) => (allRunning = resolve));
    const subscription = emulator.client.watch(VM, { namespace: NAMESPACE }).subscribe((event) => {
      if (event.object.status?.printableStatus === 'Running') running.add(event.object.metadata.name);
      if (running.size === VMS) allRunning();
    });
    recording = true;
    for (let i = 0; i < VMS; i++) {
      await emulator.client.create({
        ...VM,
        metadata: { name: `replay-${i}`, namespace: NAMESPACE },
        spec: { runStrategy: 'Always', template: { spec: cirrosVmiSpec() } },
      });
    }
    await done;
    recording = false;
    subscription.unsubscribe();
    stopClock();
    let failures = 0;
    const replay = async () => {
      for (const { chain, original, attributes } of calls) {
        await original.call(chain, { ...attributes, warnings: [] }).catch(() => failures++);
      }
    };
    await replay(); // warm-up: code compiled, caches filled
    failures = 0;
    const stopProfiling = await profileMeasuredPhase();
    const before = process.cpuUsage();
    for (let i = 0; i < REPLAYS; i++) await replay();
    const cpu = process.cpuUsage(before);
    await stopProfiling();
    const result = {
      root,
      callsPerVm: calls.length / VMS,
      msPerVm: (cpu.user + cpu.system) / 1000 / (REPLAYS * VMS),
      failuresPerVm: failures / (REPLAYS * VMS),
    };
    process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
  } finally {
    await emulator.stop();
    await data.remove();
    await work.remove();
  }
}

function measureInChild(root) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--one', root], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      const line = stdout.split('\n').find((text) => text.startsWith(RESULT_PREFIX));
      if (code !== 0 || !line) reject(new Error(`measuring ${root} failed (exit ${code})`));
      else resolvePromise(JSON.parse(line.slice(RESULT_PREFIX.length)));
    });
  });
}

async function main(baselineRoot) {
  const roots = [resolve(fileURLToPath(new URL('..', import.meta.url))), ...(baselineRoot ? [resolve(baselineRoot)] : [])];
  const figures = new Map(roots.map((root) => [root, []]));
  const loadBefore = loadavg();
  for (let round = 0; round < ROUNDS; round++) {
    for (const root of roots) {
      const result = await measureInChild(root);
      figures.get(root).push(result);
      note(`${root}: ${result.msPerVm.toFixed(3)} ms of admission CPU per VM (${result.callsPerVm.toFixed(1)} chain calls per VM)`);
    }
  }
  const loadAfter = loadavg();
  note(
    `load average (1, 5, 15 min) before ${loadBefore.map((l) => l.toFixed(1)).join(' ')}, after ${loadAfter.map((l) => l.toFixed(1)).join(' ')}`,
  );
  const perVm = (root) => median(figures.get(root).map((r) => r.msPerVm));
  const [tree, baseline] = roots;
  report('admission-replay', [
    { metric: 'admission chain CPU per VM (median)', value: perVm(tree), unit: 'ms' },
    { metric: 'admission chain calls per VM', value: figures.get(tree)[0].callsPerVm, unit: '' },
    ...(baseline
      ? [
          { metric: `baseline ${baseline}: admission chain CPU per VM (median)`, value: perVm(baseline), unit: 'ms' },
          { metric: 'this tree / baseline', value: perVm(tree) / perVm(baseline), unit: '' },
        ]
      : []),
  ]);
}

if (process.argv[2] === '--one') await measureOne(process.argv[3]);
else await main(process.argv[2]);
