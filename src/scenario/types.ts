/**
 * The shape of a scenario file (schemas/scenario.schema.json is the same
 * contract for the validator). A step is an object with one action key.
 */

export type Scalar = string | number | boolean;

export interface ScenarioSetup {
  workers?: number;
  profile?: string;
  seed?: number;
  /** Install KubeVirt (operator manifest + KubeVirt CR) and wait until it is Available. */
  kubevirt?: boolean;
  featureGates?: string[];
}

export interface Scenario {
  name: string;
  description?: string;
  vars?: Record<string, Scalar>;
  setup?: ScenarioSetup;
  steps: Step[];
  /** The file it was loaded from; relative paths in steps resolve against its directory. */
  file: string;
}

export type ApplyStep = string | { file?: string; manifest?: Record<string, unknown> | string; namespace?: string };
export type DeleteStep = string | { object: string; namespace?: string; ignoreNotFound?: boolean; gracePeriodSeconds?: number };
export interface PatchStep {
  object: string;
  namespace?: string;
  type?: 'merge' | 'json' | 'strategic';
  subresource?: string;
  patch: unknown;
}
export const SUBRESOURCE_ACTIONS = [
  'start',
  'stop',
  'restart',
  'pause',
  'unpause',
  'migrate',
  'softreboot',
  'addvolume',
  'removevolume',
] as const;
export interface SubresourceStep {
  action: (typeof SUBRESOURCE_ACTIONS)[number];
  name: string;
  namespace?: string;
  body?: Record<string, unknown>;
  expectStatus?: number;
}
export interface TextMatcher {
  contains?: string;
  matches?: string;
  equals?: string;
}
export type KubectlStep =
  | string
  | { args: string | string[]; input?: string; exitCode?: number; stdout?: TextMatcher; stderr?: TextMatcher };
export interface WaitStep {
  object: string;
  namespace?: string;
  condition?: string;
  jsonpath?: string;
  value?: Scalar;
  printableStatus?: string;
  deleted?: true;
  timeout?: string;
  interval?: string;
}
export interface ExpectStep {
  object?: string;
  namespace?: string;
  jsonpath?: string;
  equals?: unknown;
  matches?: string;
  exists?: boolean;
  count?: { resource: string; namespace?: string; selector?: string; fieldSelector?: string; equals: number };
  event?: { reason: string; object?: string; type?: 'Normal' | 'Warning'; message?: string };
  metric?: MetricExpectation;
}
/** A counter of the API server's /metrics: the sum over the series carrying `labels`. */
export interface MetricExpectation {
  name: string;
  labels?: Record<string, string>;
  equals?: number;
  atLeast?: number;
  atMost?: number;
}
export interface FaultStep {
  type: string;
  node?: string;
  vmi?: string;
  /** The API requests an api-error or api-latency fault hits (group, resource, subresource, verb, namespace, name). */
  target?: Record<string, string>;
  percent?: number;
  code?: number;
  milliseconds?: number;
  /** The Fault object's namespace (and the VMI's). */
  namespace?: string;
  name?: string;
}
/** A VMI's serial console: type `send` (\n is Enter), then wait up to `timeout` (simulated) for `expect` (a regular expression). */
export interface ConsoleStep {
  vmi: string;
  namespace?: string;
  send?: string;
  expect?: string;
  timeout?: string;
}
export interface RepeatStep {
  count: number;
  steps: Step[];
}

export interface StepActions {
  apply: ApplyStep;
  delete: DeleteStep;
  patch: PatchStep;
  subresource: SubresourceStep;
  kubectl: KubectlStep;
  wait: WaitStep;
  expect: ExpectStep;
  fault: FaultStep;
  advance: string;
  console: ConsoleStep;
  repeat: RepeatStep;
}
export type StepType = keyof StepActions;
export const STEP_TYPES: readonly StepType[] = [
  'apply',
  'delete',
  'patch',
  'subresource',
  'kubectl',
  'wait',
  'expect',
  'fault',
  'advance',
  'console',
  'repeat',
];

/** One step: a label and exactly one action. */
export type Step = { name?: string } & Partial<StepActions>;

/** The action of a step: its type and body. */
export function actionOf(step: Step): { [K in StepType]: { type: K; body: StepActions[K] } }[StepType] {
  const type = STEP_TYPES.find((t) => step[t] !== undefined);
  if (!type) throw new Error('step has no action');
  return { type, body: step[type] } as { [K in StepType]: { type: K; body: StepActions[K] } }[StepType];
}
