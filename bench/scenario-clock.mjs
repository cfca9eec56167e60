// Virtual against real time (acceptance 3 of the scenarios issue): the same
// scenario (default scenarios/node-loss.yaml; another as the first argument)
// run in-process with the realistic profile, once on the virtual clock and
// once on real time, both expected to pass (the scenario's expectations are
// its end state). Prints both wall times and their ratio. The real-time run
// of node-loss lasts as long as the scenario's simulated time (about 6
// minutes: the 50 s node grace period and the 300 s toleration are real).
// Needs `npm run build`.
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { loadScenario } from '../dist/scenario/loader.js';
import { runScenario } from '../dist/scenario/runner.js';
import { note, report } from './lib/report.mjs';

const file = process.argv[2] ? resolve(process.argv[2]) : fileURLToPath(new URL('../scenarios/node-loss.yaml', import.meta.url));
const PROFILE = 'realistic';

/** A reporter that only notes failed steps. */
const quiet = {
  scenarioStarted() {},
  stepFinished(_scenario, step) {
    if (step.status === 'failed') note(`step ${step.id} (${step.label}) failed: ${step.error?.message ?? ''}`);
  },
  scenarioFinished() {},
  runFinished() {},
};

async function run(clock) {
  note(`${clock} clock, ${PROFILE} profile: ${file}`);
  const result = await runScenario(loadScenario(file), { clock, profile: PROFILE, reporter: quiet });
  if (!result.passed) throw new Error(`${result.name} failed on the ${clock} clock`);
  note(`${clock}: ${(result.wallMs / 1000).toFixed(2)} s wall, ${(result.simulatedMs / 1000).toFixed(1)} s simulated after setup`);
  return result;
}

const virtual = await run('virtual');
const real = await run('real');
const outcome = (result) => result.steps.map((step) => `${step.id}:${step.status}`).join(' ');
if (outcome(virtual) !== outcome(real)) throw new Error(`the runs differ: virtual ${outcome(virtual)} / real ${outcome(real)}`);
report('scenario-clock', [
  { metric: `${virtual.name} on the virtual clock, wall time`, value: virtual.wallMs / 1000, unit: 's' },
  { metric: `${real.name} on real time, wall time`, value: real.wallMs / 1000, unit: 's' },
  { metric: 'real / virtual wall time', value: real.wallMs / virtual.wallMs, unit: '×', target: { op: '>=', value: 100 } },
]);
