/**
 * autoscaling/v1 ↔ autoscaling/v2 HorizontalPodAutoscaler, as kube-apiserver converts through its internal type
 * (pkg/apis/autoscaling/v1/conversion.go): v1 keeps only the CPU utilization target, and carries every other
 * metric, the metric statuses and the conditions in `autoscaling.alpha.kubernetes.io/*` annotations, which the
 * conversion back to v2 turns into fields again. v2 is the storage version and stands in for the internal type.
 * Keys are written in the Go structs' order, since the annotations are Go's json.Marshal of them.
 */
import type { KubeObject } from '../types.js';
import type { KindConversion } from './index.js';

const METRIC_SPECS = 'autoscaling.alpha.kubernetes.io/metrics';
const METRIC_STATUSES = 'autoscaling.alpha.kubernetes.io/current-metrics';
const CONDITIONS = 'autoscaling.alpha.kubernetes.io/conditions';
/** autoscaling.DefaultCPUUtilization: the target a v1 object without one gets. */
const DEFAULT_CPU_UTILIZATION = 80;

type Json = Record<string, unknown>;
type MetricSource = Json | undefined;

const V1 = 'autoscaling/v1';
const V2 = 'autoscaling/v2';

export const horizontalPodAutoscalerConversion: KindConversion = {
  storageApiVersion: V2,
  convert(object, apiVersion) {
    if (apiVersion === V1) return object.apiVersion === V1 ? object : v2ToV1(object);
    return object.apiVersion === V1 ? v1ToV2(object) : { ...object, apiVersion };
  },
};

/** Drops undefined members, as Go's omitempty leaves them out. */
function compact<T extends Json>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

const isCpuResource = (metric: Json) => metric.type === 'Resource' && (metric.resource as Json | undefined)?.name === 'cpu';

// --- v2 (internal) → v1 ------------------------------------------------------------------------

function v2ToV1(object: KubeObject): KubeObject {
  const spec = (object.spec ?? {}) as Json;
  const status = (object.status ?? {}) as Json;
  const metrics = (spec.metrics ?? []) as Json[];
  const currentMetrics = (status.currentMetrics ?? []) as Json[];
  const conditions = (status.conditions ?? []) as Json[];

  const others = metrics.filter((m) => !(isCpuResource(m) && target(m.resource)?.averageUtilization !== undefined)).map(metricSpecToV1);
  const annotations: Record<string, string> = { ...(object.metadata.annotations ?? {}) };
  if (others.length) annotations[METRIC_SPECS] = JSON.stringify(others);
  if (currentMetrics.length) annotations[METRIC_STATUSES] = JSON.stringify(currentMetrics.map(metricStatusToV1));
  if (conditions.length) annotations[CONDITIONS] = JSON.stringify(conditions.map(conditionInGoOrder));

  const cpuTarget = metrics.find(isCpuResource);
  let currentCpu: unknown;
  for (const m of currentMetrics)
    if (isCpuResource(m) && current(m.resource)?.averageUtilization !== undefined) currentCpu = current(m.resource)?.averageUtilization;
  const metadata = { ...object.metadata, annotations: Object.keys(annotations).length ? annotations : undefined };
  return {
    ...object,
    apiVersion: V1,
    metadata: compact(metadata),
    spec: compact({
      scaleTargetRef: spec.scaleTargetRef,
      minReplicas: spec.minReplicas,
      maxReplicas: spec.maxReplicas,
      targetCPUUtilizationPercentage: cpuTarget ? target(cpuTarget.resource)?.averageUtilization : undefined,
    }),
    // currentReplicas and desiredReplicas have no omitempty in v1.
    status: compact({
      observedGeneration: status.observedGeneration,
      lastScaleTime: status.lastScaleTime,
      currentReplicas: status.currentReplicas ?? 0,
      desiredReplicas: status.desiredReplicas ?? 0,
      currentCPUUtilizationPercentage: currentCpu,
    }),
  };
}

/** A metric's one-of sources, in either version (each is set only for its `type`). */
const sourcesOf = (m: Json) =>
  m as { object: MetricSource; pods: MetricSource; resource: MetricSource; containerResource: MetricSource; external: MetricSource };

const target = (source: unknown) => (source as Json | undefined)?.target as Json | undefined;
const current = (source: unknown) => (source as Json | undefined)?.current as Json | undefined;
const metric = (source: Json) => (source.metric ?? {}) as Json;

/**
 * One side of a v1 metric: the spec's targets or the status's current values. The v1 fields are named after the side
 * (`targetValue`, `currentValue`, ...); the status's quantities are Go values, not pointers, so an absent one is "0".
 */
interface MetricSide {
  read: (source: unknown) => Json | undefined;
  prefix: 'target' | 'current';
  absentQuantity: string | undefined;
}

const SPEC_SIDE: MetricSide = { read: target, prefix: 'target', absentQuantity: undefined };
const STATUS_SIDE: MetricSide = { read: current, prefix: 'current', absentQuantity: '0' };

const metricSpecToV1 = (m: Json): Json => metricToV1(m, SPEC_SIDE);
const metricStatusToV1 = (m: Json): Json => metricToV1(m, STATUS_SIDE);

function metricToV1(m: Json, side: MetricSide): Json {
  const { read, prefix, absentQuantity } = side;
  const { object, pods, resource, containerResource, external } = sourcesOf(m);
  const resourceValues = (source: Json) => ({
    [`${prefix}AverageUtilization`]: read(source)?.averageUtilization,
    [`${prefix}AverageValue`]: read(source)?.averageValue ?? absentQuantity,
  });
  return compact({
    type: m.type,
    object:
      object &&
      compact({
        target: describedObject(object),
        metricName: metric(object).name,
        [`${prefix}Value`]: read(object)?.value ?? '0',
        selector: metric(object).selector,
        averageValue: read(object)?.averageValue,
      }),
    pods:
      pods &&
      compact({
        metricName: metric(pods).name,
        [`${prefix}AverageValue`]: read(pods)?.averageValue ?? '0',
        selector: metric(pods).selector,
      }),
    resource: resource && compact({ name: resource.name, ...resourceValues(resource) }),
    containerResource:
      containerResource &&
      compact({ name: containerResource.name, ...resourceValues(containerResource), container: containerResource.container }),
    external:
      external &&
      compact({
        metricName: metric(external).name,
        metricSelector: metric(external).selector,
        [`${prefix}Value`]: read(external)?.value ?? absentQuantity,
        [`${prefix}AverageValue`]: read(external)?.averageValue,
      }),
  });
}

const describedObject = (source: Json) => {
  const ref = (source.describedObject ?? {}) as Json;
  return compact({ kind: ref.kind ?? '', name: ref.name ?? '', apiVersion: ref.apiVersion });
};

const conditionInGoOrder = (c: Json): Json =>
  compact({ type: c.type, status: c.status, lastTransitionTime: c.lastTransitionTime, reason: c.reason, message: c.message });

// --- v1 → v2 (internal) ------------------------------------------------------------------------

function v1ToV2(object: KubeObject): KubeObject {
  const spec = (object.spec ?? {}) as Json;
  const status = (object.status ?? {}) as Json;
  const annotations: Record<string, string> = { ...(object.metadata.annotations ?? {}) };

  let metrics: Json[] = spec.targetCPUUtilizationPercentage === undefined ? [] : [cpuUtilization(spec.targetCPUUtilizationPercentage)];
  const others = fromAnnotation(annotations, METRIC_SPECS);
  if (others) metrics = [...others.map(metricSpecToV2), ...metrics];
  let currentMetrics: Json[] | undefined =
    status.currentCPUUtilizationPercentage === undefined
      ? undefined
      : [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: status.currentCPUUtilizationPercentage } } }];
  const statuses = fromAnnotation(annotations, METRIC_STATUSES);
  if (statuses) currentMetrics = statuses.map(metricStatusToV2);
  // autoscaling/v1 formerly had an implicit default in the controller; the conversion makes it explicit.
  if (metrics.length === 0) metrics = [cpuUtilization(DEFAULT_CPU_UTILIZATION)];
  const conditions = fromAnnotation(annotations, CONDITIONS)?.map(conditionInGoOrder);

  const metadata = { ...object.metadata, annotations: Object.keys(annotations).length ? annotations : undefined };
  return {
    ...object,
    apiVersion: V2,
    metadata: compact(metadata),
    spec: compact({ scaleTargetRef: spec.scaleTargetRef, minReplicas: spec.minReplicas, maxReplicas: spec.maxReplicas, metrics }),
    // desiredReplicas has no omitempty in v2.
    status: compact({
      observedGeneration: status.observedGeneration,
      lastScaleTime: status.lastScaleTime,
      currentReplicas: status.currentReplicas || undefined,
      desiredReplicas: status.desiredReplicas ?? 0,
      currentMetrics,
      conditions,
    }),
  };
}

const cpuUtilization = (percent: unknown): Json => ({
  type: 'Resource',
  resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: percent } },
});

/** Reads and removes a round-trip annotation; one that is not a JSON list is left alone (only well-formed data moves). */
function fromAnnotation(annotations: Record<string, string>, key: string): Json[] | undefined {
  const raw = annotations[key];
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  delete annotations[key];
  return parsed.filter((entry): entry is Json => typeof entry === 'object' && entry !== null);
}

const identifier = (name: unknown, selector: unknown) => compact({ name: name ?? '', selector });

function metricSpecToV2(m: Json): Json {
  const { object, pods, resource, containerResource, external } = sourcesOf(m);
  return compact({
    type: m.type,
    object: object && {
      describedObject: object.target,
      target: compact({
        type: object.averageValue === undefined ? 'Value' : 'AverageValue',
        value: object.targetValue ?? '0',
        averageValue: object.averageValue,
      }),
      metric: identifier(object.metricName, object.selector),
    },
    pods: pods && {
      metric: identifier(pods.metricName, pods.selector),
      target: { type: 'AverageValue', averageValue: pods.targetAverageValue ?? '0' },
    },
    resource: resource && { name: resource.name, target: resourceTargetToV2(resource) },
    containerResource: containerResource && {
      name: containerResource.name,
      target: resourceTargetToV2(containerResource),
      container: containerResource.container,
    },
    external: external && {
      metric: identifier(external.metricName, external.metricSelector),
      target: compact({
        type: external.targetValue === undefined ? 'AverageValue' : 'Value',
        value: external.targetValue,
        averageValue: external.targetAverageValue,
      }),
    },
  });
}

const resourceTargetToV2 = (source: Json) =>
  compact({
    type: source.targetAverageUtilization === undefined ? 'AverageValue' : 'Utilization',
    averageValue: source.targetAverageValue,
    averageUtilization: source.targetAverageUtilization,
  });

function metricStatusToV2(m: Json): Json {
  const { object, pods, resource, containerResource, external } = sourcesOf(m);
  return compact({
    type: m.type,
    object: object && {
      metric: identifier(object.metricName, object.selector),
      current: compact({ value: object.currentValue ?? '0', averageValue: object.averageValue }),
      describedObject: object.target,
    },
    pods: pods && { metric: identifier(pods.metricName, pods.selector), current: { averageValue: pods.currentAverageValue ?? '0' } },
    resource: resource && { name: resource.name, current: resourceCurrentToV2(resource) },
    containerResource: containerResource && {
      name: containerResource.name,
      current: resourceCurrentToV2(containerResource),
      container: containerResource.container,
    },
    external: external && {
      metric: identifier(external.metricName, external.metricSelector),
      current: compact({ value: external.currentValue ?? '0', averageValue: external.currentAverageValue }),
    },
  });
}

const resourceCurrentToV2 = (source: Json) =>
  compact({ averageValue: source.currentAverageValue ?? '0', averageUtilization: source.currentAverageUtilization });
