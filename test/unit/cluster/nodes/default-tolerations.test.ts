import t from 'tap';
import type { AdmissionAttributes } from '../../../../src/admission/chain.js';
import type { KubeObject, ResourceType } from '../../../../src/api/types.js';
import { defaultTolerationSecondsPlugin } from '../../../../src/cluster/nodes/index.js';

const podsType = { group: '', version: 'v1', plural: 'pods', kind: 'Pod' } as ResourceType;
const attributes = (object: KubeObject, extra: Partial<AdmissionAttributes> = {}): AdmissionAttributes =>
  ({
    operation: 'CREATE',
    type: podsType,
    object,
    dryRun: false,
    user: { username: 'u', groups: [] },
    warnings: [],
    ...extra,
  }) as AdmissionAttributes;
const pod = (tolerations?: unknown[]): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p' },
  spec: { containers: [], ...(tolerations ? { tolerations } : {}) },
});
const tolerationsOf = (obj: KubeObject | undefined) => (obj?.spec as { tolerations?: unknown[] } | undefined)?.tolerations;

t.test('adds 300 s tolerations of not-ready and unreachable', async (t) => {
  t.same(tolerationsOf(await defaultTolerationSecondsPlugin.mutate(attributes(pod()))), [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ]);
});

t.test('keeps what the pod already tolerates', async (t) => {
  const own = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 };
  t.same(tolerationsOf(await defaultTolerationSecondsPlugin.mutate(attributes(pod([own])))), [
    own,
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ]);
  const everything = [{ operator: 'Exists' }];
  t.same(
    tolerationsOf(await defaultTolerationSecondsPlugin.mutate(attributes(pod(everything)))),
    everything,
    'an empty key and effect tolerates both',
  );
});

t.test('leaves subresources and other kinds alone', async (t) => {
  t.notOk(tolerationsOf(await defaultTolerationSecondsPlugin.mutate(attributes(pod(), { subresource: 'status' }))));
  const deployments = { ...podsType, group: 'apps', plural: 'deployments' } as ResourceType;
  t.notOk(tolerationsOf(await defaultTolerationSecondsPlugin.mutate(attributes(pod(), { type: deployments }))));
});
