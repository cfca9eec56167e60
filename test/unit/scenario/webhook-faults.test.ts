import t from 'tap';
import { join } from 'node:path';
import { inProcessEnvironment } from '../../../src/scenario/environment.js';
import { installKubeVirt } from '../../../src/scenario/kubevirt-install.js';

const FAULTS = '/apis/emulator.kubevirt.io/v1alpha1/namespaces/default/faults';
const VMS = '/apis/kubevirt.io/v1/namespaces/default/virtualmachines';

const vm = (name: string) => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachine',
  metadata: { name },
  spec: { runStrategy: 'Halted', template: { spec: { domain: { devices: {}, memory: { guest: '128Mi' } } } } },
});

t.test(
  'webhook-timeout: virt-api takes admission calls and never answers; failurePolicy Fail rejects the write after timeoutSeconds',
  async (t) => {
    const env = await inProcessEnvironment({ workers: 1 });
    t.teardown(() => env.stop());
    await installKubeVirt({
      api: env.api,
      time: env.time,
      scenarioFile: join(env.kubectlCacheDir, 'x.yaml'),
      kubeconfigPath: env.kubeconfigPath,
      kubectlCacheDir: env.kubectlCacheDir,
      vars: {},
    });

    await env.api.call('POST', FAULTS, {
      apiVersion: 'emulator.kubevirt.io/v1alpha1',
      kind: 'Fault',
      metadata: { name: 'slow-virt-api' },
      spec: { type: 'webhook-timeout', target: { namespace: 'kubevirt', name: 'virt-api' } },
    });
    await env.time.advance(250);
    const fault = await env.api.call<{ status?: { phase?: string; message?: string } }>('GET', `${FAULTS}/slow-virt-api`);
    t.same(fault.status, { phase: 'Active', message: 'webhooks served by service kubevirt/virt-api do not answer' });

    let answer: { status: number; body: unknown } | undefined;
    const pending = env.api.request('POST', VMS, vm('waiting')).then((response) => (answer = response));
    await env.time.settle();
    await env.time.advance(9_000);
    t.equal(answer, undefined, 'no answer before the webhook timeout');
    await env.time.advance(1_000);
    await pending;
    t.equal(answer?.status, 500);
    t.match(answer?.body, {
      message:
        /failed calling webhook "[^"]+": failed to call webhook: Post "https:\/\/virt-api\.kubevirt\.svc:443\/[^"]+": context deadline exceeded/,
    });

    await env.api.call('DELETE', `${FAULTS}/slow-virt-api`);
    await env.time.settle();
    t.equal((await env.api.request('POST', VMS, vm('answered'))).status, 201, 'deleting the Fault ends it');
  },
);
