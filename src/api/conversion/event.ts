/**
 * core/v1 ↔ events.k8s.io/v1 Event. kube-apiserver keeps both in the one core Event registry (etcd
 * /registry/events) and converts through the internal type (pkg/apis/events/v1/conversion.go): the fields are the
 * same but for their names, so an Event a core/v1 recorder writes is read through events.k8s.io/v1 too, and back.
 * core/v1 is the storage version: the in-process recorders write it, and so never pay for a conversion.
 * Each side is written as its Go type encodes: keys in struct order, omitempty strings and counts dropped when zero,
 * and the fields without omitempty filled in by the version's wire rules (builtins/event-defaults).
 */
import { coreEventRules, eventsV1EventRules } from '../builtins/event-defaults.js';
import type { KubeObject } from '../types.js';
import type { KindConversion } from './index.js';

type Json = Record<string, unknown>;

const CORE = 'v1';
const EVENTS_V1 = 'events.k8s.io/v1';

export const eventConversion: KindConversion = {
  storageApiVersion: CORE,
  convert(object, apiVersion) {
    if (object.apiVersion === apiVersion) return object;
    if (apiVersion === EVENTS_V1) return object.apiVersion === CORE ? coreToEventsV1(object) : { ...object, apiVersion };
    return object.apiVersion === EVENTS_V1 ? eventsV1ToCore(object) : { ...object, apiVersion };
  },
};

/** What an omitempty string or int32 encodes as: nothing when zero. */
const nonEmpty = (value: unknown): unknown => (value === '' || value === 0 || value === null ? undefined : value);

/** Drops undefined members, as Go's omitempty leaves them out. */
function compact(value: Json): Json {
  for (const key of Object.keys(value)) if (value[key] === undefined) delete value[key];
  return value;
}

/** EventSeries: events/v1's count and lastObservedTime have no omitempty; core/v1's count has. */
function series(value: unknown, countAlways: boolean): Json | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const { count, lastObservedTime } = value as Json;
  return compact({ count: countAlways ? (count ?? 0) : nonEmpty(count), lastObservedTime: lastObservedTime ?? null });
}

function coreToEventsV1(o: KubeObject): KubeObject {
  const out = compact({
    kind: o.kind,
    apiVersion: EVENTS_V1,
    metadata: o.metadata,
    eventTime: o.eventTime,
    series: series(o.series, true),
    reportingController: nonEmpty(o.reportingComponent),
    reportingInstance: nonEmpty(o.reportingInstance),
    action: nonEmpty(o.action),
    reason: nonEmpty(o.reason),
    regarding: o.involvedObject,
    related: o.related ?? undefined,
    note: nonEmpty(o.message),
    type: nonEmpty(o.type),
    deprecatedSource: o.source,
    deprecatedFirstTimestamp: o.firstTimestamp,
    deprecatedLastTimestamp: o.lastTimestamp,
    deprecatedCount: nonEmpty(o.count),
  }) as KubeObject;
  eventsV1EventRules.defaults(out);
  return out;
}

function eventsV1ToCore(o: KubeObject): KubeObject {
  const out = compact({
    kind: o.kind,
    apiVersion: CORE,
    metadata: o.metadata,
    involvedObject: o.regarding,
    reason: nonEmpty(o.reason),
    message: nonEmpty(o.note),
    source: o.deprecatedSource,
    firstTimestamp: o.deprecatedFirstTimestamp,
    lastTimestamp: o.deprecatedLastTimestamp,
    count: nonEmpty(o.deprecatedCount),
    type: nonEmpty(o.type),
    eventTime: o.eventTime,
    series: series(o.series, false),
    action: nonEmpty(o.action),
    related: o.related ?? undefined,
    reportingComponent: o.reportingController,
    reportingInstance: o.reportingInstance,
  }) as KubeObject;
  coreEventRules.defaults(out);
  return out;
}
