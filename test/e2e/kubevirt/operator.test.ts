/**
 * The path with the real kubectl: apply kubevirt-operator.yaml and
 * kubevirt-cr.yaml, wait for Available, then every `kubectl get` of the
 * seed document succeeds.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withEmulator } from '../../helpers/cluster.js';

const manifests = (file: string): string => fileURLToPath(new URL(`../../../schemas/kubevirt/manifests/${file}`, import.meta.url));
const seed = readFileSync(new URL('../../fixtures/kubevirt-deployment-seed.md', import.meta.url), 'utf8');
/** The seed's `kubectl get ...` lines, as argument lists. */
const seedGets = seed
  .split('\n')
  .filter((line) => line.startsWith('kubectl get '))
  .map((line) => line.trim().split(/\s+/).slice(1));

t.test('kubectl apply operator + CR, wait Available, get every seed object', async (t) => {
  const { kubectl } = await withEmulator(t, { workers: 1 });
  const operator = await kubectl(['apply', '-f', manifests('kubevirt-operator.yaml')]);
  t.equal(operator.code, 0, operator.stderr);
  const cr = await kubectl(['apply', '-f', manifests('kubevirt-cr.yaml')]);
  t.equal(cr.code, 0, cr.stderr);
  const wait = await kubectl(['-n', 'kubevirt', 'wait', 'kv', 'kubevirt', '--for', 'condition=Available', '--timeout=150s'], { timeoutMs: 160_000 });
  t.equal(wait.code, 0, wait.stderr);
  t.match(wait.stdout, 'kubevirt.kubevirt.io/kubevirt condition met');
  t.equal(seedGets.length, 79, 'every seed command found');
  for (const args of seedGets) {
    const result = await kubectl(args);
    t.equal(result.code, 0, `kubectl ${args.join(' ')}: ${result.stderr}`);
  }
  const phase = await kubectl(['-n', 'kubevirt', 'get', 'kv', 'kubevirt', '-o', 'jsonpath={.status.phase}']);
  t.equal(phase.stdout, 'Deployed');
  const apiservices = await kubectl(['get', 'apiservices.apiregistration.k8s.io', '-l', 'kubevirt.io=virt-api-aggregator', '-o', 'name']);
  t.same(apiservices.stdout.trim().split('\n').sort(), ['apiservice.apiregistration.k8s.io/v1.subresources.kubevirt.io', 'apiservice.apiregistration.k8s.io/v1alpha3.subresources.kubevirt.io']);
});
