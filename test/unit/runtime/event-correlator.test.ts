// The scenarios of client-go's TestEventCorrelator, TestEventSpamFilter and the key tests (tools/record/events_cache_test.go):
// each replays earlier events `intervalMs` apart on the clock, then correlates one more.
import t from 'tap';
import { VirtualClock, rfc3339 } from '../../../src/runtime/clock.js';
import {
  AGGREGATE_INTERVAL_MS,
  AGGREGATE_MAX_EVENTS,
  aggregatorKeys,
  COMBINED_MESSAGE_PREFIX,
  EventCorrelator,
  eventKey,
  SPAM_BURST,
  spamKey,
  type CoreEvent,
  type CorrelationResult,
} from '../../../src/runtime/event-correlator.js';

const START = Date.UTC(2026, 11, 6, 12, 0, 0);

function makeEvent(reason: string, message: string, name = 'my-pod', fieldPath = 'spec.containers{mycontainer}'): CoreEvent {
  return {
    metadata: { name: `${name}.1`, namespace: 'my-ns' },
    involvedObject: { kind: 'Pod', name, namespace: 'my-ns', uid: 'C934D34AFB20242', apiVersion: 'version', fieldPath },
    reason,
    message,
    source: { component: 'kubelet', host: 'kublet.node1' },
    firstTimestamp: '',
    lastTimestamp: '',
    count: 1,
    type: 'Normal',
  };
}

/** A correlator on its own virtual clock; `nextName` numbers event names, shared with the aggregates it names. */
function newCorrelator() {
  const clock = new VirtualClock(START);
  let names = 0;
  const nextName = (name: string) => `${name}.${++names}`;
  const correlator = new EventCorrelator(
    clock,
    (event) => nextName(event.involvedObject.name),
    (ms) => rfc3339(new Date(ms)),
  );
  return { clock, correlator, nextName };
}

/** A correlator whose clock moves `intervalMs` before each event, as client-go's IntervalClock does per Now(). */
function harness(intervalMs: number) {
  const { clock, correlator, nextName } = newCorrelator();
  let rv = 0;
  const correlate = async (event: CoreEvent): Promise<CorrelationResult> => {
    await clock.advance(intervalMs);
    const now = rfc3339(clock.now());
    const named = { ...event, metadata: { ...event.metadata, name: nextName(event.metadata.name) } };
    const result = correlator.correlate({ ...named, firstTimestamp: now, lastTimestamp: now });
    // As recordToSink does after a successful write: the server's copy, with its resourceVersion.
    if (!result.skip) correlator.updateState({ ...result.event, metadata: { ...result.event.metadata, resourceVersion: String(++rv) } });
    return result;
  };
  return {
    correlate,
    replay: async (events: CoreEvent[]) => {
      for (const event of events) await correlate(event);
    },
  };
}

const repeat = (n: number, event: CoreEvent): CoreEvent[] => Array.from({ length: n }, () => event);
const similar = (n: number, event: CoreEvent): CoreEvent[] =>
  Array.from({ length: n }, (_, i) => ({ ...event, message: `${event.message}-${i}-${event.message}` }));

function written(result: CorrelationResult): CoreEvent {
  if (result.skip) throw new Error('the event was dropped as spam');
  return result.event;
}

t.test("keys are client-go's: the fields joined without separator", async (t) => {
  const event = { ...makeEvent('end-of-world', 'it was fun'), reportingComponent: 'kubelet', reportingInstance: 'node1' };
  t.equal(
    eventKey(event),
    'kubeletkublet.node1Podmy-nsmy-podspec.containers{mycontainer}C934D34AFB20242versionNormalend-of-worldit was fun',
  );
  t.equal(spamKey(event), 'kubeletkublet.node1Podmy-nsmy-podC934D34AFB20242version');
  t.same(aggregatorKeys(event), ['kubeletkublet.node1Podmy-nsmy-podC934D34AFB20242versionNormalend-of-worldkubeletnode1', 'it was fun']);
  const bare: CoreEvent = {
    ...makeEvent('Started', 'ok'),
    involvedObject: { kind: 'Node', name: 'n1', apiVersion: 'v1' },
    source: { component: 'kubelet' },
  };
  t.equal(eventKey(bare), 'kubeletNoden1v1NormalStartedok', 'absent fields (host, namespace, fieldPath, uid) join as empty');
  t.equal(spamKey(bare), 'kubeletNoden1v1');
  t.same(aggregatorKeys(bare), ['kubeletNoden1v1NormalStarted', 'ok']);
});

t.test('EventAggregatorByReasonFunc: events that differ only by message share the aggregate key', async (t) => {
  const [agg1, local1] = aggregatorKeys(makeEvent('end-of-world', 'it was fun'));
  const [agg2, local2] = aggregatorKeys(makeEvent('end-of-world', 'it was awful'));
  const [agg3] = aggregatorKeys(makeEvent('nevermind', 'it was a bug'));
  t.equal(agg1, agg2);
  t.not(local1, local2);
  t.not(agg1, agg3);
});

t.test('create a single event', async (t) => {
  const { correlate } = harness(5_000);
  const result = await correlate(makeEvent('first', 'i am first'));
  const event = written(result);
  t.equal(event.count, 1);
  t.equal(event.firstTimestamp, event.lastTimestamp);
  t.same(result, { skip: false, event }, 'created, not patched');
});

t.test('the same event just counts, keeping the first name and firstTimestamp', async (t) => {
  const { correlate } = harness(5_000);
  const first = written(await correlate(makeEvent('duplicate', 'me again')));
  const result = await correlate(makeEvent('duplicate', 'me again'));
  const second = written(result);
  t.equal(second.count, 2);
  t.equal(second.metadata.name, first.metadata.name);
  t.equal(second.metadata.resourceVersion, '1');
  t.equal(second.firstTimestamp, first.firstTimestamp);
  t.not(second.lastTimestamp, second.firstTimestamp);
  t.same(!result.skip && result.patch, { count: 2, lastTimestamp: second.lastTimestamp, message: 'me again' });
});

t.test('the same event just counts even if more than the aggregate limit', async (t) => {
  const { correlate, replay } = harness(30_000);
  await replay(repeat(AGGREGATE_MAX_EVENTS, makeEvent('duplicate', 'me again')));
  t.equal(written(await correlate(makeEvent('duplicate', 'me again'))).count, AGGREGATE_MAX_EVENTS + 1);
});

t.test('the same event is spam if it happens too frequently', async (t) => {
  const { correlate, replay } = harness(1_000);
  await replay(repeat(SPAM_BURST + 1, makeEvent('duplicate', 'me again')));
  t.same(await correlate(makeEvent('duplicate', 'me again')), { skip: true });
});

t.test('the spam filter refills one event every 5 minutes', async (t) => {
  const { correlate, replay } = harness(0);
  await replay(repeat(SPAM_BURST, makeEvent('duplicate', 'me again')));
  t.same(await correlate(makeEvent('other', 'another reason, same object')), { skip: true }, 'the default spam key ignores the reason');
  const later = harness(300_000);
  await later.replay(repeat(SPAM_BURST, makeEvent('duplicate', 'me again')));
  t.equal(written(await later.correlate(makeEvent('duplicate', 'me again'))).count, SPAM_BURST + 1);
});

t.test('many unique events are each created once', async (t) => {
  const { correlate, replay } = harness(5_000);
  await replay(Array.from({ length: 30 }, (_, i) => makeEvent(`reason-${i}`, `message-${i}`, `pod-${i}`)));
  t.equal(written(await correlate(makeEvent('unique', 'snowflake'))).count, 1);
});

t.test('the tenth similar event within ten minutes becomes the combined event', async (t) => {
  const { correlate, replay } = harness(5_000);
  const event = makeEvent('similar', 'similar message', 'my-pod', 'spec.containers{container1}');
  await replay(similar(AGGREGATE_MAX_EVENTS - 1, event));
  const combined = written(await correlate(event));
  t.equal(combined.message, `${COMBINED_MESSAGE_PREFIX}similar message`);
  t.equal(combined.message, '(combined from similar events): similar message');
  t.equal(combined.count, 1);
  t.equal(combined.reason, 'similar');
  t.same(combined.involvedObject, event.involvedObject);
});

t.test('further similar events count on the combined event', async (t) => {
  const { correlate, replay } = harness(5_000);
  const event = makeEvent('similar', 'similar message', 'my-pod', 'spec.containers{container1}');
  await replay(similar(AGGREGATE_MAX_EVENTS, event));
  const result = await correlate(event);
  const combined = written(result);
  t.equal(combined.count, 2);
  const message = '(combined from similar events): similar message';
  t.same(!result.skip && result.patch, { count: 2, lastTimestamp: combined.lastTimestamp, message });
});

t.test('events from different containers do not aggregate', async (t) => {
  const { correlate, replay } = harness(5_000);
  await replay([makeEvent('similar', 'similar message', 'my-pod', 'spec.containers{container2}')]);
  const result = written(await correlate(makeEvent('similar', 'similar message', 'my-pod', 'spec.containers{container1}')));
  t.equal(result.count, 1);
});

t.test('similar events further apart than the aggregate interval do not aggregate', async (t) => {
  const { correlate, replay } = harness(AGGREGATE_INTERVAL_MS + 1_000);
  const event = makeEvent('similar', 'similar message');
  await replay(similar(AGGREGATE_MAX_EVENTS - 1, event));
  const result = written(await correlate(event));
  t.equal(result.message, 'similar message');
  t.equal(result.count, 1);
});

/** One event from each of `objects` new objects (a new name and uid each, as the pods and VMIs of a churn). */
function newObjectEvents(objects: number): CoreEvent[] {
  return Array.from({ length: objects }, (_, i) => {
    const event = makeEvent('Created', `created object-${i}`, `object-${i}`);
    return { ...event, involvedObject: { ...event.involvedObject, uid: `uid-${i}` } };
  });
}

/** A correlator on a clock the test moves, and recordToSink's part: correlate, then remember what was written. */
function manualHarness() {
  const { clock, correlator } = newCorrelator();
  const correlate = (event: CoreEvent): CorrelationResult => {
    const now = rfc3339(clock.now());
    const result = correlator.correlate({ ...event, firstTimestamp: now, lastTimestamp: now });
    if (!result.skip) correlator.updateState(result.event);
    return result;
  };
  return { clock, correlator, correlate };
}

t.test('the spam and aggregation tables hold what recent events need, not the history', async (t) => {
  const { clock, correlator, correlate } = manualHarness();
  // 3,000 objects, one event each every 10 s: 8 virtual hours. A bucket is full again 5 minutes after its one event
  // (30 objects), a group is over 10 minutes after it (60 objects).
  for (const event of newObjectEvents(3_000)) {
    await clock.advance(10_000);
    correlate(event);
  }
  const sizes = correlator.cacheSizes();
  t.ok(sizes.spam <= 512, `spam buckets: ${sizes.spam}`);
  t.ok(sizes.aggregates <= 512, `aggregation groups: ${sizes.aggregates}`);
  t.equal(sizes.observations, 3_000, 'every counted event is kept (an expired Event is created again with its count)');
});

t.test('sweeps keep the state that still matters: an emptied bucket, an open group, every count', async (t) => {
  const { clock, correlate } = manualHarness();
  const spammer = makeEvent('duplicate', 'me again', 'spammer');
  for (const event of repeat(SPAM_BURST, spammer)) correlate(event);
  const grouped = makeEvent('similar', 'similar message', 'grouped');
  for (const event of similar(AGGREGATE_MAX_EVENTS - 1, grouped)) correlate(event);
  // Enough new objects for several sweeps in one instant: no bucket has refilled, no group has closed.
  const others = newObjectEvents(2_000);
  for (const event of others) correlate(event);
  t.same(correlate(spammer), { skip: true }, 'the emptied bucket is still empty');
  t.equal(written(correlate(grouped)).message, `${COMBINED_MESSAGE_PREFIX}similar message`, 'the group still counts');
  // Five hours on every bucket is full again and every group over, swept by these events; counting goes on as before.
  await clock.advance(5 * 3_600_000);
  for (const event of newObjectEvents(3_000).slice(2_000)) correlate(event);
  t.equal(written(correlate(others[0])).count, 2, 'a repeat still patches its Event');
  for (const event of repeat(SPAM_BURST - 1, others[1])) written(correlate(event));
  t.equal(written(correlate(others[1])).count, SPAM_BURST + 1, 'a refilled bucket allows a whole burst again');
  t.same(correlate(others[1]), { skip: true }, 'and then filters');
});

t.test('a correlator serves one source (its tables key events without it), and refuses another', async (t) => {
  const { correlator } = newCorrelator();
  const event = makeEvent('Started', 'started');
  t.equal(written(correlator.correlate(event)).count, 1);
  t.throws(() => correlator.correlate({ ...event, source: { component: 'kubelet', host: 'other-node' } }), /serves one source/);
  t.throws(() => correlator.updateState({ ...event, source: { component: 'scheduler' } }), /serves one source/);
});
