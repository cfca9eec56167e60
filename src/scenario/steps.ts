/**
 * What each step type does against the cluster. A step either returns or
 * throws: a StepFailure for an unmet expectation (with path, expected and
 * actual), any other Error for something that could not be done at all.
 * `repeat` is the runner's (it reports its inner steps one by one).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../api/types.js';
import { ApiError, type ClusterApi, type ResourceInfo } from './cluster-api.js';
import { jsonPathText, jsonPathValues, matchesExpected, matchesText, shownActual, StepFailure } from './assertions.js';
import { formatDuration, parseDuration } from '../runtime/duration.js';
import { runKubectl } from './kubectl.js';
import type { ScenarioTime } from './sim-time.js';
import { renderTemplate } from './template.js';
import { actionOf, type Step } from './types.js';
import type {
  ApplyStep,
  ConsoleStep,
  DeleteStep,
  ExpectStep,
  FaultStep,
  KubectlStep,
  MetricExpectation,
  PatchStep,
  Scalar,
  StepActions,
  SubresourceStep,
  TextMatcher,
  WaitStep,
} from './types.js';
import { metricSum } from './metrics.js';
import type { Consoles } from './console.js';

export interface StepContext {
  api: ClusterApi;
  time: ScenarioTime;
  scenarioFile: string;
  kubeconfigPath: string;
  /** kubectl's discovery cache for this run (KUBECACHEDIR). */
  kubectlCacheDir: string;
  vars: Record<string, Scalar>;
  /** The serial consoles the scenario has open, one per VMI. */
  consoles: Consoles;
}

const DEFAULT_NAMESPACE = 'default';
const DEFAULT_WAIT_TIMEOUT = '1m';
const DEFAULT_WAIT_INTERVAL = '1s';
/** How long (simulated) a fault step waits for the fault controller to take the Fault on. */
const FAULT_PICKUP_MS = 30_000;
const FAULT_POLL_MS = 250;

const FAULT_API = '/apis/emulator.kubevirt.io/v1alpha1';
/** Subresources of the VM; the others are the VMI's (as virtctl calls them). */
const VM_ACTIONS = new Set(['start', 'stop', 'restart', 'migrate', 'addvolume', 'removevolume']);
const PATCH_CONTENT_TYPES = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
} as const;

interface ObjectRef {
  info: ResourceInfo;
  namespace: string | undefined;
  name: string;
  /** As written in the scenario, for messages. */
  text: string;
}

async function resolveRef(ctx: StepContext, text: string, namespace: string | undefined): Promise<ObjectRef> {
  const slash = text.indexOf('/');
  if (slash <= 0 || slash === text.length - 1)
    throw new Error(`"${text}" is not an object reference: write resource/name, e.g. vm/vm-cirros`);
  const info = await ctx.api.resource(text.slice(0, slash));
  return { info, namespace: info.namespaced ? (namespace ?? DEFAULT_NAMESPACE) : undefined, name: text.slice(slash + 1), text };
}

const getObject = (ctx: StepContext, ref: ObjectRef): Promise<KubeObject | undefined> => ctx.api.get(ref.info, ref.namespace, ref.name);

// ---- apply, delete, patch ----

function manifestsOf(ctx: StepContext, step: ApplyStep): KubeObject[] {
  const source = typeof step === 'string' ? { file: step } : step;
  if (source.manifest !== undefined && typeof source.manifest === 'object') return [source.manifest as KubeObject];
  const text = source.file !== undefined ? readFileSync(resolve(dirname(ctx.scenarioFile), source.file), 'utf8') : String(source.manifest);
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((obj): obj is KubeObject => obj !== null)
    .map((obj) => renderTemplate(obj, ctx.vars));
}

async function apply(ctx: StepContext, step: ApplyStep): Promise<void> {
  const namespace = typeof step === 'string' ? undefined : step.namespace;
  for (const obj of manifestsOf(ctx, step)) await ctx.api.apply(obj, namespace);
}

async function deleteObject(ctx: StepContext, step: DeleteStep): Promise<void> {
  const options = typeof step === 'string' ? { object: step } : step;
  const ref = await resolveRef(ctx, options.object, options.namespace);
  const body = {
    kind: 'DeleteOptions',
    apiVersion: 'v1',
    propagationPolicy: 'Background',
    ...(options.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: options.gracePeriodSeconds } : {}),
  };
  const response = await ctx.api.request('DELETE', ctx.api.pathOf(ref.info, ref.namespace, ref.name), body);
  if (response.status === 404 && options.ignoreNotFound) return;
  if (response.status >= 300)
    throw new StepFailure(`delete ${ref.text} failed: HTTP ${response.status}`, {
      path: ref.text,
      expected: 'deleted',
      actual: messageOf(response.body),
    });
}

async function patch(ctx: StepContext, step: PatchStep): Promise<void> {
  const ref = await resolveRef(ctx, step.object, step.namespace);
  const path = ctx.api.pathOf(ref.info, ref.namespace, ref.name) + (step.subresource ? `/${step.subresource}` : '');
  await ctx.api.call('PATCH', path, step.patch, PATCH_CONTENT_TYPES[step.type ?? 'merge']);
}

const messageOf = (body: unknown): string =>
  typeof body === 'object' && body !== null && 'message' in body ? String((body as { message: unknown }).message) : JSON.stringify(body);

// ---- subresource, kubectl ----

/** A 404 Status with details names the missing VM/VMI; without, the route itself is not served. */
const namesAnObject = (body: unknown): boolean =>
  typeof body === 'object' && body !== null && (body as { details?: unknown }).details !== undefined;

async function subresource(ctx: StepContext, step: SubresourceStep): Promise<void> {
  const plural = VM_ACTIONS.has(step.action) ? 'virtualmachines' : 'virtualmachineinstances';
  const path = `/apis/subresources.kubevirt.io/v1/namespaces/${step.namespace ?? DEFAULT_NAMESPACE}/${plural}/${step.name}/${step.action}`;
  const response = await ctx.api.request('PUT', path, step.body ?? {});
  if (step.expectStatus !== undefined) {
    if (response.status !== step.expectStatus)
      throw new StepFailure(`PUT ${path} answered HTTP ${response.status}`, {
        path: `PUT ${path} status`,
        expected: step.expectStatus,
        actual: `${response.status} ${messageOf(response.body)}`,
      });
    return;
  }
  if (response.status === 404 && !namesAnObject(response.body)) {
    throw new StepFailure(
      `virt-api's subresource API did not serve PUT ${path} (HTTP 404: ${messageOf(response.body)}); is KubeVirt installed and its subresources API available?`,
    );
  }
  if (response.status >= 300)
    throw new StepFailure(`${step.action} ${step.name} failed`, {
      path: `PUT ${path}`,
      expected: 'HTTP 2xx',
      actual: `HTTP ${response.status}: ${messageOf(response.body)}`,
    });
}

function checkText(what: string, matcher: TextMatcher | undefined, text: string): void {
  if (!matcher) return;
  if (matcher.equals !== undefined && text.trim() !== matcher.equals.trim())
    throw new StepFailure(`${what} differs`, { path: what, expected: matcher.equals, actual: text });
  if (matcher.contains !== undefined && !text.includes(matcher.contains))
    throw new StepFailure(`${what} does not contain the text`, {
      path: what,
      expected: `contains ${JSON.stringify(matcher.contains)}`,
      actual: text,
    });
  if (matcher.matches !== undefined && !matchesText(matcher.matches, text))
    throw new StepFailure(`${what} does not match`, { path: what, expected: `matches /${matcher.matches}/`, actual: text });
}

async function kubectl(ctx: StepContext, step: KubectlStep): Promise<void> {
  const options = typeof step === 'string' ? { args: step } : step;
  const args = typeof options.args === 'string' ? options.args.split(/\s+/).filter(Boolean) : options.args;
  const result = await ctx.time.alongsideWallClock(() =>
    runKubectl(args, { kubeconfig: ctx.kubeconfigPath, cacheDir: ctx.kubectlCacheDir }, options.input),
  );
  const expectedCode = options.exitCode ?? 0;
  if (result.code !== expectedCode) {
    throw new StepFailure(`kubectl ${args.join(' ')} exited with ${result.code}`, {
      path: 'kubectl exit code',
      expected: expectedCode,
      actual: `${result.code}${result.stderr ? `, stderr: ${result.stderr.trim()}` : ''}`,
    });
  }
  checkText('kubectl stdout', options.stdout, result.stdout);
  checkText('kubectl stderr', options.stderr, result.stderr);
}

// ---- wait ----

interface Observation {
  ok: boolean;
  path: string;
  expected: unknown;
  actual: unknown;
}

function observeWait(step: WaitStep, ref: ObjectRef, obj: KubeObject | undefined): Observation {
  if (step.deleted) return { ok: obj === undefined, path: ref.text, expected: '<deleted>', actual: obj ? 'exists' : '<deleted>' };
  const missing = (path: string, expected: unknown): Observation => ({ ok: false, path, expected, actual: '<object not found>' });
  if (step.condition !== undefined) {
    const [type, status = 'True'] = step.condition.split('=');
    const path = `${ref.text} condition ${type}`;
    if (!obj) return missing(path, status);
    const conditions = (obj.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? [];
    const found = conditions.find((c) => c.type === type);
    return { ok: found?.status === status, path, expected: status, actual: found?.status ?? '<absent>' };
  }
  const expr = step.printableStatus !== undefined ? '{.status.printableStatus}' : (step.jsonpath ?? '');
  const expected = step.printableStatus ?? step.value;
  const path = `${ref.text} ${expr}`;
  if (!obj) return missing(path, expected ?? '<exists>');
  const values = jsonPathValues(expr, obj);
  const ok = expected === undefined ? values.length > 0 : matchesExpected(expected, values);
  return { ok, path, expected: expected ?? '<exists>', actual: shownActual(values) };
}

async function wait(ctx: StepContext, step: WaitStep): Promise<void> {
  const timeoutMs = parseDuration(step.timeout ?? DEFAULT_WAIT_TIMEOUT);
  const intervalMs = parseDuration(step.interval ?? DEFAULT_WAIT_INTERVAL);
  const ref = await resolveRef(ctx, step.object, step.namespace);
  const startMs = ctx.time.nowMs();
  for (;;) {
    const seen = observeWait(step, ref, await getObject(ctx, ref));
    if (seen.ok) return;
    const elapsed = ctx.time.nowMs() - startMs;
    if (elapsed >= timeoutMs) {
      throw new StepFailure(
        `timed out after ${formatDuration(timeoutMs)}${ctx.time.virtual ? ' of simulated time' : ''} waiting for ${seen.path}`,
        { path: seen.path, expected: seen.expected, actual: seen.actual },
      );
    }
    await ctx.time.advance(Math.min(intervalMs, timeoutMs - elapsed));
  }
}

// ---- expect ----

async function expectObject(ctx: StepContext, step: ExpectStep & { object: string; jsonpath: string }): Promise<void> {
  const ref = await resolveRef(ctx, step.object, step.namespace);
  const path = `${ref.text} ${step.jsonpath}`;
  const obj = await getObject(ctx, ref);
  if (!obj) throw new StepFailure(`${ref.text} not found`, { path, expected: 'the object', actual: '<object not found>' });
  const values = jsonPathValues(step.jsonpath, obj);
  const fail = (expected: unknown): never => {
    throw new StepFailure(`unexpected value at ${path}`, { path, expected, actual: shownActual(values) });
  };
  if (step.exists !== undefined && step.exists !== values.length > 0) fail(step.exists ? '<exists>' : '<absent>');
  if (step.equals !== undefined && !matchesExpected(step.equals, values)) fail(step.equals);
  if (step.matches !== undefined && !(values.length > 0 && matchesText(step.matches, jsonPathText(values))))
    fail(`matches /${step.matches}/`);
  if (step.exists === undefined && step.equals === undefined && step.matches === undefined && values.length === 0) fail('<exists>');
}

async function expectCount(ctx: StepContext, count: NonNullable<ExpectStep['count']>): Promise<void> {
  const info = await ctx.api.resource(count.resource);
  const items = await ctx.api.list(info, { namespace: count.namespace, labelSelector: count.selector, fieldSelector: count.fieldSelector });
  if (items.length !== count.equals) {
    const selectors = [
      count.selector && `-l ${count.selector}`,
      count.fieldSelector && `--field-selector ${count.fieldSelector}`,
      count.namespace && `-n ${count.namespace}`,
    ]
      .filter(Boolean)
      .join(' ');
    const path = `count of ${count.resource}${selectors ? ` ${selectors}` : ''}`;
    throw new StepFailure(`expected ${count.equals} ${count.resource}, found ${items.length}`, {
      path,
      expected: count.equals,
      actual: items.length === 0 ? 0 : `${items.length}: ${items.map((i) => i.metadata.name).join(', ')}`,
    });
  }
}

interface CoreEvent extends KubeObject {
  reason?: string;
  type?: string;
  message?: string;
  involvedObject?: { kind?: string; name?: string; namespace?: string };
}

async function expectEvent(ctx: StepContext, step: ExpectStep, event: NonNullable<ExpectStep['event']>): Promise<void> {
  const ref = event.object ? await resolveRef(ctx, event.object, step.namespace) : undefined;
  const events = (await ctx.api.list(await ctx.api.resource('events'), { namespace: ref?.namespace ?? step.namespace })) as CoreEvent[];
  const about = events.filter((e) => !ref || (e.involvedObject?.kind === ref.info.kind && e.involvedObject?.name === ref.name));
  const found = about.some(
    (e) =>
      e.reason === event.reason && (!event.type || e.type === event.type) && (!event.message || (e.message ?? '').includes(event.message)),
  );
  if (!found) {
    const wanted = [event.type, event.reason, event.message && `"…${event.message}…"`].filter(Boolean).join(' ');
    throw new StepFailure(`no event ${wanted}${ref ? ` for ${ref.text}` : ''}`, {
      path: `events${ref ? ` of ${ref.text}` : ''}`,
      expected: wanted,
      actual: about.length ? about.map((e) => `${e.type ?? ''} ${e.reason ?? ''}: ${e.message ?? ''}`) : '<no events>',
    });
  }
}

async function expectMetric(ctx: StepContext, metric: MetricExpectation): Promise<void> {
  const response = await ctx.api.request('GET', '/metrics');
  if (response.status !== 200 || typeof response.body !== 'string') throw new Error(`GET /metrics answered HTTP ${response.status}`);
  const value = metricSum(response.body, metric.name, metric.labels ?? {});
  const labels = Object.entries(metric.labels ?? {}).map(([k, v]) => `${k}="${v}"`);
  const path = `${metric.name}{${labels.join(',')}}`;
  const unmet = [
    metric.equals !== undefined && value !== metric.equals && `== ${metric.equals}`,
    metric.atLeast !== undefined && value < metric.atLeast && `>= ${metric.atLeast}`,
    metric.atMost !== undefined && value > metric.atMost && `<= ${metric.atMost}`,
  ].filter((x): x is string => typeof x === 'string');
  if (unmet.length) throw new StepFailure(`metric ${path} is ${value}`, { path, expected: unmet.join(' and '), actual: value });
}

async function expect(ctx: StepContext, step: ExpectStep): Promise<void> {
  if (step.count) return expectCount(ctx, step.count);
  if (step.event) return expectEvent(ctx, step, step.event);
  if (step.metric) return expectMetric(ctx, step.metric);
  if (step.object !== undefined && step.jsonpath !== undefined)
    return expectObject(ctx, { ...step, object: step.object, jsonpath: step.jsonpath });
  throw new Error('an expect step needs object + jsonpath, count, event or metric');
}

// ---- fault, advance ----

async function fault(ctx: StepContext, step: FaultStep): Promise<void> {
  const namespace = step.namespace ?? DEFAULT_NAMESPACE;
  const target =
    step.node !== undefined ? { node: step.node } : step.vmi !== undefined ? { namespace, name: step.vmi } : (step.target ?? {});
  const metadata = step.name ? { name: step.name, namespace } : { generateName: `${step.type}-`, namespace };
  const collection = `${FAULT_API}/namespaces/${namespace}/faults`;
  const spec = { type: step.type, target, percent: step.percent, code: step.code, milliseconds: step.milliseconds };
  let created: KubeObject;
  try {
    created = await ctx.api.call<KubeObject>('POST', collection, {
      apiVersion: 'emulator.kubevirt.io/v1alpha1',
      kind: 'Fault',
      metadata,
      spec,
    });
  } catch (err) {
    if (err instanceof ApiError && err.status === 404)
      throw new Error(`the cluster has no Fault API (${FAULT_API}): is the emulator's fault controller running?`);
    throw err;
  }
  const name = created.metadata.name ?? '';
  const path = `fault/${name} .status.phase`;
  for (let waited = 0; ; waited += FAULT_POLL_MS) {
    await ctx.time.settle();
    const status = (await ctx.api.call<{ status?: { phase?: string; message?: string } }>('GET', `${collection}/${name}`)).status;
    if (status?.phase === 'Failed')
      throw new StepFailure(`fault ${name} (${step.type}) failed: ${status.message ?? ''}`, {
        path,
        expected: 'Active or Resolved',
        actual: `Failed: ${status.message ?? ''}`,
      });
    if (status?.phase) return;
    if (waited >= FAULT_PICKUP_MS)
      throw new StepFailure(`fault ${name} was not taken on by the fault controller`, {
        path,
        expected: 'Active or Resolved',
        actual: '<no phase>',
      });
    await ctx.time.advance(FAULT_POLL_MS);
  }
}

async function advance(ctx: StepContext, duration: string): Promise<void> {
  await ctx.time.advance(parseDuration(duration));
}

async function typeOnConsole(ctx: StepContext, step: ConsoleStep): Promise<void> {
  await ctx.consoles.run(step, ctx.time);
}

type Executors = { [K in Exclude<keyof StepActions, 'repeat'>]: (ctx: StepContext, body: StepActions[K]) => Promise<void> };

export const stepExecutors: Executors = {
  apply,
  delete: deleteObject,
  patch,
  subresource,
  kubectl,
  wait,
  expect,
  fault,
  advance,
  console: typeOnConsole,
};

/** Runs one step (a repeat's iterations are the runner's). */
export async function executeStep(ctx: StepContext, step: Step): Promise<void> {
  const action = actionOf(step);
  if (action.type === 'repeat') throw new Error('repeat steps run in the runner');
  await (stepExecutors[action.type] as (c: StepContext, body: unknown) => Promise<void>)(ctx, action.body);
}
