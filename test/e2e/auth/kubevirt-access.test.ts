/**
 * What KubeVirt's own access tests (tests/access_test.go, tests/compute/subresources/rbac.go at v1.9.0-rc.2) check,
 * as one table: view, edit and admin ServiceAccounts bound in one namespace and nothing in another; every allow and
 * deny is what Kubernetes' bootstrap roles plus KubeVirt's kubevirt.io:* roles (aggregated into admin/edit/view)
 * grant, asked through SubjectAccessReviews with client-node. The requests themselves are in rbac.test.ts.
 */
import * as k8s from '@kubernetes/client-node';
import t from 'tap';
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

t.before(async () => {
  fixture = await accessFixture(t);
});

async function subjectAccess(user: string, groups: string[], attributes: k8s.V1ResourceAttributes): Promise<boolean> {
  const api = fixture.kc.makeApiClient(k8s.AuthorizationV1Api);
  const review = await api.createSubjectAccessReview({ body: { spec: { user, groups, resourceAttributes: attributes } } });
  return review.status?.allowed === true;
}

t.test(
  'resources: every verb of every role equals the bootstrap policy plus KubeVirt roles (SubjectAccessReview, client-node)',
  async (t) => {
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
  },
);

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
