/**
 * Resource arithmetic of the NodeResourcesFit plugin: what a pod requests
 * (containers summed, init containers at their peak, plus overhead) and what
 * a node offers (status.allocatable).
 */
import type { Container, Node, Pod, ResourceList } from './objects.js';
import { scheduledAmount } from './quantity.js';

/** Amounts by resource name: cpu in millicores, the rest in whole units. */
export type Resources = Map<string, number>;

/** The scheduler's default request of a container that names none, used only for scoring (schedutil.DefaultMilliCPURequest, DefaultMemoryRequest). */
const DEFAULT_MILLI_CPU_REQUEST = 100;
const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

export function toResources(list: ResourceList | undefined): Resources {
  const resources: Resources = new Map();
  for (const [name, quantity] of Object.entries(list ?? {})) resources.set(name, scheduledAmount(name, quantity));
  return resources;
}

function addInto(target: Resources, source: Resources): void {
  for (const [name, amount] of source) target.set(name, (target.get(name) ?? 0) + amount);
}

function maxInto(target: Resources, source: Resources): void {
  for (const [name, amount] of source) target.set(name, Math.max(target.get(name) ?? 0, amount));
}

const containerRequests = (container: Container): Resources => toResources(container.resources?.requests);

/**
 * The pod's effective request: regular containers and sidecars (restartable
 * init containers) run together and add up; each ordinary init container runs
 * alone beside the sidecars started before it, so only its peak counts.
 */
export function podRequests(pod: Pod): Resources {
  return cachedBySpec(requestsCache, pod, computePodRequests);
}

/**
 * Stored objects are frozen and a status write keeps the spec object, so a
 * pod's requests are computed once per spec, not once per pod per scheduling
 * cycle per node. Callers treat the returned values as read-only.
 */
const requestsCache = new WeakMap<object, Resources>();
const scoringCache = new WeakMap<object, { milliCpu: number; memory: number }>();
const allocatableCache = new WeakMap<object, Resources>();

function cachedBySpec<K extends object, V>(cache: WeakMap<object, V>, key: K, compute: (key: K) => V): V {
  const spec = (key as { spec?: object }).spec;
  if (!spec || !Object.isFrozen(spec)) return compute(key);
  let value = cache.get(spec);
  if (value === undefined) cache.set(spec, (value = compute(key)));
  return value;
}

function computePodRequests(pod: Pod): Resources {
  const total: Resources = new Map();
  for (const container of pod.spec?.containers ?? []) addInto(total, containerRequests(container));
  const sidecarsSoFar: Resources = new Map();
  const initPeak: Resources = new Map();
  for (const init of pod.spec?.initContainers ?? []) {
    if (init.restartPolicy === 'Always') {
      addInto(sidecarsSoFar, containerRequests(init));
      addInto(total, containerRequests(init));
      continue;
    }
    const running = new Map(sidecarsSoFar);
    addInto(running, containerRequests(init));
    maxInto(initPeak, running);
  }
  maxInto(total, initPeak);
  addInto(total, toResources(pod.spec?.overhead));
  return total;
}

/** cpu and memory as scoring sees them: a container without a request counts as 100m and 200Mi. */
export function podScoringRequests(pod: Pod): { milliCpu: number; memory: number } {
  return cachedBySpec(scoringCache, pod, computeScoringRequests);
}

function computeScoringRequests(pod: Pod): { milliCpu: number; memory: number } {
  let milliCpu = 0;
  let memory = 0;
  for (const container of pod.spec?.containers ?? []) {
    const requests = containerRequests(container);
    milliCpu += requests.get('cpu') ?? DEFAULT_MILLI_CPU_REQUEST;
    memory += requests.get('memory') ?? DEFAULT_MEMORY_REQUEST;
  }
  const overhead = toResources(pod.spec?.overhead);
  return { milliCpu: milliCpu + (overhead.get('cpu') ?? 0), memory: memory + (overhead.get('memory') ?? 0) };
}

export function nodeAllocatable(node: Node): Resources {
  const list = node.status?.allocatable ?? node.status?.capacity;
  if (!list || !Object.isFrozen(list)) return toResources(list);
  let resources = allocatableCache.get(list);
  if (!resources) allocatableCache.set(list, (resources = toResources(list)));
  return resources;
}
