// The ValidatingAdmissionPolicies virt-operator installs, enforced as on a real cluster: virt-handler's node
// restriction (the node-name extra of its pod-bound token), the plugin validation (Deny) and warning (Warn) policies.
import { readFileSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { parse } from 'yaml';
import { withEmulator } from '../../helpers/cluster.js';

t.test("KubeVirt's admission policies", async (t) => {
  const fixture = await withEmulator(t, { workers: 1, installKubeVirt: true });
  const { kubectl } = fixture;
  const policies = await kubectl(['get', 'validatingadmissionpolicies', '-o', 'name']);
  t.match(policies.stdout, 'kubevirt-node-restriction-policy');

  /** kubectl as virt-handler with a token bound to its pod on `node` (the pod's node goes into the token). */
  async function asHandlerOn(node: string): Promise<(args: string[]) => ReturnType<typeof kubectl>> {
    const pods = await kubectl(['-n', 'kubevirt', 'get', 'pods', '-l', 'kubevirt.io=virt-handler', '-o', 'json']);
    const pod = JSON.parse(pods.stdout).items.find((p: { spec: { nodeName: string } }) => p.spec.nodeName === node);
    const token = await kubectl([
      'create',
      'token',
      'kubevirt-handler',
      '-n',
      'kubevirt',
      '--bound-object-kind=Pod',
      `--bound-object-name=${pod.metadata.name}`,
      `--bound-object-uid=${pod.metadata.uid}`,
    ]);
    t.equal(token.code, 0, token.stderr);
    const kubeconfig = parse(readFileSync(fixture.kubeconfigPath, 'utf8'));
    const context = { ...kubeconfig.contexts[0], context: { ...kubeconfig.contexts[0].context, user: 'handler' } };
    const path = `${fixture.kubeconfigPath}.handler`;
    const users = [{ name: 'handler', user: { token: token.stdout.trim() } }];
    writeFileSync(path, JSON.stringify({ ...kubeconfig, users, contexts: [context] }), { mode: 0o600 });
    return (args) => kubectl([...args, `--kubeconfig=${path}`]);
  }

  t.test('virt-handler may change only its own node, and only KubeVirt labels there', async (t) => {
    const nodes = JSON.parse((await kubectl(['get', 'nodes', '-o', 'json'])).stdout).items.map(
      (n: { metadata: { name: string } }) => n.metadata.name,
    );
    const handlerNode = JSON.parse(
      (await kubectl(['-n', 'kubevirt', 'get', 'pods', '-l', 'kubevirt.io=virt-handler', '-o', 'json'])).stdout,
    ).items[0].spec.nodeName as string;
    const other = nodes.find((n: string) => n !== handlerNode) as string;
    const handler = await asHandlerOn(handlerNode);
    const own = await handler(['label', 'node', handlerNode, 'kubevirt.io/test-label=yes']);
    t.equal(own.code, 0, own.stderr);
    const foreign = await handler(['label', 'node', handlerNode, 'team=blue']);
    t.not(foreign.code, 0);
    t.match(
      foreign.stderr,
      `nodes "${handlerNode}" is forbidden: ValidatingAdmissionPolicy 'kubevirt-node-restriction-policy' with binding ` +
        `'kubevirt-node-restriction-binding' denied request: this user cannot add/delete non kubevirt-owned labels`,
    );
    const otherNode = await handler(['label', 'node', other, 'kubevirt.io/test-label=yes']);
    t.not(otherNode.code, 0);
    t.match(otherNode.stderr, 'denied request: this user cannot modify this node');
  });

  t.test("virt-template's request authorization asks the real authorizer for the requesting user", async (t) => {
    t.equal((await kubectl(['create', 'namespace', 'tmpl'])).code, 0);
    const grant = (name: string, group: string, resource: string) =>
      kubectl(['apply', '-f', '-'], {
        input: [
          {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'Role',
            metadata: { name, namespace: 'tmpl' },
            rules: [{ apiGroups: [group], resources: [resource], verbs: ['create', 'get'] }],
          },
          {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'RoleBinding',
            metadata: { name, namespace: 'tmpl' },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
            subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }],
          },
        ]
          .map((d) => JSON.stringify(d))
          .join('\n'),
      });
    t.equal((await grant('vmtr', 'template.kubevirt.io', 'virtualmachinetemplaterequests')).code, 0);
    const request = JSON.stringify({
      apiVersion: 'template.kubevirt.io/v1alpha1',
      kind: 'VirtualMachineTemplateRequest',
      metadata: { name: 'from-vm', namespace: 'tmpl' },
      spec: { virtualMachineRef: { name: 'vm', namespace: 'tmpl' } },
    });
    const denied = await kubectl(['create', '-f', '-', '--as=alice'], { input: request });
    t.not(denied.code, 0);
    t.match(
      denied.stderr,
      `Error from server (Forbidden): error when creating "STDIN": virtualmachinetemplaterequests.template.kubevirt.io "from-vm" is forbidden: ` +
        `ValidatingAdmissionPolicy 'virt-template-vmtr-authz' with binding 'virt-template-vmtr-authz' denied request: ` +
        'User is not allowed to create DataVolumes in namespace tmpl',
    );
    t.equal((await grant('dv', 'cdi.kubevirt.io', 'datavolumes')).code, 0);
    const next = await kubectl(['create', '-f', '-', '--as=alice'], { input: request });
    t.match(next.stderr, 'User is not allowed to create VirtualMachineTemplates in namespace tmpl');
  });

  t.test('the plugin policies (feature gate Plugins) deny a bad Plugin and warn about an empty one', async (t) => {
    const gates = { spec: { configuration: { developerConfiguration: { featureGates: ['Plugins'] } } } };
    t.equal((await kubectl(['-n', 'kubevirt', 'patch', 'kv', 'kubevirt', '--type', 'merge', '-p', JSON.stringify(gates)])).code, 0);
    for (const name of ['kubevirt-plugin-validation-binding', 'kubevirt-plugin-socket-path-binding', 'kubevirt-plugin-warning-binding']) {
      const created = await kubectl(['wait', '--for=create', `validatingadmissionpolicybinding/${name}`, '--timeout=60s'], {
        timeoutMs: 70_000,
      });
      t.equal(created.code, 0, created.stderr);
    }
    const plugin = (name: string, spec: Record<string, unknown>) =>
      JSON.stringify({ apiVersion: 'plugin.kubevirt.io/v1alpha1', kind: 'Plugin', metadata: { name }, spec });
    const both = await kubectl(['create', '-f', '-'], {
      input: plugin('both', {
        domainHooks: [{ cel: { expression: 'x' }, sidecar: { socketPath: '/var/run/kubevirt-plugin/both/a.sock' } }],
      }),
    });
    t.not(both.code, 0);
    t.match(
      both.stderr,
      "ValidatingAdmissionPolicy 'kubevirt-plugin-validation-policy' with binding 'kubevirt-plugin-validation-binding' denied request: " +
        'exactly one of cel or sidecar must be specified for each domain hook',
    );
    const socket = await kubectl(['create', '-f', '-'], {
      input: plugin('sock', { domainHooks: [{ sidecar: { socketPath: '/tmp/x.sock' } }] }),
    });
    t.match(socket.stderr, 'sidecar socketPath must start with /var/run/kubevirt-plugin/<plugin-name>/');
    const empty = await kubectl(['create', '-f', '-'], { input: plugin('empty', {}) });
    t.equal(empty.code, 0, empty.stderr);
    t.match(
      empty.stderr,
      "Warning: Validation failed for ValidatingAdmissionPolicy 'kubevirt-plugin-warning-policy' with binding " +
        "'kubevirt-plugin-warning-binding': no hooks or admission references are defined; this plugin will have no effect",
    );
    const good = await kubectl(['create', '-f', '-'], {
      input: plugin('good', { domainHooks: [{ sidecar: { socketPath: '/var/run/kubevirt-plugin/good/hook.sock' } }] }),
    });
    t.equal(good.code, 0, good.stderr);
  });
});
