/**
 * The Event fields kube-apiserver always serves. It decodes every object into its Go type and encodes it back, so a
 * field without omitempty is always written, and a struct-typed field (omitempty never omits a struct) too: an empty
 * struct as {}, a zero metav1.Time/MicroTime as null. A client-go recorder's core/v1 Event thus reads back with
 * `eventTime: null`, and an Event created with only the required fields reads back with all of these keys.
 */
import type { KindRules } from './kind-rules.js';
import type { JsonObject } from './json.js';

/** How a zero field reads on the wire: null for a time, '' for a string, {} for a struct. */
type WireZero = null | '' | 'struct';

/** k8s.io/api/core/v1 Event: the struct fields, the times, and the two strings without omitempty. */
const coreEventZeroes: Record<string, WireZero> = {
  involvedObject: 'struct',
  source: 'struct',
  firstTimestamp: null,
  lastTimestamp: null,
  eventTime: null,
  reportingComponent: '',
  reportingInstance: '',
};

/** k8s.io/api/events/v1 Event: its strings all have omitempty, its structs and times do not omit. */
const eventsV1Zeroes: Record<string, WireZero> = {
  eventTime: null,
  regarding: 'struct',
  deprecatedSource: 'struct',
  deprecatedFirstTimestamp: null,
  deprecatedLastTimestamp: null,
};

/** Absent, or a null Go decodes to the zero value and encodes back as something else ('' or {}). */
const lacks = (obj: JsonObject, key: string, zero: WireZero): boolean => obj[key] === undefined || (obj[key] === null && zero !== null);

/**
 * Rules filling in what the Go type would encode, with a check that lets the write path skip its private copy when
 * nothing is missing (the in-process recorders write complete Events).
 */
function alwaysEncoded(zeroes: Record<string, WireZero>): KindRules & Required<Pick<KindRules, 'defaults'>> {
  const fields = Object.entries(zeroes);
  return {
    isDefaulted: (obj) => fields.every(([key, zero]) => !lacks(obj, key, zero)),
    defaults: (obj) => {
      for (const [key, zero] of fields) if (lacks(obj, key, zero)) obj[key] = zero === 'struct' ? {} : zero;
    },
  };
}

export const coreEventRules = alwaysEncoded(coreEventZeroes);
export const eventsV1EventRules = alwaysEncoded(eventsV1Zeroes);
