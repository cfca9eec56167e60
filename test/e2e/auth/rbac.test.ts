/**
 * Access control with KubeVirt installed, driven as users are: view, edit and admin ServiceAccounts bound in one
 * namespace (access-fixture.ts), acted as through impersonation from the admin kubeconfig (kubectl --as, client-node's
 * impersonateUser, Impersonate-User on raw HTTPS): denials with kube's messages, `kubectl auth can-i [--list]`,
 * subresources.kubevirt.io and its WebSocket upgrades, escalation prevention and the non-resource URLs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { request, type RequestOptions } from 'node:https';
import { parse } from 'yaml';
import * as k8s from '@kubernetes/client-node';
import t from 'tap';
import { parseTable } from '../../helpers/kubectl.js';
import { kubevirtSchema } from '../../helpers/kubevirt.js';
import { accessFixture, NS, OTHER, sa, saGroups, type AccessFixture, type Role } from './access-fixture.js';
import { projectYaml } from '../../helpers/project-yaml.js';

let fixture: AccessFixture;

t.before(async () => {
  fixture = await accessFixture(t);
});

t.test('kubectl auth can-i answers the same as the requests themselves', async (t) => {
  const cases: Array<[Role, string[], string]> = [
    ['view', ['get', 'virtualmachines'], 'yes'],
    ['view', ['delete', 'virtualmachines'], 'no'],
    ['edit', ['create', 'virtualmachines'], 'yes'],
    ['edit', ['deletecollection', 'virtualmachines'], 'no'],
    ['admin', ['deletecollection', 'virtualmachines'], 'yes'],
    ['default', ['get', 'virtualmachines'], 'no'],
    ['view', ['get', 'pods', '--subresource=log'], 'yes'],
    ['edit', ['create', 'rolebindings'], 'no'],
    ['admin', ['create', 'rolebindings'], 'yes'],
  ];
  for (const [role, args, answer] of cases) {
    const result = await fixture.kubectl(['auth', 'can-i', ...args, '-n', NS, `--as=${sa(role)}`]);
    t.equal(result.stdout.trim(), answer, `${role}: can-i ${args.join(' ')}`);
  }
});

t.test("a view user: reads work, writes answer kube's 403, can-i --list holds no write verb", async (t) => {
  const view = `--as=${sa('view')}`;
  t.equal((await fixture.kubectl(['get', 'vm', '-n', NS, view])).code, 0);
  const denied = await fixture.kubectl(['create', 'configmap', 'c', '-n', NS, view]);
  t.match(
    denied.stderr,
    `configmaps is forbidden: User "${sa('view')}" cannot create resource "configmaps" in API group "" in the namespace "${NS}"`,
  );
  const elsewhere = await fixture.kubectl(['get', 'vm', '-n', OTHER, view]);
  t.match(
    elsewhere.stderr,
    `virtualmachines.kubevirt.io is forbidden: User "${sa('view')}" cannot list resource "virtualmachines" in API group "kubevirt.io" in the namespace "${OTHER}"`,
  );

  const list = await fixture.kubectl(['auth', 'can-i', '--list', '-n', NS, view]);
  t.equal(list.code, 0, list.stderr);
  const { rows } = parseTable(list.stdout);
  t.ok(
    rows.some(([resource]) => resource === 'virtualmachines.kubevirt.io'),
    'lists the KubeVirt resources view aggregates',
  );
  // Writes a viewer holds: the self reviews of system:basic-user and KubeVirt's expand-vm-spec (a read that POSTs/PUTs a VM).
  const readLike = new Set([
    'selfsubjectreviews.authentication.k8s.io',
    'selfsubjectaccessreviews.authorization.k8s.io',
    'selfsubjectrulesreviews.authorization.k8s.io',
    'expand-vm-spec.subresources.kubevirt.io',
  ]);
  for (const [resource, , , verbs] of rows) {
    if (readLike.has(resource)) continue;
    t.notMatch(verbs, /create|update|patch|delete|deletecollection|impersonate|escalate|bind|\*/, `${resource}: ${verbs}`);
  }
});

t.test('client-node as a view user (impersonateUser): list allowed, create refused with 403', async (t) => {
  const core = fixture.impersonating(sa('view')).makeApiClient(k8s.CoreV1Api);
  const pods = await core.listNamespacedPod({ namespace: NS });
  t.ok(Array.isArray(pods.items));
  const err = await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'x' } } }).catch((e: unknown) => e);
  t.equal((err as { code?: number }).code, 403);
});

/** A raw HTTPS request with the kubeconfig's credentials and extra headers; resolves with status and body. */
async function raw(method: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const url = new URL(fixture.kc.getCurrentCluster()!.server);
  const options: RequestOptions = {
    method,
    hostname: url.hostname,
    port: url.port,
    path,
    headers: { Accept: 'application/json', ...headers },
  };
  await fixture.kc.applyToHTTPSOptions(options);
  return new Promise((resolve, reject) => {
    const req = request(options, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, body: '' });
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('a view user may not start a VM or open its console; an edit user may', async (t) => {
  const example = projectYaml(kubevirtSchema('examples/vm-cirros.yaml')) as { metadata: object; spec: object };
  const vm = {
    ...example,
    metadata: { ...example.metadata, name: 'vm1', namespace: NS },
    spec: { ...example.spec, runStrategy: 'Halted' },
  };
  await fixture
    .impersonating(sa('edit'))
    .makeApiClient(k8s.CustomObjectsApi)
    .createNamespacedCustomObject({ group: 'kubevirt.io', version: 'v1', namespace: NS, plural: 'virtualmachines', body: vm });
  const start = `/apis/subresources.kubevirt.io/v1/namespaces/${NS}/virtualmachines/vm1/start`;
  const viewStart = await raw('PUT', start, { 'Impersonate-User': sa('view'), 'Content-Type': 'application/json' });
  t.equal(viewStart.status, 403);
  t.equal(
    JSON.parse(viewStart.body).message,
    `virtualmachines.subresources.kubevirt.io "vm1" is forbidden: User "${sa('view')}" cannot update resource "virtualmachines/start" in API group "subresources.kubevirt.io" in the namespace "${NS}"`,
  );
  const editStart = await raw('PUT', start, { 'Impersonate-User': sa('edit'), 'Content-Type': 'application/json' });
  t.equal(editStart.status, 202, editStart.body);

  const console = `/apis/subresources.kubevirt.io/v1/namespaces/${NS}/virtualmachineinstances/vm1/console`;
  const upgrade = {
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
  };
  const viewConsole = await raw('GET', console, { ...upgrade, 'Impersonate-User': sa('view') });
  t.equal(viewConsole.status, 403, 'view: console refused before the upgrade');
  const editConsole = await raw('GET', console, { ...upgrade, 'Impersonate-User': sa('edit') });
  t.not(editConsole.status, 403, `edit: console passes authorization (${editConsole.status})`);
});

t.test('impersonation: kubectl --as/--as-group act as that user; impersonated groups are what RBAC sees', async (t) => {
  const whoami = await fixture.kubectl([
    'auth',
    'whoami',
    '-o',
    'jsonpath={.status.userInfo.username} {.status.userInfo.groups}',
    `--as=${sa('edit')}`,
  ]);
  t.equal(whoami.stdout, `${sa('edit')} ${JSON.stringify(saGroups())}`);
  const asGroup = await fixture.kubectl(['auth', 'can-i', 'get', 'nodes', '--as=alice', '--as-group=system:masters']);
  t.equal(asGroup.stdout.trim(), 'yes', 'a group given with --as-group counts');
  const alice = await fixture.kubectl(['get', 'nodes', '--as=alice']);
  t.match(alice.stderr, 'nodes is forbidden: User "alice" cannot list resource "nodes" in API group "" at the cluster scope');
});

t.test('impersonation is itself authorized: a view ServiceAccount with its own token may not act as anyone else', async (t) => {
  const token = await fixture.kubectl(['create', 'token', 'view', '-n', NS]);
  t.equal(token.code, 0, token.stderr);
  // kubectl with the cluster's CA and nothing but the ServiceAccount's token (no client certificate).
  const kubeconfig = parse(readFileSync(fixture.kubeconfigPath, 'utf8'));
  const user = { name: 'view', user: { token: token.stdout.trim() } };
  const context = { ...kubeconfig.contexts[0], context: { ...kubeconfig.contexts[0].context, user: 'view' } };
  const tokenOnly = `${fixture.kubeconfigPath}.view`;
  writeFileSync(tokenOnly, JSON.stringify({ ...kubeconfig, users: [user], contexts: [context] }), { mode: 0o600 });
  const asView = (args: string[]) => fixture.kubectl([...args, `--kubeconfig=${tokenOnly}`]);
  const whoami = await asView(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
  t.equal(whoami.stdout, sa('view'), 'the token authenticates as the ServiceAccount');
  const asAlice = await asView(['get', 'pods', '-n', NS, '--as=alice']);
  t.not(asAlice.code, 0);
  t.match(
    asAlice.stderr,
    `users "alice" is forbidden: User "${sa('view')}" cannot impersonate resource "users" in API group "" at the cluster scope`,
  );
});

t.test("escalation is refused with kube's message; what the writer holds may be granted", async (t) => {
  const admin = `--as=${sa('admin')}`;
  const role = await fixture.kubectl(['create', 'role', 'node-reader', '--verb=get', '--resource=nodes', '-n', NS, admin]);
  t.match(
    role.stderr,
    `roles.rbac.authorization.k8s.io "node-reader" is forbidden: user "${sa('admin')}" (groups=["system:serviceaccounts" "system:serviceaccounts:${NS}" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["nodes"], Verbs:["get"]}`,
  );
  const held = await fixture.kubectl(['create', 'role', 'pod-reader', '--verb=get', '--resource=pods', '-n', NS, admin]);
  t.equal(held.code, 0, held.stderr);
  const binding = await fixture.kubectl([
    'create',
    'rolebinding',
    'too-much',
    '--clusterrole=cluster-admin',
    `--serviceaccount=${NS}:view`,
    '-n',
    NS,
    admin,
  ]);
  t.match(binding.stderr, `rolebindings.rbac.authorization.k8s.io "too-much" is forbidden: user "${sa('admin')}"`);
  const edit = await fixture.kubectl([
    'create',
    'rolebinding',
    'fine',
    '--clusterrole=view',
    `--serviceaccount=${NS}:default`,
    '-n',
    NS,
    admin,
  ]);
  t.equal(edit.code, 0, edit.stderr);
});

t.test('non-resource URLs: /version for anyone, /metrics and /emulator/* only for cluster admins', async (t) => {
  t.equal((await fixture.kubectl(['get', '--raw', '/version', '--as=nobody'])).code, 0);
  const metrics = await fixture.kubectl(['get', '--raw', '/metrics', `--as=${sa('admin')}`]);
  t.match(metrics.stderr, `forbidden: User "${sa('admin')}" cannot get path "/metrics"`);
  const clock = await fixture.kubectl(['get', '--raw', '/emulator/clock', `--as=${sa('admin')}`]);
  t.match(clock.stderr, `forbidden: User "${sa('admin')}" cannot get path "/emulator/clock"`);
  t.equal((await fixture.kubectl(['get', '--raw', '/emulator/clock'])).code, 0, 'the admin kubeconfig may');
});

t.test("the Node authorizer through SubjectAccessReviews: a kubelet reaches only its node's pods and what they mount", async (t) => {
  const nodes = (await fixture.kubectl(['get', 'nodes', '-o', 'jsonpath={.items[*].metadata.name}'])).stdout.split(' ');
  t.ok(nodes.length >= 2, `two nodes at least: ${nodes}`);
  const [mine, other] = nodes;
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'mounts', namespace: NS },
    spec: {
      nodeName: mine,
      containers: [{ name: 'c', image: 'busybox', envFrom: [{ configMapRef: { name: 'settings' } }] }],
      volumes: [{ name: 's', secret: { secretName: 'mounted' } }],
    },
  };
  const created = await fixture.kubectl(['apply', '-f', '-'], { input: JSON.stringify(pod) });
  t.equal(created.code, 0, created.stderr);
  const api = fixture.kc.makeApiClient(k8s.AuthorizationV1Api);
  const review = async (node: string, attributes: k8s.V1ResourceAttributes) => {
    const spec = { user: `system:node:${node}`, groups: ['system:nodes', 'system:authenticated'], resourceAttributes: attributes };
    const { status } = await api.createSubjectAccessReview({ body: { spec } });
    return [status?.allowed === true, status?.reason ?? ''];
  };
  const secret = { namespace: NS, verb: 'get', resource: 'secrets', name: 'mounted' };
  t.same(await review(mine, secret), [true, ''], 'the Secret its pod mounts');
  t.same(await review(other, secret), [false, `no relationship found between node '${other}' and this object`], 'not another node');
  t.same(await review(mine, { namespace: NS, verb: 'get', resource: 'configmaps', name: 'settings' }), [true, '']);
  t.same(await review(mine, { namespace: NS, verb: 'list', resource: 'secrets' }), [false, 'No Object name found']);
  const podsOf = (node: string) => ({ verb: 'watch', resource: 'pods', fieldSelector: { rawSelector: `spec.nodeName=${node}` } });
  t.same(await review(mine, podsOf(mine)), [true, ''], 'its pods by field selector');
  t.same(await review(mine, podsOf(other)), [false, 'can only list/watch pods with spec.nodeName field selector']);
  t.same(await review(mine, { verb: 'get', resource: 'nodes', name: other }), [
    false,
    `node '${mine}' cannot read '${other}', only its own Node object`,
  ]);
});
