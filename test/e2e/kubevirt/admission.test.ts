/**
 * KubeVirt's admission with the real kubectl, after installing KubeVirt with
 * its operator: virt-api's webhooks default and reject as on a cluster, a
 * second KubeVirt CR is refused, and with virt-api scaled to zero the
 * apiserver reports the refused connection and the aggregator answers 503
 * for subresources.kubevirt.io, until virt-api is scaled back.
 */
import t from 'tap';
import { withEmulator } from '../../helpers/cluster.js';
import { installKubeVirt, kubevirtSchema } from '../../helpers/kubevirt.js';

t.test('virt-api webhooks through kubectl', async (t) => {
  const fixture = await withEmulator(t, { workers: 1 });
  const { kubectl } = fixture;
  await installKubeVirt(fixture);

  const noStrategy = JSON.stringify({
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'nostrategy' },
    spec: { template: { spec: { domain: { devices: {} }, volumes: [] } } },
  });
  const rejected = await kubectl(['create', '-f', '-'], { input: noStrategy });
  t.not(rejected.code, 0);
  // kubectl prints a 422 whose details carry causes but no name as "The request is invalid: <field>: <message>", as with real KubeVirt.
  t.match(rejected.stderr, 'The request is invalid: spec.running: RunStrategy must be specified');

  const created = await kubectl(['create', '-f', kubevirtSchema('examples/vmi-migratable.yaml')]);
  t.equal(created.code, 0, created.stderr);
  const machine = await kubectl(['get', 'vmi', 'vmi-migratable', '-o', 'jsonpath={.spec.domain.machine.type} {.spec.domain.cpu.sockets} {.status.runtimeUser}']);
  t.equal(machine.stdout, 'q35 1 107');

  const running = await kubectl(['create', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata: { name: 'deprecated' }, spec: { running: false, template: { spec: { domain: { devices: {}, memory: { guest: '64Mi' } } } } } }),
  });
  t.equal(running.code, 0, running.stderr);
  t.match(running.stderr, 'Warning: spec.running is deprecated, please use spec.runStrategy instead.');

  const second = await kubectl(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'kubevirt.io/v1', kind: 'KubeVirt', metadata: { name: 'second', namespace: 'default' }, spec: {} }) });
  t.not(second.code, 0);
  t.match(second.stderr, 'admission webhook "kubevirt-create-validator.kubevirt.io" denied the request: Kubevirt is already created');

  // Without virt-api, the apiserver cannot reach the webhooks (the operator would scale it back; stop it first).
  const clusterIP = (await kubectl(['-n', 'kubevirt', 'get', 'svc', 'virt-api', '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
  await kubectl(['-n', 'kubevirt', 'scale', 'deployment', 'virt-operator', '--replicas=0']);
  await kubectl(['-n', 'kubevirt', 'scale', 'deployment', 'virt-api', '--replicas=0']);
  await kubectl(['-n', 'kubevirt', 'wait', 'pod', '-l', 'kubevirt.io=virt-api', '--for=delete', '--timeout=60s'], { timeoutMs: 70_000 });
  const down = await kubectl(['create', '-f', kubevirtSchema('examples/vm-cirros.yaml')]);
  t.not(down.code, 0);
  t.match(
    down.stderr,
    `Internal error occurred: failed calling webhook "virtualmachines-mutator.kubevirt.io": failed to call webhook: Post "https://virt-api.kubevirt.svc:443/virtualmachines-mutate?timeout=10s": dial tcp ${clusterIP}:443: connect: connection refused`,
  );
  // The aggregator has no ready endpoint for the subresources APIService either.
  const start = () => kubectl(['replace', '--raw', '/apis/subresources.kubevirt.io/v1/namespaces/default/virtualmachines/vm-cirros/start', '-f', '-'], { input: '{}' });
  const unavailable = await start();
  t.not(unavailable.code, 0);
  t.match(unavailable.stderr, 'Error from server (ServiceUnavailable): the server is currently unable to handle the request');

  // Scaled back, both answer again.
  await kubectl(['-n', 'kubevirt', 'scale', 'deployment', 'virt-api', '--replicas=1']);
  const ready = await kubectl(['-n', 'kubevirt', 'rollout', 'status', 'deployment/virt-api', '--timeout=60s'], { timeoutMs: 70_000 });
  t.equal(ready.code, 0, ready.stderr);
  const up = await kubectl(['create', '-f', kubevirtSchema('examples/vm-cirros.yaml')]);
  t.equal(up.code, 0, up.stderr);
  t.equal((await kubectl(['get', 'vm', 'vm-cirros', '-o', 'jsonpath={.spec.template.spec.domain.machine.type}'])).stdout, 'q35', 'the mutator ran');
  const started = await start();
  t.equal(started.code, 0, started.stderr);
  t.equal((await kubectl(['get', 'vm', 'vm-cirros', '-o', 'jsonpath={.spec.runStrategy}'])).stdout, 'Always');
});
