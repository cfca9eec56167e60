// core/v1 <-> events.k8s.io/v1 Event (pkg/apis/events/v1/conversion.go): the same fields under other names, each side
// written as its Go type encodes it (omitempty strings and counts dropped, structs and times always present).
import t from 'tap';
import type { KubeObject } from '../../../src/api/types.js';
import { eventConversion as conversion } from '../../../src/api/conversion/event.js';

const metadata = {
  name: 'web.1',
  namespace: 'default',
  managedFields: [{ manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'v1' }],
};
const regarding = { kind: 'Deployment', namespace: 'default', name: 'web', uid: 'u-1', apiVersion: 'apps/v1' };
const related = { kind: 'ReplicaSet', namespace: 'default', name: 'web-1' };

const core: KubeObject = {
  kind: 'Event',
  apiVersion: 'v1',
  metadata,
  involvedObject: regarding,
  reason: 'ScalingReplicaSet',
  message: 'Scaled up',
  source: { component: 'deployment-controller' },
  firstTimestamp: '2026-11-24T16:00:00Z',
  lastTimestamp: '2026-11-24T16:05:00Z',
  count: 3,
  type: 'Normal',
  eventTime: null,
  series: { count: 2, lastObservedTime: '2026-11-24T16:05:00.000000Z' },
  action: 'Scaling',
  related,
  reportingComponent: 'deployment-controller',
  reportingInstance: '',
};

const eventsV1: KubeObject = {
  kind: 'Event',
  apiVersion: 'events.k8s.io/v1',
  metadata,
  eventTime: null,
  series: { count: 2, lastObservedTime: '2026-11-24T16:05:00.000000Z' },
  reportingController: 'deployment-controller',
  action: 'Scaling',
  reason: 'ScalingReplicaSet',
  regarding,
  related,
  note: 'Scaled up',
  type: 'Normal',
  deprecatedSource: { component: 'deployment-controller' },
  deprecatedFirstTimestamp: '2026-11-24T16:00:00Z',
  deprecatedLastTimestamp: '2026-11-24T16:05:00Z',
  deprecatedCount: 3,
};

t.test('core/v1 to events.k8s.io/v1 and back', async (t) => {
  t.equal(conversion.storageApiVersion, 'v1');
  const converted = conversion.convert(core, 'events.k8s.io/v1');
  t.strictSame(converted, eventsV1, 'renamed; the empty reportingInstance (omitempty in events/v1) dropped');
  t.strictSame(Object.keys(converted), Object.keys(eventsV1), 'keys in the Go struct order');
  t.equal(converted.metadata, metadata, 'metadata (managedFields included) unchanged');
  t.strictSame(conversion.convert(eventsV1, 'v1'), core, 'back: reportingInstance has no omitempty in core/v1');
  t.equal(conversion.convert(core, 'v1'), core, 'the storage version is not copied');
});

t.test('zero fields as each version encodes them', async (t) => {
  const bare: KubeObject = { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata, note: '', deprecatedCount: 0, series: {} };
  t.strictSame(conversion.convert(bare, 'v1'), {
    kind: 'Event',
    apiVersion: 'v1',
    metadata,
    involvedObject: {},
    source: {},
    firstTimestamp: null,
    lastTimestamp: null,
    eventTime: null,
    series: { lastObservedTime: null },
    reportingComponent: '',
    reportingInstance: '',
  });
  const recorder: KubeObject = { apiVersion: 'v1', kind: 'Event', metadata, involvedObject: regarding, reportingComponent: '', series: {} };
  t.strictSame(conversion.convert(recorder, 'events.k8s.io/v1'), {
    kind: 'Event',
    apiVersion: 'events.k8s.io/v1',
    metadata,
    eventTime: null,
    series: { count: 0, lastObservedTime: null },
    regarding,
    deprecatedSource: {},
    deprecatedFirstTimestamp: null,
    deprecatedLastTimestamp: null,
  });
});
