/**
 * KubeVirt's access rules asked through SubjectAccessReviews (raw HTTPS, kept-alive connections): view, edit and admin ServiceAccounts
 * bound to kube's admin/edit/view in one namespace and nothing in another (what Kubernetes' bootstrap roles plus
 * KubeVirt's kubevirt.io:* roles aggregated into them grant); then KubeVirt's own access tests at v1.9.0-rc.2, spec by
 * spec, with the ServiceAccounts and bindings its testsuite makes (tests/testsuite/serviceaccount.go):
 * tests/access_test.go's two tables and tests/compute/subresources/rbac.go's requests with the ServiceAccounts'
 * legacy tokens. The requests of kube's roles themselves are in rbac.test.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import t from 'tap';
import { parse } from 'yaml';
import { rawClient, type RawClient } from '../../helpers/raw-https.js';
import { accessFixture, NS, OTHER, sa, saGroups, type AccessFixture, type Role } from './access-fixture.js';

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'update', 'patch', 'delete'];
const ALL = [...READ, ...WRITE, 'deletecollection'];

/** [group, resource, verbs each role holds in its namespace]; `default` (no binding) holds nothing. */
const resourceTable: Array<[string, string, Record<Exclude<Role, 'default'>, string[]>]> = [
  ...['virtualmachines', 'virtualmachineinstances', 'virtualmachineinstancereplicasets', 'virtualmachineinstancepresets'].map(
    (r) =>
      ['kubevirt.io', r, { view: READ, edit: [...READ, ...WRITE], admin: ALL }] as [
        string,
        string,
        Record<Exclude<Role, 'default'>, string[]>,
      ],
  ),
  // Migrations are only read through admin/edit/view; creating one takes kubevirt.io:migrate, which aggregates nowhere.
  ['kubevirt.io', 'virtualmachineinstancemigrations', { view: READ, edit: READ, admin: READ }],
  ['pool.kubevirt.io', 'virtualmachinepools', { view: READ, edit: [...READ, ...WRITE], admin: ALL }],
  ['snapshot.kubevirt.io', 'virtualmachinesnapshots', { view: READ, edit: [...READ, ...WRITE], admin: ALL }],
  ['snapshot.kubevirt.io', 'virtualmachinerestores', { view: READ, edit: [...READ, ...WRITE], admin: ALL }],
  ['export.kubevirt.io', 'virtualmachineexports', { view: READ, edit: [...READ, ...WRITE], admin: ALL }],
  ['clone.kubevirt.io', 'virtualmachineclones', { view: READ, edit: [...READ, ...WRITE], admin: ALL }],
  ['instancetype.kubevirt.io', 'virtualmachineinstancetypes', { view: READ, edit: [...READ, ...WRITE], admin: ALL }],
  ['instancetype.kubevirt.io', 'virtualmachinepreferences', { view: READ, edit: [...READ, ...WRITE], admin: ALL }],
  // Core resources from the bootstrap aggregate-to-* roles.
  ['', 'configmaps', { view: READ, edit: ALL, admin: ALL }],
  ['', 'secrets', { view: [], edit: ALL, admin: ALL }],
  ['', 'pods', { view: READ, edit: ALL, admin: ALL }],
  ['apps', 'deployments', { view: READ, edit: ALL, admin: ALL }],
  ['rbac.authorization.k8s.io', 'rolebindings', { view: [], edit: [], admin: ALL }],
];

/** subresources.kubevirt.io: [resource/subresource, verb, roles allowed] (rbac.go: view may not start or open a console). */
const subresourceTable: Array<[string, 'get' | 'update', Role[]]> = [
  ...['start', 'stop', 'restart', 'addvolume', 'removevolume', 'memorydump'].map(
    (s) => [`virtualmachines/${s}`, 'update', ['edit', 'admin']] as [string, 'update', Role[]],
  ),
  ['virtualmachines/migrate', 'update', []],
  ['virtualmachines/expand-spec', 'get', ['view', 'edit', 'admin']],
  ['virtualmachines/portforward', 'get', ['edit', 'admin']],
  ...['pause', 'unpause', 'softreboot', 'freeze', 'unfreeze', 'reset'].map(
    (s) => [`virtualmachineinstances/${s}`, 'update', ['edit', 'admin']] as [string, 'update', Role[]],
  ),
  ...['console', 'vnc', 'portforward', 'usbredir'].map(
    (s) => [`virtualmachineinstances/${s}`, 'get', ['edit', 'admin']] as [string, 'get', Role[]],
  ),
  ...['guestosinfo', 'userlist', 'filesystemlist'].map(
    (s) => [`virtualmachineinstances/${s}`, 'get', ['view', 'edit', 'admin']] as [string, 'get', Role[]],
  ),
];

let fixture: AccessFixture;
let adminHttps: RawClient;

t.before(async () => {
  fixture = await accessFixture(t);
  const applied = await fixture.kubectl(['apply', '-f', '-'], { input: kubevirtTestsuiteAccounts });
  if (applied.code !== 0) throw new Error(applied.stderr);
  adminHttps = rawClient(fixture.emulator.url, fixture.kubeconfigPath);
});

/**
 * Whether a SubjectAccessReview of `spec` is allowed, POSTed on raw HTTPS with the admin's certificate over kept-alive
 * connections (a TLS handshake per review would make the ~2,000 reviews of this file its main cost).
 */
async function reviewAllowed(spec: Record<string, unknown>): Promise<boolean> {
  const body = { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec };
  const answer = await adminHttps.send('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', { body });
  if (answer.status !== 201) throw new Error(`SubjectAccessReview: ${answer.status} ${answer.text}`);
  return (answer.json.status as { allowed?: boolean } | undefined)?.allowed === true;
}

const subjectAccess = (user: string, groups: string[], resourceAttributes: Record<string, string>) =>
  reviewAllowed({ user, groups, resourceAttributes });

t.test('resources: every verb of every role equals the bootstrap policy plus KubeVirt roles (SubjectAccessReview)', async (t) => {
  for (const [group, resource, held] of resourceTable) {
    // Every verb for KubeVirt's core kinds (as access_test.go asks), a read, a write and deletecollection for the rest.
    const verbs = group === 'kubevirt.io' ? ALL : ['get', 'create', 'deletecollection'];
    const cases = (['view', 'edit', 'admin', 'default'] as Role[]).flatMap((role) => [
      ...verbs.map((verb) => ({ role, verb, namespace: NS, expected: role !== 'default' && held[role].includes(verb) })),
      { role, verb: 'get', namespace: OTHER, expected: false },
    ]);
    const answers = await Promise.all(
      cases.map(({ role, verb, namespace }) => subjectAccess(sa(role), saGroups(), { namespace, verb, group, resource })),
    );
    for (const [i, { role, verb, namespace, expected }] of cases.entries()) {
      t.equal(answers[i], expected, `${role} ${verb} ${group}/${resource} in ${namespace}`);
    }
  }
});

t.test('every authenticated user reads the KubeVirt CR and the cluster instancetypes (bound to system:authenticated)', async (t) => {
  const instancetypes = { group: 'instancetype.kubevirt.io', resource: 'virtualmachineclusterinstancetypes' };
  for (const role of ['view', 'default'] as Role[]) {
    t.ok(
      await subjectAccess(sa(role), saGroups(), { namespace: OTHER, verb: 'list', group: 'kubevirt.io', resource: 'kubevirts' }),
      `${role} lists kubevirts`,
    );
    t.notOk(
      await subjectAccess(sa(role), saGroups(), { namespace: OTHER, verb: 'update', group: 'kubevirt.io', resource: 'kubevirts' }),
      `${role} may not update`,
    );
    t.ok(
      await subjectAccess(sa(role), saGroups(), { verb: 'list', ...instancetypes }),
      `${role} lists cluster instancetypes (instancetype.kubevirt.io:view)`,
    );
    t.notOk(await subjectAccess(sa(role), saGroups(), { verb: 'create', ...instancetypes }), `${role} may not create one`);
  }
  t.notOk(await subjectAccess('someone', ['system:unauthenticated'], { verb: 'list', ...instancetypes }), 'not without authentication');
});

t.test('subresources.kubevirt.io: allowed exactly as kubevirt.io:admin/edit/view say', async (t) => {
  for (const [combined, verb, roles] of subresourceTable) {
    const [resource, subresource] = combined.split('/');
    const all = ['view', 'edit', 'admin', 'default'] as Role[];
    const answers = await Promise.all(
      all.map((role) =>
        subjectAccess(sa(role), saGroups(), { namespace: NS, verb, group: 'subresources.kubevirt.io', resource, subresource, name: 'vm1' }),
      ),
    );
    for (const [i, role] of all.entries()) t.equal(answers[i], roles.includes(role), `${role} ${verb} ${combined}`);
  }
});

// ---- KubeVirt's own access tests (v1.9.0-rc.2) ----

/** The ServiceAccounts of KubeVirt's testsuite (tests/testsuite/serviceaccount.go), each with a legacy token Secret. */
const KV_SA = {
  admin: 'kubevirt-admin-test-sa',
  edit: 'kubevirt-edit-test-sa',
  view: 'kubevirt-view-test-sa',
  'instancetype:view': 'kubevirt-instancetype-view-test-sa',
  migrate: 'kubevirt-migrate-test-sa',
  subresource: 'kubevirt-subresource-test-sa',
  unprivileged: 'kubevirt-subresource-test-unprivileged-sa',
} as const;
type KvRole = 'admin' | 'edit' | 'view' | 'instancetype:view' | 'migrate' | 'default';

const rbac = 'rbac.authorization.k8s.io';
const roleBinding = (sa: string, clusterRole: string) => `---
apiVersion: ${rbac}/v1
kind: RoleBinding
metadata: {name: ${sa}, namespace: ${NS}}
roleRef: {apiGroup: ${rbac}, kind: ClusterRole, name: "${clusterRole}"}
subjects: [{kind: ServiceAccount, name: ${sa}, namespace: ${NS}}]`;
const kubevirtTestsuiteAccounts = `
${Object.values(KV_SA)
  .map(
    (name) => `---
apiVersion: v1
kind: ServiceAccount
metadata: {name: ${name}, namespace: ${NS}}
---
apiVersion: v1
kind: Secret
metadata: {name: ${name}, namespace: ${NS}, annotations: {kubernetes.io/service-account.name: ${name}}}
type: kubernetes.io/service-account-token`,
  )
  .join('\n')}
${roleBinding(KV_SA.admin, 'kubevirt.io:admin')}
${roleBinding(KV_SA.edit, 'kubevirt.io:edit')}
${roleBinding(KV_SA.view, 'kubevirt.io:view')}
${roleBinding(KV_SA.migrate, 'kubevirt.io:migrate')}
---
apiVersion: ${rbac}/v1
kind: ClusterRoleBinding
metadata: {name: ${KV_SA['instancetype:view']}-${NS}}
roleRef: {apiGroup: ${rbac}, kind: ClusterRole, name: "instancetype.kubevirt.io:view"}
subjects: [{kind: ServiceAccount, name: ${KV_SA['instancetype:view']}, namespace: ${NS}}]
---
apiVersion: ${rbac}/v1
kind: Role
metadata: {name: ${KV_SA.subresource}, namespace: ${NS}}
rules: [{apiGroups: [subresources.kubevirt.io], resources: [virtualmachines/start, expand-vm-spec], verbs: [update]}]
---
apiVersion: ${rbac}/v1
kind: RoleBinding
metadata: {name: ${KV_SA.subresource}, namespace: ${NS}}
roleRef: {apiGroup: ${rbac}, kind: Role, name: ${KV_SA.subresource}}
subjects: [{kind: ServiceAccount, name: ${KV_SA.subresource}, namespace: ${NS}}]
`;

/** access_test.go's rights: which of the eight verbs a role must be allowed (the rest must be denied). */
type Rights = [KvRole[], string[]];
const VERBS = ['get', 'list', 'watch', 'delete', 'create', 'update', 'patch', 'deletecollection'];
const allowAllFor = (...roles: KvRole[]): Rights => [roles, VERBS];
const denyDeleteCollectionFor = (...roles: KvRole[]): Rights => [roles, VERBS.slice(0, -1)];
const denyModificationsFor = (...roles: KvRole[]): Rights => [roles, ['get', 'list', 'watch']];
const allowUpdateFor = (...roles: KvRole[]): Rights => [roles, ['update']];
const allowGetFor = (...roles: KvRole[]): Rights => [roles, ['get']];
const denyAllFor = (...roles: KvRole[]): Rights => [roles, []];

/** doSarRequest: a SubjectAccessReview for the role's ServiceAccount by user name alone (`default` also in system:authenticated). */
function kubevirtSar(role: KvRole, verb: string, group: string, resource: string, subresource: string, clusterWide: boolean) {
  return reviewAllowed({
    user: `system:serviceaccount:${NS}:${role === 'default' ? 'default' : KV_SA[role]}`,
    ...(role === 'default' ? { groups: ['system:authenticated'] } : {}),
    resourceAttributes: { verb, group, version: 'v1', resource, subresource, ...(clusterWide ? {} : { namespace: NS }) },
  });
}

async function checkRights(
  t: Tap.Test,
  entry: string,
  group: string,
  resource: string,
  subresource: string,
  clusterWide: boolean,
  rights: Rights[],
) {
  const cases = rights.flatMap(([roles, allowed]) =>
    roles.flatMap((role) => VERBS.map((verb) => ({ role, verb, expected: allowed.includes(verb) }))),
  );
  const answers = await Promise.all(cases.map(({ role, verb }) => kubevirtSar(role, verb, group, resource, subresource, clusterWide)));
  const wrong = cases.filter((c, i) => answers[i] !== c.expected).map(({ role, verb, expected }) => `${role} ${verb}: want ${expected}`);
  t.same(wrong, [], `access_test.go ${entry}: ${resource}${subresource ? `/${subresource}` : ''}`);
}

const KV = 'kubevirt.io';
const SNAPSHOT = 'snapshot.kubevirt.io';
const INSTANCETYPE = 'instancetype.kubevirt.io';
/** access_test.go, "should verify permissions on resources are correct for view, edit, and admin": [Entry, group, resource, clusterWide, rights]. */
const resourceEntries: Array<[string, string, string, boolean, Rights[]]> = [
  ...(
    [
      ['[test_id:526]given a vmi', KV, 'virtualmachineinstances'],
      ['[test_id:527]given a vm', KV, 'virtualmachines'],
      ['given a vmpool', 'pool.kubevirt.io', 'virtualmachinepools'],
      ['[test_id:528]given a vmi preset', KV, 'virtualmachineinstancepresets'],
      ['[test_id:529][crit:low]given a vmi replica set', KV, 'virtualmachineinstancereplicasets'],
      ['[test_id:5243]given a vmsnapshot', SNAPSHOT, 'virtualmachinesnapshots'],
      ['[test_id:5244]given a vmsnapshotcontent', SNAPSHOT, 'virtualmachinesnapshotcontents'],
      ['[test_id:5245]given a vmsrestore', SNAPSHOT, 'virtualmachinerestores'],
      ['[test_id:TODO]given a virtualmachineinstancetype', INSTANCETYPE, 'virtualmachineinstancetypes'],
      ['[test_id:TODO]given a virtualmachinepreference', INSTANCETYPE, 'virtualmachinepreferences'],
    ] as const
  ).map(([entry, group, resource]): [string, string, string, boolean, Rights[]] => [
    entry,
    group,
    resource,
    false,
    [
      allowAllFor('admin'),
      denyDeleteCollectionFor('edit'),
      denyModificationsFor('view'),
      denyAllFor('instancetype:view'),
      denyAllFor('default'),
    ],
  ]),
  [
    '[test_id:3230]given a vmi migration',
    KV,
    'virtualmachineinstancemigrations',
    false,
    [
      allowAllFor('migrate'),
      denyModificationsFor('admin'),
      denyModificationsFor('edit'),
      denyModificationsFor('view'),
      denyAllFor('instancetype:view'),
      denyAllFor('default'),
    ],
  ],
  ...(
    [
      ['[test_id:TODO]given a virtualmachineclusterinstancetype', 'virtualmachineclusterinstancetypes'],
      ['[test_id:TODO]given a virtualmachineclusterpreference', 'virtualmachineclusterpreferences'],
    ] as const
  ).map(([entry, resource]): [string, string, string, boolean, Rights[]] => [
    entry,
    INSTANCETYPE,
    resource,
    true,
    [
      denyAllFor('admin'),
      denyAllFor('edit'),
      denyAllFor('view'),
      denyModificationsFor('instancetype:view'),
      denyModificationsFor('default'),
    ],
  ]),
];

/** access_test.go, "should verify permissions on subresources are correct for view, edit, admin, migrate and default". */
const subresourceEntries: Array<[string, string, string, Rights[]]> = [
  ['[test_id:3232]on vm start', 'virtualmachines', 'start', [allowUpdateFor('admin', 'edit'), denyAllFor('view', 'migrate', 'default')]],
  ['[test_id:3233]on vm stop', 'virtualmachines', 'stop', [allowUpdateFor('admin', 'edit'), denyAllFor('view', 'migrate', 'default')]],
  [
    '[test_id:3234]on vm restart',
    'virtualmachines',
    'restart',
    [allowUpdateFor('admin', 'edit'), denyAllFor('view', 'migrate', 'default')],
  ],
  ['on vm expand-spec', 'virtualmachines', 'expand-spec', [allowGetFor('admin', 'edit', 'view'), denyAllFor('migrate', 'default')]],
  ['on vm portforward', 'virtualmachines', 'portforward', [allowGetFor('admin', 'edit'), denyAllFor('view', 'migrate', 'default')]],
  ['on vm migrate', 'virtualmachines', 'migrate', [allowUpdateFor('migrate'), denyAllFor('admin', 'edit', 'view', 'default')]],
  ...['guestosinfo', 'userlist', 'filesystemlist'].map((s): [string, string, string, Rights[]] => [
    `on vmi ${s}`,
    'virtualmachineinstances',
    s,
    [allowGetFor('admin', 'edit', 'view'), denyAllFor('migrate', 'default')],
  ]),
  ...['addvolume', 'removevolume', 'freeze', 'unfreeze'].map((s): [string, string, string, Rights[]] => [
    `on vmi ${s}`,
    'virtualmachineinstances',
    s,
    [allowUpdateFor('admin', 'edit'), denyAllFor('view', 'migrate', 'default')],
  ]),
  ['on vmi reset', 'virtualmachineinstances', 'reset', [allowUpdateFor('admin', 'edit'), denyAllFor('view', 'default')]],
  [
    'on vmi softreboot',
    'virtualmachineinstances',
    'softreboot',
    [allowUpdateFor('admin', 'edit'), denyAllFor('view', 'migrate', 'default')],
  ],
  [
    'on vmi portforward',
    'virtualmachineinstances',
    'portforward',
    [allowGetFor('admin', 'edit'), denyAllFor('view', 'migrate', 'default')],
  ],
  ['on vmi vsock', 'virtualmachineinstances', 'vsock', [denyAllFor('admin', 'edit', 'view', 'migrate', 'default')]],
  ['on expand-vm-spec', 'expand-vm-spec', '', [allowUpdateFor('admin', 'edit', 'view'), denyAllFor('migrate', 'default')]],
  ...['sev/fetchcertchain', 'sev/querylaunchmeasurement'].map((s): [string, string, string, Rights[]] => [
    `on vmi ${s}`,
    'virtualmachineinstances',
    s,
    [allowGetFor('admin', 'edit', 'view'), denyAllFor('migrate', 'default')],
  ]),
  ...['sev/setupsession', 'sev/injectlaunchsecret'].map((s): [string, string, string, Rights[]] => [
    `on vmi ${s}`,
    'virtualmachineinstances',
    s,
    [allowUpdateFor('admin', 'edit'), denyAllFor('migrate', 'default')],
  ]),
  ...['usbredir', 'vnc'].map((s): [string, string, string, Rights[]] => [
    `on vmi ${s}`,
    'virtualmachineinstances',
    s,
    [allowGetFor('admin', 'edit'), denyAllFor('view', 'migrate', 'default')],
  ]),
  [
    'on vmi vnc/screenshot',
    'virtualmachineinstances',
    'vnc/screenshot',
    [allowGetFor('admin'), denyAllFor('edit', 'view', 'migrate', 'default')],
  ],
];

t.test('access_test.go: permissions on resources for view, edit, admin, migrate, instancetype:view and default', async (t) => {
  t.equal(resourceEntries.length, 13, 'every Entry of the table');
  for (const [entry, group, resource, clusterWide, rights] of resourceEntries) {
    await checkRights(t, entry, group, resource, '', clusterWide, rights);
  }
});

t.test('access_test.go: permissions on subresources.kubevirt.io for view, edit, admin, migrate and default', async (t) => {
  t.equal(subresourceEntries.length, 25, 'every Entry of the table');
  for (const [entry, resource, subresource, rights] of subresourceEntries) {
    await checkRights(t, entry, 'subresources.kubevirt.io', resource, subresource, false, rights);
  }
});

t.test("compute/subresources/rbac.go: Rbac authorization with the ServiceAccounts' own legacy tokens", async (t) => {
  const kubeconfig = parse(readFileSync(fixture.kubeconfigPath, 'utf8'));
  /** getClientForSA: a client with nothing but the token the token controller put in the ServiceAccount's Secret. */
  const clientFor = async (name: string) => {
    const secret = await fixture.kc.makeApiClient(k8s.CoreV1Api).readNamespacedSecret({ name, namespace: NS });
    const token = Buffer.from(secret.data?.token ?? '', 'base64').toString('utf8');
    const path = `${fixture.kubeconfigPath}.${name}`;
    writeFileSync(path, JSON.stringify({ ...kubeconfig, users: [{ name, user: { token } }] }), { mode: 0o600 });
    return rawClient(fixture.emulator.url, path);
  };
  const subresources = '/apis/subresources.kubevirt.io/v1';
  const vm = (name: string) => ({
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, namespace: NS },
    spec: { runStrategy: 'Halted', template: { spec: { domain: { devices: {}, memory: { guest: '128Mi' } } } } },
  });
  const admin = fixture.kc.makeApiClient(k8s.CustomObjectsApi);
  for (const name of ['rbac-allowed', 'rbac-blocked']) {
    await admin.createNamespacedCustomObject({
      group: 'kubevirt.io',
      version: 'v1',
      namespace: NS,
      plural: 'virtualmachines',
      body: vm(name),
    });
  }

  const privileged = await clientFor(KV_SA.subresource);
  const started = await privileged.send('PUT', `${subresources}/namespaces/${NS}/virtualmachines/rbac-allowed/start`, { body: {} });
  t.equal(started.status, 202, `[test_id:3170]should allow access to vm subresource endpoint (virt-api accepts: 202): ${started.text}`);
  t.equal(
    (await privileged.send('GET', `${subresources}/version`)).status,
    200,
    '[test_id:3172]should allow access to version subresource endpoint',
  );
  t.equal((await privileged.send('GET', `${subresources}/guestfs`)).status, 200, 'should allow access to guestfs subresource endpoint');
  const expanded = await privileged.send('PUT', `${subresources}/namespaces/${NS}/expand-vm-spec`, { body: vm('expand-me') });
  t.equal(expanded.status, 200, `should allow access to expand-vm-spec subresource: ${expanded.text}`);

  const unprivileged = await clientFor(KV_SA.unprivileged);
  const blocked = await unprivileged.send('PUT', `${subresources}/namespaces/${NS}/virtualmachines/rbac-blocked/start`, { body: {} });
  t.equal(blocked.json.reason, 'Forbidden', '[test_id:3171]should block access to vm subresource endpoint');
  t.equal(
    (await unprivileged.send('GET', `${subresources}/version`)).status,
    200,
    '[test_id:3173]should allow access to version subresource endpoint',
  );
  t.equal((await unprivileged.send('GET', `${subresources}/guestfs`)).status, 200, 'should allow access to guestfs subresource endpoint');
  const refused = await unprivileged.send('PUT', `${subresources}/namespaces/${NS}/expand-vm-spec`, { body: vm('expand-me') });
  t.equal(refused.json.reason, 'Forbidden', 'should block access to expand-vm-spec subresource');
});
