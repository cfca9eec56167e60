import t from 'tap';
import { VMIM_REF, VMI_REF, VM_REF, base, harness } from './harness.js';

const conflictOn = (name: string, text: string) => ({
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  reason: 'Conflict',
  code: 409,
  details: { name, group: 'kubevirt.io', kind: 'virtualmachine' },
  message: `Operation cannot be fulfilled on virtualmachine.kubevirt.io "${name}": ${text}`,
});

t.test('start', async (t) => {
  const h = await harness(t);

  await h.vm('halted', { runStrategy: 'Halted' });
  const started = await h.call('PUT', `${base}/virtualmachines/halted/start`, '{}');
  t.equal(started.status, 202);
  t.equal(started.body, undefined, 'empty body');
  t.equal((await h.get(VM_REF, 'halted')).spec.runStrategy, 'Always', 'Halted becomes Always');

  await h.vm('paused-start', { runStrategy: 'Halted' });
  t.equal((await h.call('PUT', `${base}/virtualmachines/paused-start/start`, '{"paused": true}')).status, 202);
  const pausedVm = await h.get(VM_REF, 'paused-start');
  t.equal(pausedVm.spec.runStrategy, 'Halted', 'the controller flips the strategy, not virt-api');
  t.same(pausedVm.status?.stateChangeRequests, [{ action: 'Start', data: { paused: 'true' } }]);

  await h.vm('legacy', { running: false });
  t.equal((await h.call('PUT', `${base}/virtualmachines/legacy/start`)).status, 202);
  t.equal((await h.get(VM_REF, 'legacy')).spec.running, true, 'spec.running flips when the VM uses it');

  await h.vm('manual', { runStrategy: 'Manual' });
  t.equal((await h.call('PUT', `${base}/virtualmachines/manual/start`)).status, 202);
  t.same((await h.get(VM_REF, 'manual')).status?.stateChangeRequests, [{ action: 'Start' }]);
  const again = await h.call('PUT', `${base}/virtualmachines/manual/start`);
  t.equal(again.status, 500, 'a second request while one is pending');
  t.equal((again.json as { message: string }).message, 'Internal error occurred: unable to complete request: stop/start already underway');

  await h.vm('always', { runStrategy: 'Always' });
  t.match(
    (await h.call('PUT', `${base}/virtualmachines/always/start`)).json,
    conflictOn('always', 'Always does not support manual start requests'),
  );
  await h.vm('once', { runStrategy: 'Once' });
  t.match(
    (await h.call('PUT', `${base}/virtualmachines/once/start`)).json,
    conflictOn('once', 'Once does not support manual start requests'),
  );

  const running = await h.vm('running', { runStrategy: 'Always' });
  await h.vmi('running', { phase: 'Running' }, {}, running);
  t.match((await h.call('PUT', `${base}/virtualmachines/running/start`)).json, conflictOn('running', 'VM is already running'));

  const rerun = await h.vm('rerun', { runStrategy: 'RerunOnFailure' });
  await h.vmi('rerun', { phase: 'Failed' }, {}, rerun);
  t.match(
    (await h.call('PUT', `${base}/virtualmachines/rerun/start`)).json,
    conflictOn('rerun', 'RerunOnFailure does not support starting VM from failed state'),
  );

  const finished = await h.vm('finished', { runStrategy: 'Manual' });
  const finalVmi = await h.vmi('finished', { phase: 'Succeeded' }, {}, finished);
  t.equal((await h.call('PUT', `${base}/virtualmachines/finished/start`)).status, 202);
  t.same(
    (await h.get(VM_REF, 'finished')).status?.stateChangeRequests,
    [{ action: 'Stop', uid: finalVmi.metadata.uid }, { action: 'Start' }],
    'a final VMI is stopped first',
  );

  const missing = await h.call('PUT', `${base}/virtualmachines/nope/start`);
  t.equal(missing.status, 404);
  t.equal((missing.json as { message: string }).message, 'virtualmachine.kubevirt.io "nope" not found');

  const badBody = await h.call('PUT', `${base}/virtualmachines/halted/start`, '"x"');
  t.equal(badBody.status, 400);
  t.match((badBody.json as { message: string }).message, /^Can not unmarshal Request body to struct, error: /);
});

t.test('stop', async (t) => {
  const h = await harness(t);
  await h.vm('always', { runStrategy: 'Always' });
  t.equal((await h.call('PUT', `${base}/virtualmachines/always/stop`, '{}')).status, 202);
  t.equal((await h.get(VM_REF, 'always')).spec.runStrategy, 'Halted', 'Always becomes Halted even without a VMI');

  await h.vm('manual', { runStrategy: 'Manual' });
  t.match((await h.call('PUT', `${base}/virtualmachines/manual/stop`)).json, conflictOn('manual', 'VM is not running'));
  await h.vm('halted', { runStrategy: 'Halted' });
  t.match((await h.call('PUT', `${base}/virtualmachines/halted/stop`)).json, conflictOn('halted', 'VM is not running'));

  const live = await h.vm('live', { runStrategy: 'Manual' }, { stateChangeRequests: [{ action: 'Start' }], printableStatus: 'Running' });
  const vmi = await h.vmi('live', { phase: 'Running' }, { terminationGracePeriodSeconds: 30 }, live);
  t.equal((await h.call('PUT', `${base}/virtualmachines/live/stop`, '{"gracePeriod": 5}')).status, 202);
  t.same(
    (await h.get(VM_REF, 'live')).status?.stateChangeRequests,
    [{ action: 'Stop', uid: vmi.metadata.uid }],
    'a stop replaces pending requests',
  );
  t.equal((await h.get(VMI_REF, 'live')).spec.terminationGracePeriodSeconds, 5, 'the grace period is patched onto the VMI first');

  const haltedLive = await h.vm('halted-live', { runStrategy: 'Halted' });
  await h.vmi('halted-live', { phase: 'Running' }, { terminationGracePeriodSeconds: 30 }, haltedLive);
  t.match(
    (await h.call('PUT', `${base}/virtualmachines/halted-live/stop`)).json,
    conflictOn('halted-live', 'Halted only supports manual stop requests with a shorter graceperiod'),
  );
});

t.test('restart', async (t) => {
  const h = await harness(t);
  const vm = await h.vm('vm', { runStrategy: 'Always' });
  t.match((await h.call('PUT', `${base}/virtualmachines/vm/restart`)).json, conflictOn('vm', 'VM is not running: Halted'));
  const vmi = await h.vmi('vm', { phase: 'Running' }, { terminationGracePeriodSeconds: 180 }, vm);
  const bad = await h.call('PUT', `${base}/virtualmachines/vm/restart`, '{"gracePeriodSeconds": 5}');
  t.equal(bad.status, 400);
  t.equal((bad.json as { message: string }).message, 'For force restart, only gracePeriod=0 is supported for now');
  t.equal((await h.call('PUT', `${base}/virtualmachines/vm/restart`, '{"gracePeriodSeconds": -1}')).status, 400);

  t.equal((await h.call('PUT', `${base}/virtualmachines/vm/restart`, '{"gracePeriodSeconds": 0}')).status, 202);
  t.same((await h.get(VM_REF, 'vm')).status?.stateChangeRequests, [{ action: 'Stop', uid: vmi.metadata.uid }, { action: 'Start' }]);
  t.equal((await h.get(VMI_REF, 'vm')).spec.terminationGracePeriodSeconds, 1, 'a forced restart shortens the grace period to 1');

  await h.vm('halted', { runStrategy: 'Halted' });
  t.match(
    (await h.call('PUT', `${base}/virtualmachines/halted/restart`)).json,
    conflictOn('halted', 'RunStategy Halted does not support manual restart requests'),
  );
  await h.vm('once', { runStrategy: 'Once' });
  t.match(
    (await h.call('PUT', `${base}/virtualmachines/once/restart`)).json,
    conflictOn('once', 'RunStategy Once does not support manual restart requests'),
  );
});

t.test('migrate', async (t) => {
  const h = await harness(t);
  const vm = await h.vm('vm', { runStrategy: 'Always' });
  const noVmi = await h.call('PUT', `${base}/virtualmachines/vm/migrate`, '{}');
  t.equal(noVmi.status, 404);
  t.equal((noVmi.json as { message: string }).message, 'virtualmachineinstance.kubevirt.io "vm" not found');
  await h.vmi('vm', { phase: 'Scheduled' }, {}, vm);
  t.match((await h.call('PUT', `${base}/virtualmachines/vm/migrate`)).json, conflictOn('vm', 'VM is not running'));

  const vm2 = await h.vm('vm2', { runStrategy: 'Always' });
  await h.vmi('vm2', { phase: 'Running' }, {}, vm2);
  t.equal((await h.call('PUT', `${base}/virtualmachines/vm2/migrate`, '{"addedNodeSelector": {"zone": "b"}}')).status, 202);
  const migrations = await h.emulator.client.list(VMIM_REF, { namespace: 'default' });
  t.equal(migrations.items.length, 1);
  t.match(migrations.items[0], {
    metadata: { generateName: 'kubevirt-migrate-vm-', name: /^kubevirt-migrate-vm-/ },
    spec: { vmiName: 'vm2', addedNodeSelector: { zone: 'b' } },
  });
  t.equal((await h.call('PUT', `${base}/virtualmachines/vm2/migrate`, '{"dryRun": ["All"]}')).status, 202);
  t.equal((await h.emulator.client.list(VMIM_REF, { namespace: 'default' })).items.length, 1, 'a dry run creates nothing');
});

t.test('routing: discovery, version, healthz, wrong methods and unknown paths', async (t) => {
  const h = await harness(t);
  const list = await h.call('GET', '/apis/subresources.kubevirt.io/v1');
  t.match(list.json, { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'subresources.kubevirt.io/v1' });
  const names = (list.json as { resources: Array<{ name: string }> }).resources.map((r) => r.name);
  t.equal(names.length, 31);
  t.ok(names.includes('virtualmachines/start') && names.includes('virtualmachineinstances/console') && names.includes('expand-vm-spec'));
  t.notOk(names.includes('virtualmachines/addvolume'), 'routes virt-api has but does not list');
  t.equal((await h.call('GET', '/apis/subresources.kubevirt.io/v1alpha3')).status, 200);
  t.match((await h.call('GET', '/apis/subresources.kubevirt.io/v1/version')).json, {
    gitVersion: 'v1.9.0-rc.2',
    compiler: 'gc',
    platform: 'linux/amd64',
  });
  t.match((await h.call('GET', '/apis/subresources.kubevirt.io/v1/healthz')).json, {
    apiserver: { connectivity: 'ok', version: 'v1.32.3' },
  });
  t.equal((await h.call('GET', `${base}/virtualmachines/vm/start`)).status, 405);
  t.equal((await h.call('GET', '/apis/subresources.kubevirt.io/v1/nothing')).status, 404);
  // kube-aggregator forwards the unescaped path: a name with an escaped '/' is two segments, a route virt-api does not
  // have, which go-restful answers with its own bare-text 404.
  const slashed = await h.call('PUT', `${base}/virtualmachines/a%2Fb/stop`, '{}');
  t.match(slashed, { status: 404, contentType: 'text/plain; charset=utf-8', json: undefined });
  t.equal(String(slashed.body), '404: Page Not Found');
  const graph = await h.call('GET', `${base}/virtualmachines/vm/objectgraph`);
  t.equal(graph.status, 400);
  t.equal((graph.json as { message: string }).message, 'ObjectGraph feature gate not enabled: Unable to return object graph.');
});
