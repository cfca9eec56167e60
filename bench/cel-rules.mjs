// CRD validation rules' cost on writes: creates/s of a custom resource whose CRD carries ten
// x-kubernetes-validations rules against the same resource under a CRD without rules, in the same run and emulator.
// Creates go through the in-process client (the whole registry path: defaulting, schema validation, CEL, admission,
// store), CONCURRENCY at a time; rounds alternate and the medians are compared. Rules are compiled once per schema.
import { createNamespace, startQuietEmulator, temporaryDirectory } from './lib/emulator.mjs';
import { median, note, report } from './lib/report.mjs';

const CONCURRENCY = 16;
const DURATION_MS = 3000;
const ROUNDS = 3;
const NAMESPACE = 'bench';
const TARGET = { op: '>=', value: 0.7 };

const rules = [
  { rule: 'self.minReplicas <= self.maxReplicas', message: 'minReplicas must not exceed maxReplicas' },
  { rule: "self.host.matches('^[a-z0-9.-]+$')" },
  { rule: 'self.ports.all(p, p > 0 && p < 65536)' },
  { rule: 'self.ports.exists(p, p == 443)' },
  { rule: "!has(self.mode) || self.mode in ['Auto', 'Manual']" },
  { rule: 'size(self.tags) <= 8' },
  { rule: "self.tags.all(t, !t.startsWith('kubernetes.io/'))" },
  { rule: "self.host.endsWith('.example.com')", messageExpression: "'host ' + self.host + ' is outside example.com'" },
  { rule: 'self.ports.size() == self.ports.filter(p, p >= 0).size()' },
  { rule: "isURL('https://' + self.host)" },
];

const specSchema = (withRules) => ({
  type: 'object',
  ...(withRules ? { 'x-kubernetes-validations': rules } : {}),
  properties: {
    minReplicas: { type: 'integer' },
    maxReplicas: { type: 'integer' },
    host: { type: 'string', maxLength: 253 },
    mode: { type: 'string' },
    ports: { type: 'array', maxItems: 16, items: { type: 'integer' } },
    tags: { type: 'array', maxItems: 16, items: { type: 'string', maxLength: 63 } },
  },
});

const crd = (plural, kind, withRules) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${plural}.bench.example.com` },
  spec: {
    group: 'bench.example.com',
    scope: 'Namespaced',
    names: { plural, kind, singular: kind.toLowerCase() },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: specSchema(withRules) } } },
      },
    ],
  },
});

const object = (kind, name) => ({
  apiVersion: 'bench.example.com/v1',
  kind,
  metadata: { name, namespace: NAMESPACE },
  spec: { minReplicas: 1, maxReplicas: 3, host: 'api.example.com', mode: 'Auto', ports: [80, 443, 8443], tags: ['a', 'b'] },
});

async function createsPerSecond(client, kind, prefix) {
  let created = 0;
  let sequence = 0;
  const deadline = performance.now() + DURATION_MS;
  const worker = async () => {
    while (performance.now() < deadline) {
      await client.create(object(kind, `${prefix}-${sequence++}`));
      created++;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return created / ((performance.now() - start) / 1000);
}

const dataDir = await temporaryDirectory('cel-data');
const workDir = await temporaryDirectory('cel-work');
try {
  const emulator = await startQuietEmulator(dataDir.path, workDir.path, { workers: 0 });
  await createNamespace(emulator.client, NAMESPACE);
  await emulator.client.create(crd('ruledgadgets', 'RuledGadget', true));
  await emulator.client.create(crd('plaingadgets', 'PlainGadget', false));
  await new Promise((resolve) => setTimeout(resolve, 500));
  // Warm-up: the first create of each kind compiles its schema.
  await emulator.client.create(object('RuledGadget', 'warmup'));
  await emulator.client.create(object('PlainGadget', 'warmup'));
  const results = { ruled: [], plain: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const which of round % 2 ? ['ruled', 'plain'] : ['plain', 'ruled']) {
      const kind = which === 'ruled' ? 'RuledGadget' : 'PlainGadget';
      const rate = await createsPerSecond(emulator.client, kind, `${which}-${round}`);
      note(`round ${round + 1} ${kind}: ${Math.round(rate)} creates/s`);
      results[which].push(rate);
    }
  }
  await emulator.stop();
  const ruled = median(results.ruled);
  const plain = median(results.plain);
  report('cel-rules', [
    { metric: `create a CR without rules (median of ${ROUNDS})`, value: plain, unit: 'creates/s' },
    { metric: 'create the same CR under ten CEL rules', value: ruled, unit: 'creates/s' },
    { metric: 'ratio ten rules / no rules', value: ruled / plain, unit: '', target: TARGET },
  ]);
} finally {
  await dataDir.remove();
  await workDir.remove();
}
