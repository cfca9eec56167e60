// Webhook matchConditions are CEL with object, oldObject and request: all must hold for the webhook to be called.
import t from 'tap';
import type { AdmissionAttributes } from '../../../src/admission/chain.js';
import { matchConditions } from '../../../src/admission/webhooks/matching.js';
import type { Webhook } from '../../../src/admission/webhooks/types.js';
import { builtinResourceTypes } from '../../../src/api/builtin-types.js';

const pods = builtinResourceTypes().find((x) => x.plural === 'pods' && x.group === '')!;
const attributes = (name: string, username = 'alice'): AdmissionAttributes => ({
  operation: 'CREATE',
  type: pods,
  namespace: 'default',
  name,
  object: { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels: { app: 'web' } } },
  dryRun: false,
  user: { username, groups: ['system:authenticated'] },
  warnings: [],
});
const webhook = (expressions: string[], failurePolicy: 'Fail' | 'Ignore' = 'Fail'): Webhook => ({
  name: 'w.example.com',
  clientConfig: {},
  failurePolicy,
  matchConditions: expressions.map((expression, i) => ({ name: `c${i}`, expression })),
});

t.test('every condition must be true', async (t) => {
  const launcherOnly = webhook(['object.metadata.name.startsWith("virt-launcher")']);
  t.equal(matchConditions(launcherOnly, attributes('virt-launcher-a')), true);
  t.equal(matchConditions(launcherOnly, attributes('web-a')), false);
  const two = webhook(["object.metadata.labels.app == 'web'", "request.userInfo.username != 'system:admin'"]);
  t.equal(matchConditions(two, attributes('x')), true);
  t.equal(matchConditions(two, attributes('x', 'system:admin')), false);
});

t.test('an evaluation error calls the webhook under Fail and skips it under Ignore', async (t) => {
  t.equal(matchConditions(webhook(['object.spec.missing == 1']), attributes('x')), true);
  t.equal(matchConditions(webhook(['object.spec.missing == 1'], 'Ignore'), attributes('x')), false);
});
