/**
 * The path with the real kubectl: apply kubevirt-operator.yaml and
 * kubevirt-cr.yaml, wait for Available, then every `kubectl get` of the
 * seed document succeeds, `kubectl get kv` prints the CRD's columns and the
 * status of the reference, and openssl verifies the operator's certificates.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { withEmulator, type EmulatorFixture } from '../../helpers/cluster.js';

const manifests = (file: string): string => fileURLToPath(new URL(`../../../schemas/kubevirt/manifests/${file}`, import.meta.url));
const seed = readFileSync(new URL('../../fixtures/kubevirt-deployment-seed.md', import.meta.url), 'utf8');
/** The seed's `kubectl get ...` lines, as argument lists. */
const seedGets = seed
  .split('\n')
  .filter((line) => line.startsWith('kubectl get '))
  .map((line) => line.trim().split(/\s+/).slice(1));

/** One emulator: the first test installs KubeVirt through kubectl, the openssl test reads the certificates it made. */
let fixture: EmulatorFixture;
t.before(async () => {
  fixture = await withEmulator(t, { workers: 1 });
});

t.test('kubectl apply operator + CR, wait Available, get every seed object', async (t) => {
  const { kubectl } = fixture;
  const operator = await kubectl(['apply', '-f', manifests('kubevirt-operator.yaml')]);
  t.equal(operator.code, 0, operator.stderr);
  const cr = await kubectl(['apply', '-f', manifests('kubevirt-cr.yaml')]);
  t.equal(cr.code, 0, cr.stderr);
  const wait = await kubectl(['-n', 'kubevirt', 'wait', 'kv', 'kubevirt', '--for', 'condition=Available', '--timeout=150s'], {
    timeoutMs: 160_000,
  });
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
  t.same(apiservices.stdout.trim().split('\n').sort(), [
    'apiservice.apiregistration.k8s.io/v1.subresources.kubevirt.io',
    'apiservice.apiregistration.k8s.io/v1alpha3.subresources.kubevirt.io',
  ]);

  const table = await kubectl(['-n', 'kubevirt', 'get', 'kv']);
  t.match(table.stdout, /^NAME\s+AGE\s+PHASE\nkubevirt\s+\d+s\s+Deployed\n$/, 'the CRD columns NAME AGE PHASE');
  const kv = parse((await kubectl(['-n', 'kubevirt', 'get', 'kv', 'kubevirt', '-o', 'yaml'])).stdout);
  t.same(
    kv.status.conditions.map((c: { type: string; status: string; reason: string; message: string }) => [
      c.type,
      c.status,
      c.reason,
      c.message,
    ]),
    [
      ['Available', 'True', 'AllComponentsReady', 'All components are ready.'],
      ['Progressing', 'False', 'AllComponentsReady', 'All components are ready.'],
      ['Degraded', 'False', 'AllComponentsReady', 'All components are ready.'],
      ['Created', 'True', 'AllResourcesCreated', 'All resources were created.'],
    ],
  );
  t.match(kv.status, {
    phase: 'Deployed',
    operatorVersion: 'v1.9.0-rc.2',
    targetKubeVirtVersion: 'v1.9.0-rc.2',
    targetKubeVirtRegistry: 'quay.io/kubevirt',
    observedKubeVirtVersion: 'v1.9.0-rc.2',
    observedKubeVirtRegistry: 'quay.io/kubevirt',
    observedGeneration: Number,
  });
  t.equal(kv.status.observedDeploymentID, kv.status.targetDeploymentID);
  t.ok(kv.status.generations.length > 0, 'generations[] lists the operands');
});

t.test('openssl: virt-api serving certificate is valid and chains to kubevirt-ca', async (t) => {
  const { kubectl } = fixture;
  const decoded = async (kind: string, name: string, key: string): Promise<string> => {
    const result = await kubectl(['-n', 'kubevirt', 'get', kind, name, '-o', `jsonpath={.data.${key.replace(/\./g, '\\.')}}`]);
    t.equal(result.code, 0, result.stderr);
    return Buffer.from(result.stdout, 'base64').toString('utf8');
  };
  const dir = mkdtempSync(join(tmpdir(), 'kubevirt-certs-'));
  writeFileSync(join(dir, 'ca.crt'), await decoded('secret', 'kubevirt-ca', 'tls.crt'));
  writeFileSync(join(dir, 'virt-api.crt'), await decoded('secret', 'kubevirt-virt-api-certs', 'tls.crt'));
  const openssl = (args: string[]): string => {
    try {
      return execFileSync('openssl', args, { encoding: 'utf8' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('openssl is not installed: apt-get install -y openssl');
      throw err;
    }
  };
  const text = openssl(['x509', '-noout', '-text', '-in', join(dir, 'virt-api.crt')]);
  t.match(text, 'Public Key Algorithm: id-ecPublicKey');
  t.match(text, 'NIST CURVE: P-256');
  t.match(text, 'DNS:virt-api.kubevirt.svc');
  t.match(openssl(['verify', '-CAfile', join(dir, 'ca.crt'), join(dir, 'virt-api.crt')]), 'virt-api.crt: OK');
});
