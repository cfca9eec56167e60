/**
 * API faults applied with the real kubectl (acceptance 5 of the scenarios
 * issue): a Fault making 30 % of the PATCHes on VirtualMachineInstances
 * answer 500 leaves the VM converging through virt-controller's retries, and
 * the API server's /metrics shows the failed and the successful PATCHes.
 */
import t from 'tap';
import { withEmulator, type EmulatorFixture } from '../helpers/cluster.js';
import { kubevirtSchema } from '../helpers/kubevirt.js';
import { metricSum } from '../../src/scenario/metrics.js';

const FLAKY_VMI_PATCH = `apiVersion: emulator.kubevirt.io/v1alpha1
kind: Fault
metadata: { name: flaky-vmi-patch, namespace: default }
spec:
  type: api-error
  target: { group: kubevirt.io, resource: virtualmachineinstances, verb: patch }
  percent: 30
  code: 500
`;

async function kubectlOk(fixture: EmulatorFixture, args: string[], input?: string): Promise<string> {
  const result = await fixture.kubectl(args, { input, timeoutMs: 60_000 });
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}

async function vmiPatches(fixture: EmulatorFixture, code: string): Promise<number> {
  const labels = { verb: 'PATCH', group: 'kubevirt.io', resource: 'virtualmachineinstances', subresource: '', code };
  return metricSum(await kubectlOk(fixture, ['get', '--raw', '/metrics']), 'apiserver_request_total', labels);
}

t.test('kubectl apply of an api-error Fault: VMI PATCHes fail 30 % of the time, the VM still converges, /metrics shows it', async (t) => {
  const fixture = await withEmulator(t, { workers: 1, installKubeVirt: true });

  t.equal((await kubectlOk(fixture, ['apply', '-f', '-'], FLAKY_VMI_PATCH)).trim(), 'fault.emulator.kubevirt.io/flaky-vmi-patch created');
  await kubectlOk(fixture, ['wait', 'fault/flaky-vmi-patch', '--for', 'jsonpath={.status.phase}=Active', '--timeout=10s']);
  t.equal(
    await kubectlOk(fixture, ['get', 'fault', 'flaky-vmi-patch', '-o', 'jsonpath={.status.message}']),
    '30% of patch requests on virtualmachineinstances answer HTTP 500',
  );

  await kubectlOk(fixture, ['apply', '-f', kubevirtSchema('examples/vm-cirros.yaml')]);
  // Several start/stop cycles, so that virt-controller's VMI PATCHes meet the fault more than once.
  for (let cycle = 0; cycle < 6; cycle++) {
    await kubectlOk(fixture, ['patch', 'vm', 'vm-cirros', '--type', 'merge', '-p', '{"spec":{"runStrategy":"Always"}}']);
    await kubectlOk(fixture, ['wait', 'vm/vm-cirros', '--for', 'condition=Ready', '--timeout=60s']);
    await kubectlOk(fixture, ['patch', 'vm', 'vm-cirros', '--type', 'merge', '-p', '{"spec":{"runStrategy":"Halted"}}']);
    await kubectlOk(fixture, ['wait', 'vm/vm-cirros', '--for', 'jsonpath={.status.printableStatus}=Stopped', '--timeout=60s']);
  }
  const failed = await vmiPatches(fixture, '500');
  const succeeded = await vmiPatches(fixture, '200');
  t.ok(failed >= 1, `VMI PATCHes answered 500: ${failed}`);
  t.ok(succeeded >= 1, `VMI PATCHes answered 200: ${succeeded}`);
  // The scheduler bound each launcher pod: a create of pods/binding, which kube-apiserver counts as POST answered 201.
  const metrics = await kubectlOk(fixture, ['get', '--raw', '/metrics']);
  const bindings = (verb: string) => metricSum(metrics, 'apiserver_request_total', { verb, resource: 'pods', subresource: 'binding' });
  t.same([bindings('POST') >= 6, bindings('PUT')], [true, 0], `POST pods/binding: ${bindings('POST')}`);
  t.equal(
    metricSum(metrics, 'apiserver_request_total', { verb: 'POST', resource: 'pods', subresource: 'binding', code: '201' }),
    bindings('POST'),
  );

  // kubectl meets the fault too: with percent 100 every patch of the VMI fails, with the injected message.
  await kubectlOk(fixture, ['delete', 'fault', 'flaky-vmi-patch']);
  await kubectlOk(
    fixture,
    ['apply', '-f', '-'],
    FLAKY_VMI_PATCH.replace('percent: 30', 'percent: 100').replace('flaky-vmi-patch', 'broken-vmi-patch'),
  );
  await kubectlOk(fixture, ['wait', 'fault/broken-vmi-patch', '--for', 'jsonpath={.status.phase}=Active', '--timeout=10s']);
  await kubectlOk(fixture, ['patch', 'vm', 'vm-cirros', '--type', 'merge', '-p', '{"spec":{"runStrategy":"Always"}}']);
  await kubectlOk(fixture, ['wait', 'vmi/vm-cirros', '--for', 'jsonpath={.status.phase}=Running', '--timeout=60s']);
  const refused = await fixture.kubectl(['label', 'vmi', 'vm-cirros', 'flaky=yes']);
  t.equal(refused.code, 1);
  t.match(refused.stderr, 'Internal error occurred: injected by fault default/broken-vmi-patch');

  // Deleting the Fault ends it (once the fault controller saw the deletion).
  await kubectlOk(fixture, ['delete', 'fault', 'broken-vmi-patch']);
  let labelled = await fixture.kubectl(['label', 'vmi', 'vm-cirros', 'flaky=no']);
  for (let tries = 1; labelled.code !== 0 && tries < 5; tries++)
    labelled = await fixture.kubectl(['label', 'vmi', 'vm-cirros', 'flaky=no']);
  t.equal(labelled.code, 0, labelled.stderr);
});
