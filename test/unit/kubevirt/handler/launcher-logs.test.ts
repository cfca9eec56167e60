import t from 'tap';
import { NODE_REF, type Node } from '../../../../src/kube/nodes.js';
import { startHandlerHarness, vmiFromExampleVm, WORKER } from './handler-harness.js';

t.test('kubectl logs of a virt-launcher pod: virt-launcher JSON in compute, the serial console in guest-console-log', async (t) => {
  const h = await startHandlerHarness();
  t.teardown(() => h.stop());
  await h.waitFor(
    'handler up',
    async () => (await h.client.get<Node>(NODE_REF, undefined, WORKER)).metadata.labels?.['kubevirt.io/schedulable'] === 'true',
  );
  const { pod, vmi } = await h.scheduleVmi(vmiFromExampleVm('vm-cirros.yaml'));
  const log = async (container: string): Promise<string> => {
    const response = await fetch(`${h.emulator.url}/api/v1/namespaces/default/pods/${pod.metadata.name}/log?container=${container}`, {
      headers: { authorization: `Bearer ${h.emulator.adminToken}` },
    });
    t.equal(response.status, 200);
    return response.text();
  };
  const compute = (await log('compute'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, string>);
  t.match(compute[0], { component: 'virt-launcher', level: 'info', msg: 'Collected all requested hook sidecar sockets' });
  t.match(
    compute.find((l) => l.msg === 'Domain defined.'),
    { name: 'vm-cirros', namespace: 'default', uid: vmi.metadata.uid },
  );
  const serial = await log('guest-console-log');
  t.match(serial, "login as 'cirros' user. default password: 'gocubsgo'. use 'sudo' for root.");
  t.match(serial, /\nvm-cirros login: \n$/);
  t.match(serial, `udhcpc: lease of ${pod.status?.podIP} obtained`);
});
