import t from 'tap';
import { inProcessEnvironment } from '../../../src/scenario/environment.js';
import { runKubectl } from '../../../src/scenario/kubectl.js';

const FAULTS = '/apis/emulator.kubevirt.io/v1alpha1/namespaces/default/faults';
const WORKER = 'kubevirt-emulator-worker';

t.test('Fault objects applied with kubectl stop and restart a kubelet; a Fault that cannot be injected goes Failed', async (t) => {
  const env = await inProcessEnvironment({ workers: 1 });
  t.teardown(() => env.stop());
  const kubectl = (args: string[], input?: string) =>
    runKubectl(args, { kubeconfig: env.kubeconfigPath, cacheDir: env.kubectlCacheDir }, input);
  const phaseOf = async (name: string): Promise<{ phase?: string; message?: string } | undefined> => {
    for (let i = 0; i < 40; i++) {
      const status = (await env.api.call<{ status?: { phase?: string; message?: string } }>('GET', `${FAULTS}/${name}`)).status;
      if (status?.phase) return status;
      await env.time.advance(250);
    }
    return undefined;
  };

  const fault = `apiVersion: emulator.kubevirt.io/v1alpha1\nkind: Fault\nmetadata: {name: lose-worker, namespace: default}\nspec: {type: node-lost, target: {node: ${WORKER}}}\n`;
  const applied = await kubectl(['apply', '-f', '-'], fault);
  t.equal(applied.code, 0, applied.stderr);
  t.equal(applied.stdout.trim(), 'fault.emulator.kubevirt.io/lose-worker created');
  t.same(await phaseOf('lose-worker'), { phase: 'Active', message: `kubelet on node ${WORKER} stopped` });

  await env.time.advance(60_000);
  const node = await env.api.call<{ status: { conditions: Array<{ type: string; status: string }> } }>('GET', `/api/v1/nodes/${WORKER}`);
  t.equal(node.status.conditions.find((c) => c.type === 'Ready')?.status, 'Unknown', 'the node lifecycle controller saw the kubelet go');

  const listed = await kubectl(['get', 'faults']);
  t.match(listed.stdout, /^NAME\s+TYPE\s+NODE\s+TARGET\s+PHASE\s+AGE\nlose-worker\s+node-lost\s+kubevirt-emulator-worker\s+Active\s+/);

  const deleted = await kubectl(['delete', 'fault', 'lose-worker']);
  t.equal(deleted.code, 0, deleted.stderr);
  await env.time.advance(20_000);
  const back = await env.api.call<{ status: { conditions: Array<{ type: string; status: string }> } }>('GET', `/api/v1/nodes/${WORKER}`);
  t.equal(back.status.conditions.find((c) => c.type === 'Ready')?.status, 'True', 'deleting the Active fault started the kubelet again');

  await env.api.call('POST', FAULTS, {
    apiVersion: 'emulator.kubevirt.io/v1alpha1',
    kind: 'Fault',
    metadata: { name: 'no-vmi' },
    spec: { type: 'guest-crash', target: { name: 'missing' } },
  });
  const failed = await phaseOf('no-vmi');
  t.equal(failed?.phase, 'Failed');
  t.ok(failed?.message, `a reason is given: ${failed?.message}`);
});
