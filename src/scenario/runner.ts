/**
 * Runs scenarios: sets up the environment (in-process emulator on a virtual
 * clock, or a running one through a kubeconfig), executes the steps in
 * order, reports each one, and stops at the first failure (the rest are
 * reported skipped). Every step is rendered with the scenario's `vars` (and
 * `i` inside a repeat) before it runs.
 */
import { performance } from 'node:perf_hooks';
import { StepFailure } from './assertions.js';
import { inProcessEnvironment, remoteEnvironment, type ClockMode, type Environment } from './environment.js';
import { installKubeVirt } from './kubevirt-install.js';
import type { Reporter, ScenarioResult, StepResult } from './results.js';
import { Consoles } from './console.js';
import { describeStep } from './describe.js';
import { executeStep, type StepContext } from './steps.js';
import { renderTemplate } from './template.js';
import type { Scalar, Scenario, Step } from './types.js';

export interface RunOptions {
  /** Run against the emulator this kubeconfig points to (real time) instead of starting one in-process. */
  kubeconfig?: string;
  /** In-process: simulation time on a virtual clock (default) or real time. */
  clock?: ClockMode;
  /** In-process: the simulation profile, instead of the scenario's setup.profile. */
  profile?: string;
  reporter: Reporter;
}

/** Wall and simulated time of one piece of work, and its outcome. */
async function timed(
  ctx: StepContext | undefined,
  work: () => Promise<void>,
): Promise<Pick<StepResult, 'status' | 'wallMs' | 'simulatedMs' | 'error'>> {
  const wallStart = performance.now();
  const simStart = ctx?.time.nowMs() ?? 0;
  let error: StepResult['error'];
  try {
    await work();
  } catch (err) {
    error =
      err instanceof StepFailure
        ? { message: err.message, detail: err.detail }
        : { message: err instanceof Error ? err.message : String(err), detail: {} };
  }
  return {
    status: error ? 'failed' : 'passed',
    wallMs: performance.now() - wallStart,
    simulatedMs: (ctx?.time.nowMs() ?? 0) - simStart,
    error,
  };
}

class ScenarioRun {
  readonly steps: StepResult[] = [];
  failed = false;

  constructor(
    private readonly scenario: Scenario,
    private readonly reporter: Reporter,
  ) {}

  record(step: StepResult): void {
    this.steps.push(step);
    if (step.status === 'failed') this.failed = true;
    this.reporter.stepFinished(this.scenario.name, step);
  }

  skip(id: string, label: string): void {
    this.record({ id, label, status: 'skipped', wallMs: 0, simulatedMs: 0 });
  }

  async runSteps(ctx: StepContext, steps: Step[], idPrefix: string, vars: Record<string, Scalar>): Promise<void> {
    for (const [index, raw] of steps.entries()) {
      const id = `${idPrefix}${index + 1}`;
      if (this.failed) {
        this.skip(id, describeStep(raw));
        continue;
      }
      if (raw.repeat) {
        // Inner steps render per iteration, once `i` is known.
        for (let i = 0; i < raw.repeat.count && !this.failed; i++)
          await this.runSteps(ctx, raw.repeat.steps, `${id}.${i}.`, { ...vars, i });
        continue;
      }
      let step: Step;
      try {
        step = renderTemplate(raw, vars);
      } catch (err) {
        this.record({
          id,
          label: describeStep(raw),
          status: 'failed',
          wallMs: 0,
          simulatedMs: 0,
          error: { message: err instanceof Error ? err.message : String(err), detail: {} },
        });
        continue;
      }
      const stepCtx = { ...ctx, vars };
      const outcome = await timed(ctx, async () => {
        await executeStep(stepCtx, step);
        await ctx.time.settle();
      });
      this.record({ id, label: describeStep(step), ...outcome });
    }
  }
}

export async function runScenario(scenario: Scenario, options: RunOptions): Promise<ScenarioResult> {
  const { reporter } = options;
  reporter.scenarioStarted(scenario.name, scenario.file);
  const run = new ScenarioRun(scenario, reporter);
  const wallStart = performance.now();
  const vars = scenario.vars ?? {};
  let env: Environment | undefined;
  let ctx: StepContext | undefined;
  let setupStartMs = 0;
  const setup = await timed(undefined, async () => {
    const setup = options.profile ? { ...scenario.setup, profile: options.profile } : scenario.setup;
    env = options.kubeconfig ? await remoteEnvironment(options.kubeconfig) : await inProcessEnvironment(setup, options.clock);
    setupStartMs = env.time.nowMs();
    ctx = {
      api: env.api,
      time: env.time,
      scenarioFile: scenario.file,
      kubeconfigPath: env.kubeconfigPath,
      kubectlCacheDir: env.kubectlCacheDir,
      vars,
      consoles: new Consoles(env.api),
    };
    if (scenario.setup?.kubevirt) await installKubeVirt(ctx, scenario.setup.featureGates);
  });
  const setupLabel = `setup${options.kubeconfig ? ` (${options.kubeconfig})` : ''}${scenario.setup?.kubevirt ? ', install KubeVirt' : ''}`;
  const simStart = ctx?.time.nowMs() ?? 0;
  run.record({ id: '0', label: setupLabel, ...setup, simulatedMs: ctx ? simStart - setupStartMs : 0 });
  try {
    if (ctx) await run.runSteps(ctx, scenario.steps, '', vars);
    else for (const [index, step] of scenario.steps.entries()) run.skip(String(index + 1), describeStep(step));
  } finally {
    ctx?.consoles.closeAll();
    await env?.stop();
  }
  const result: ScenarioResult = {
    name: scenario.name,
    file: scenario.file,
    passed: !run.failed,
    wallMs: performance.now() - wallStart,
    simulatedMs: ctx ? ctx.time.nowMs() - simStart : 0,
    steps: run.steps,
  };
  reporter.scenarioFinished(result);
  return result;
}

/** Runs each scenario in turn (each in its own environment) and reports the whole run. */
export async function runScenarios(scenarios: Scenario[], options: RunOptions): Promise<ScenarioResult[]> {
  const start = performance.now();
  const results: ScenarioResult[] = [];
  for (const scenario of scenarios) results.push(await runScenario(scenario, options));
  options.reporter.runFinished(results, performance.now() - start);
  return results;
}
