import t from 'tap';
import { inProcessEnvironment, type Environment } from '../../../src/scenario/environment.js';
import { metricSum } from '../../../src/scenario/metrics.js';

const FAULTS = '/apis/emulator.kubevirt.io/v1alpha1/namespaces/default/faults';
const CONFIGMAPS = '/api/v1/namespaces/default/configmaps';

async function injectFault(env: Environment, name: string, spec: Record<string, unknown>): Promise<{ phase?: string; message?: string }> {
  await env.api.call('POST', FAULTS, { apiVersion: 'emulator.kubevirt.io/v1alpha1', kind: 'Fault', metadata: { name }, spec });
  for (let i = 0; i < 40; i++) {
    const status = (await env.api.call<{ status?: { phase?: string; message?: string } }>('GET', `${FAULTS}/${name}`)).status;
    if (status?.phase) return status;
    await env.time.advance(250);
  }
  throw new Error(`fault ${name} was not taken on`);
}

async function removeFault(env: Environment, name: string): Promise<void> {
  await env.api.call('DELETE', `${FAULTS}/${name}`);
  await env.time.settle();
}

const configMap = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: '1' } });

async function requestTotal(env: Environment, labels: Record<string, string>): Promise<number> {
  const response = await env.api.request('GET', '/metrics');
  return metricSum(String(response.body), 'apiserver_request_total', labels);
}

t.test('api-latency delays matching requests by simulated time; deleting the Fault ends it', async (t) => {
  const env = await inProcessEnvironment({ workers: 0 });
  t.teardown(() => env.stop());
  const status = await injectFault(env, 'slow-creates', {
    type: 'api-latency',
    target: { resource: 'configmaps', verb: 'create' },
    milliseconds: 2000,
  });
  t.same(status, { phase: 'Active', message: '100% of create requests on configmaps answer 2000ms later' });

  let answered: number | undefined;
  const pending = env.api.request('POST', CONFIGMAPS, configMap('slow')).then((r) => (answered = r.status));
  await env.time.settle();
  await env.time.advance(1999);
  t.equal(answered, undefined, 'not answered before 2 s of simulated time');
  await env.time.advance(1);
  await pending;
  t.equal(answered, 201);
  t.equal((await env.api.request('GET', `${CONFIGMAPS}/slow`)).status, 200, 'other verbs are not delayed');

  await removeFault(env, 'slow-creates');
  t.equal((await env.api.request('POST', CONFIGMAPS, configMap('fast'))).status, 201, 'answered without moving the clock');
});

t.test('api-error answers the code with its Status reason; /metrics counts the answers by verb, resource and code', async (t) => {
  const env = await inProcessEnvironment({ workers: 0 });
  t.teardown(() => env.stop());
  await env.api.call('POST', CONFIGMAPS, configMap('settings'));
  await injectFault(env, 'unavailable', {
    type: 'api-error',
    target: { resource: 'configmaps', verb: 'get', name: 'settings' },
    code: 503,
  });

  const failed = await env.api.request('GET', `${CONFIGMAPS}/settings`);
  t.equal(failed.status, 503);
  t.match(failed.body, { kind: 'Status', reason: 'ServiceUnavailable', code: 503, message: 'injected by fault default/unavailable' });
  t.equal((await env.api.request('GET', '/api/v1/namespaces/kube-system/configmaps/none')).status, 404, 'another name is not hit');

  const labels = { verb: 'GET', group: '', version: 'v1', resource: 'configmaps', scope: 'resource', component: 'apiserver' };
  t.equal(await requestTotal(env, { ...labels, code: '503' }), 1);
  t.equal(await requestTotal(env, { ...labels, code: '404' }), 1);

  const never = await injectFault(env, 'never', { type: 'api-error', target: { resource: 'configmaps', verb: 'create' }, percent: 0 });
  t.equal(never.phase, 'Active');
  const creates = { verb: 'POST', resource: 'configmaps', scope: 'namespace', code: '201' };
  const createdBefore = await requestTotal(env, creates);
  t.equal((await env.api.request('POST', CONFIGMAPS, configMap('other'))).status, 201, 'percent 0 hits nothing');
  t.equal(await requestTotal(env, creates), createdBefore + 1, 'the create is counted');

  const invalid = await injectFault(env, 'no-delay', { type: 'api-latency', target: { resource: 'configmaps' } });
  t.same(invalid, { phase: 'Failed', message: 'an api-latency fault needs spec.milliseconds' });
});
