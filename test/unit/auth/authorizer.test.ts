/**
 * The authorizer over a store holding the bootstrap policy and a few bindings:
 * rule matching (wildcards, subresources, resourceNames, nonResourceURLs), the
 * Node authorizer, impersonation checks by a non-admin requester, and the
 * escalation messages, all with kube's wording.
 */
import t from 'tap';
import { Authorizer } from '../../../src/auth/authorization/authorizer.js';
import { NodeGraph } from '../../../src/auth/authorization/node-graph.js';
import { NodeAuthorizer, nodeUser } from '../../../src/auth/authorization/node-authorizer.js';
import { requestAttributes } from '../../../src/auth/authorization/request-attributes.js';
import { impersonatedUser } from '../../../src/auth/impersonation.js';
import { bootstrapPolicy } from '../../../src/auth/rbac/bootstrap-policy.js';
import { RuleResolver } from '../../../src/auth/rbac/rule-resolver.js';
import { compactRule, uncoveredRules } from '../../../src/auth/rbac/rules.js';
import { RBAC_STORAGE } from '../../../src/auth/rbac/types.js';
import { serviceAccountUser, type UserInfo } from '../../../src/auth/user.js';
import type { KubeObject } from '../../../src/api/types.js';
import { Store } from '../../../src/storage/store.js';

const storageOf: Record<string, string> = {
  ClusterRole: RBAC_STORAGE.clusterRoles,
  Role: RBAC_STORAGE.roles,
  ClusterRoleBinding: RBAC_STORAGE.clusterRoleBindings,
  RoleBinding: RBAC_STORAGE.roleBindings,
};

function authorizerWith(...objects: KubeObject[]): Authorizer {
  const store = new Store();
  for (const object of [...bootstrapPolicy(), ...objects]) store.put(storageOf[object.kind], object);
  return new Authorizer(new RuleResolver(store), new NodeAuthorizer(new NodeGraph(store)));
}

const binding = (
  kind: 'RoleBinding' | 'ClusterRoleBinding',
  name: string,
  roleKind: string,
  role: string,
  subject: object,
  namespace?: string,
): KubeObject =>
  ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind,
    metadata: { name, ...(namespace ? { namespace } : {}) },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: role },
    subjects: [subject],
  }) as unknown as KubeObject;

const alice: UserInfo = { username: 'alice', groups: ['devs', 'system:authenticated'] };

t.test('rules: verbs, groups, subresource wildcards, resourceNames, and the messages of a denial', async (t) => {
  const role = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'r', namespace: 'a' },
    rules: [
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['settings'], verbs: ['get', 'list', 'update'] },
      { apiGroups: ['*'], resources: ['*/scale'], verbs: ['get'] },
    ],
  } as unknown as KubeObject;
  const authz = authorizerWith(role, binding('RoleBinding', 'b', 'Role', 'r', { kind: 'Group', name: 'devs' }, 'a'));
  const check = (url: string, method = 'GET') => authz.authorize(alice, requestAttributes(method, url)).allowed;
  t.ok(check('/api/v1/namespaces/a/configmaps/settings'));
  t.notOk(check('/api/v1/namespaces/a/configmaps/other'), 'another name');
  t.notOk(check('/api/v1/namespaces/a/configmaps'), 'a list names no object, so resourceNames do not match');
  t.ok(check('/api/v1/namespaces/a/configmaps?fieldSelector=metadata.name%3Dsettings'), 'a list selecting the name does');
  t.ok(check('/apis/apps/v1/namespaces/a/deployments/web/scale'), '*/scale');
  t.notOk(check('/apis/apps/v1/namespaces/b/deployments/web/scale'), 'another namespace');
  t.ok(check('/version'), 'system:public-info-viewer');
  t.ok(check('/apis/apps/v1'), 'system:discovery');
  t.notOk(check('/metrics'));
  t.throws(() => authz.check(alice, requestAttributes('DELETE', '/api/v1/namespaces/a/configmaps')), {
    message: 'configmaps is forbidden: User "alice" cannot deletecollection resource "configmaps" in API group "" in the namespace "a"',
  });
  t.throws(() => authz.check(alice, requestAttributes('GET', '/api/v1/nodes/n1?watch=true')), {
    message: 'nodes "n1" is forbidden: User "alice" cannot watch resource "nodes" in API group "" at the cluster scope',
  });
  t.throws(() => authz.check(alice, requestAttributes('POST', '/emulator/clock/advance?by=1s')), {
    message: 'forbidden: User "alice" cannot post path "/emulator/clock/advance"',
  });
  t.ok(
    authz.authorize({ username: 'root', groups: ['system:masters'] }, requestAttributes('POST', '/emulator/clock/advance')).allowed,
    'system:masters',
  );
});

t.test('a binding written later is seen at once (the memoised decisions are dropped)', async (t) => {
  const store = new Store();
  for (const object of bootstrapPolicy()) store.put(storageOf[object.kind], object);
  const authz = new Authorizer(new RuleResolver(store), new NodeAuthorizer(new NodeGraph(store)));
  const attributes = requestAttributes('GET', '/api/v1/namespaces/a/pods');
  t.notOk(authz.authorize(alice, attributes).allowed);
  store.put(RBAC_STORAGE.roleBindings, binding('RoleBinding', 'v', 'ClusterRole', 'view', { kind: 'User', name: 'alice' }, 'a'));
  t.notOk(authz.authorize(alice, attributes).allowed, 'view has no rules until the aggregation controller fills them');
  store.put(
    RBAC_STORAGE.roleBindings,
    binding('RoleBinding', 'v2', 'ClusterRole', 'system:aggregate-to-view', { kind: 'User', name: 'alice' }, 'a'),
  );
  t.ok(authz.authorize(alice, attributes).allowed);
});

t.test('the Node authorizer: own Lease and Node, pods by field selector, graph objects only through pods bound to the node', async (t) => {
  const store = new Store();
  for (const object of bootstrapPolicy()) store.put(storageOf[object.kind], object);
  const pod = (name: string, nodeName: string, spec: Record<string, unknown>) =>
    ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'a' }, spec: { nodeName, ...spec } }) as unknown as KubeObject;
  store.put('/pods', pod('p', 'worker', { serviceAccountName: 'sa', volumes: [{ name: 'v', secret: { secretName: 's' } }] }));
  store.put('/pods', pod('q', 'other', { containers: [{ name: 'c', envFrom: [{ configMapRef: { name: 'theirs' } }] }] }));
  store.put('/pods', pod('r', 'worker', { volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'claim' } }] }));
  const pv = {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: 'pv1' },
    spec: { claimRef: { namespace: 'a', name: 'claim' } },
  };
  store.put('/persistentvolumes', pv as unknown as KubeObject);
  const authz = new Authorizer(new RuleResolver(store), new NodeAuthorizer(new NodeGraph(store)));
  const node = nodeUser('worker');
  const allowed = (method: string, url: string) => authz.authorize(node, requestAttributes(method, url)).allowed;
  const reason = (method: string, url: string) => authz.authorize(node, requestAttributes(method, url)).reason;

  t.ok(allowed('PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/worker'));
  t.throws(() => authz.check(node, requestAttributes('PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/other')), {
    message:
      'leases.coordination.k8s.io "other" is forbidden: User "system:node:worker" cannot update resource "leases" in API group "coordination.k8s.io" in the namespace "kube-node-lease": can only access node lease with the same name as the requesting node',
  });
  t.equal(
    reason('GET', '/apis/coordination.k8s.io/v1/namespaces/a/leases/worker'),
    'can only access leases in the "kube-node-lease" system namespace',
  );
  t.ok(allowed('PATCH', '/api/v1/namespaces/a/pods/p/status'));
  t.ok(allowed('POST', '/api/v1/namespaces/a/events'));
  // Nodes and pods: its own Node only; pods listed through spec.nodeName=<itself>, read when bound to it.
  t.ok(allowed('GET', '/api/v1/nodes/worker'));
  t.ok(allowed('GET', '/api/v1/nodes?fieldSelector=metadata.name%3Dworker&watch=1'));
  t.equal(reason('GET', '/api/v1/nodes/other'), "node 'worker' cannot read 'other', only its own Node object");
  t.equal(reason('GET', '/api/v1/nodes'), "node 'worker' cannot read all nodes, only its own Node object");
  t.ok(allowed('GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dworker'));
  t.equal(reason('GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dother'), 'can only list/watch pods with spec.nodeName field selector');
  t.ok(allowed('GET', '/api/v1/namespaces/a/pods/p'));
  t.equal(reason('GET', '/api/v1/namespaces/a/pods/q'), "no relationship found between node 'worker' and this object");
  // The graph: a pod's Secret, ServiceAccount token and PVC, the PV bound to that PVC; not another node's pod's ConfigMap.
  t.ok(allowed('GET', '/api/v1/namespaces/a/secrets/s'));
  t.ok(allowed('GET', '/api/v1/namespaces/a/secrets?fieldSelector=metadata.name%3Ds&watch=true'));
  t.equal(reason('GET', '/api/v1/namespaces/a/secrets/other'), "no relationship found between node 'worker' and this object");
  t.equal(reason('GET', '/api/v1/namespaces/a/secrets'), 'No Object name found');
  t.equal(reason('DELETE', '/api/v1/namespaces/a/secrets/s'), 'can only read resources of this type');
  t.equal(reason('GET', '/api/v1/namespaces/a/configmaps/theirs'), "no relationship found between node 'worker' and this object");
  t.ok(allowed('POST', '/api/v1/namespaces/a/serviceaccounts/sa/token'));
  t.equal(reason('GET', '/api/v1/namespaces/a/serviceaccounts/sa'), 'can only create tokens for individual service accounts');
  t.ok(allowed('GET', '/api/v1/namespaces/a/persistentvolumeclaims/claim'));
  t.ok(allowed('GET', '/api/v1/persistentvolumes/pv1'));
  t.equal(reason('GET', '/api/v1/persistentvolumes'), 'can only get individual resources of this type');
  t.throws(() => authz.check(node, requestAttributes('GET', '/api/v1/namespaces/a/secrets/other')), {
    message:
      'secrets "other" is forbidden: User "system:node:worker" cannot get resource "secrets" in API group "" in the namespace "a": no relationship found between node \'worker\' and this object',
  });
});

t.test('impersonation is authorized on the requester: users, groups, ServiceAccounts, uids and extras', async (t) => {
  const impersonator = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'impersonate-bob' },
    rules: [{ apiGroups: [''], resources: ['users'], resourceNames: ['bob'], verbs: ['impersonate'] }],
  } as unknown as KubeObject;
  const edit = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'sa-impersonator' },
    rules: [{ apiGroups: [''], resources: ['serviceaccounts'], verbs: ['impersonate'] }],
  } as unknown as KubeObject;
  const authz = authorizerWith(
    impersonator,
    edit,
    binding('ClusterRoleBinding', 'alice-bob', 'ClusterRole', 'impersonate-bob', { kind: 'User', name: 'alice' }),
    binding('RoleBinding', 'alice-sa', 'ClusterRole', 'sa-impersonator', { kind: 'User', name: 'alice' }, 'a'),
  );
  t.same(impersonatedUser(alice, { 'impersonate-user': 'bob' }, authz), { username: 'bob', groups: ['system:authenticated'] });
  t.throws(() => impersonatedUser(alice, { 'impersonate-user': 'carol' }, authz), {
    message: 'users "carol" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope',
  });
  t.throws(() => impersonatedUser(alice, { 'impersonate-user': 'bob', 'impersonate-group': ['system:masters'] }, authz), {
    message: 'groups "system:masters" is forbidden: User "alice" cannot impersonate resource "groups" in API group "" at the cluster scope',
  });
  t.throws(() => impersonatedUser(alice, { 'impersonate-user': 'bob', 'impersonate-extra-scopes': 'x' }, authz), {
    message:
      'userextras.authentication.k8s.io "x" is forbidden: User "alice" cannot impersonate resource "userextras/scopes" in API group "authentication.k8s.io" at the cluster scope',
  });
  t.same(impersonatedUser(alice, { 'impersonate-user': 'system:serviceaccount:a:builder' }, authz), serviceAccountUser('a', 'builder'));
  t.throws(() => impersonatedUser(alice, { 'impersonate-user': 'system:serviceaccount:b:builder' }, authz), {
    message:
      'serviceaccounts "builder" is forbidden: User "alice" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "b"',
  });
  t.throws(() => impersonatedUser(alice, { 'impersonate-group': 'devs' }, authz), {
    message: 'Internal error occurred: requested [{Group  devs    }] without impersonating a user',
  });
});

t.test('escalation checks compare broken-down rules and print them as kube does', async (t) => {
  const held = [{ apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list'] }];
  t.same(uncoveredRules(held, [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }]), []);
  const missing = uncoveredRules(held, [{ apiGroups: ['', 'apps'], resources: ['pods'], verbs: ['get', 'delete'] }]);
  t.same(missing.map(compactRule), [
    '{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}',
    '{APIGroups:["apps"], Resources:["pods"], Verbs:["get"]}',
    '{APIGroups:["apps"], Resources:["pods"], Verbs:["delete"]}',
  ]);
  t.same(
    uncoveredRules(
      [{ apiGroups: ['*'], resources: ['*/scale'], verbs: ['*'] }],
      [{ apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['update'] }],
    ),
    [],
  );
  t.same(
    uncoveredRules([{ nonResourceURLs: ['/healthz/*'], verbs: ['get'] }], [{ nonResourceURLs: ['/healthz/etcd'], verbs: ['get'] }]),
    [],
  );
});

t.test('decisions are memoised per request, per object name only where a rule with resourceNames applies', async (t) => {
  const role = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'r', namespace: 'a' },
    rules: [
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['settings'], verbs: ['get'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
    ],
  } as unknown as KubeObject;
  const authz = authorizerWith(role, binding('RoleBinding', 'b', 'Role', 'r', { kind: 'Group', name: 'devs' }, 'a'));
  const check = (url: string, method = 'GET') => authz.authorize(alice, requestAttributes(method, url)).allowed;
  const patched = Array.from({ length: 1000 }, (_, i) => check(`/api/v1/namespaces/a/events/pod-${i}.18a0`, 'PATCH'));
  t.ok(patched.every(Boolean), 'every Event may be patched');
  t.equal(authz.memoised, 1, 'a thousand Event names: one decision');
  for (const name of ['settings', 'other', 'settings', 'other2']) {
    t.equal(check(`/api/v1/namespaces/a/configmaps/${name}`), name === 'settings', `configmap ${name}`);
  }
  t.equal(authz.memoised, 1 + 1 + 3, 'the configmap request turns on the name: its decisions are per name');
});
