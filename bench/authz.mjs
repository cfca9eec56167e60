// Authorization cost: GET and create throughput over HTTPS for a user RBAC
// evaluates (a ServiceAccount bound to `edit` in the namespace) against a
// system:masters user, which kube-apiserver's authorizer short-circuits, in
// the same run and on the same emulator. Both act through impersonation from
// the admin kubeconfig, so both pay the same impersonation work and differ only
// in the RBAC evaluation. Rounds alternate and the medians are compared.
import { clientCredentials, configMap, createNamespace, startQuietEmulator, temporaryDirectory } from './lib/emulator.mjs';
import { measureLoad } from './lib/load.mjs';
import { median, note, report } from './lib/report.mjs';

const CONCURRENCY = 32;
const DURATION_MS = 3000;
const WARMUP_MS = 1500;
const ROUNDS = 3;
const NAMESPACE = 'bench';
const TARGET = { op: '>=', value: 0.9 };

const users = {
  masters: { 'Impersonate-User': 'bench-admin', 'Impersonate-Group': 'system:masters' },
  rbac: { 'Impersonate-User': `system:serviceaccount:${NAMESPACE}:editor` },
};

const dataDir = await temporaryDirectory('authz-data');
const workDir = await temporaryDirectory('authz-work');
try {
  const emulator = await startQuietEmulator(dataDir.path, workDir.path);
  const credentials = await clientCredentials(emulator);
  await createNamespace(emulator.client, NAMESPACE);
  await emulator.client.create(configMap(NAMESPACE, 'target'));
  await emulator.client.create({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'editor', namespace: NAMESPACE },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
    subjects: [{ kind: 'ServiceAccount', name: 'editor', namespace: NAMESPACE }],
  });

  const requests = {
    get: { kind: 'get', path: `/api/v1/namespaces/${NAMESPACE}/configmaps/target`, expectStatus: 200 },
    create: (prefix) => ({ kind: 'create', path: `/api/v1/namespaces/${NAMESPACE}/configmaps`, namePrefix: prefix, expectStatus: 201 }),
  };
  const results = { get: { masters: [], rbac: [] }, create: { masters: [], rbac: [] } };
  for (let round = 0; round < ROUNDS; round++) {
    for (const operation of ['get', 'create']) {
      for (const user of round % 2 ? ['rbac', 'masters'] : ['masters', 'rbac']) {
        const request = operation === 'get' ? requests.get : requests.create(`${user}-${round}`);
        const result = await measureLoad({
          origin: emulator.url,
          ca: credentials.ca,
          token: credentials.token,
          extraHeaders: users[user],
          concurrency: CONCURRENCY,
          warmupMs: WARMUP_MS,
          durationMs: DURATION_MS,
          request,
        });
        note(
          `round ${round + 1} ${operation} as ${user}: ${Math.round(result.perSecond)} req/s, statuses ${JSON.stringify(result.statuses)}`,
        );
        results[operation][user].push(result.perSecond);
      }
    }
  }
  await emulator.stop();

  const rows = [];
  for (const operation of ['get', 'create']) {
    const masters = median(results[operation].masters);
    const rbac = median(results[operation].rbac);
    rows.push(
      { metric: `${operation} ConfigMap as system:masters (median of ${ROUNDS})`, value: masters, unit: 'req/s' },
      { metric: `${operation} ConfigMap as an RBAC-evaluated ServiceAccount`, value: rbac, unit: 'req/s' },
      { metric: `${operation} ratio RBAC / system:masters`, value: rbac / masters, unit: '', target: TARGET },
    );
  }
  report('authz', rows);
} finally {
  await dataDir.remove();
  await workDir.remove();
}
