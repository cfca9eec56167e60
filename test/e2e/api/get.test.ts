// Acceptance 3: kubectl get output formats, selectors, chunking and watch.
import t from 'tap';
import { spawn } from 'node:child_process';
import { withEmulator, type EmulatorFixture } from '../../helpers/cluster.js';
import { kubectlPath } from '../../helpers/kubectl.js';
import { operatorManifest } from './manifests.js';

/**
 * One emulator for the file: the selectors test applies the operator manifest again (unchanged) and adds ConfigMaps
 * of its own; the watch test waits for a ConfigMap of its own under the one header.
 */
let shared: EmulatorFixture;
t.before(async () => {
  shared = await withEmulator(t);
});

t.test('get in every output format', async (t) => {
  const { kubectl } = shared;
  t.equal((await kubectl(['apply', '-f', operatorManifest])).code, 0);

  const wide = await kubectl(['get', 'ns,deploy,crd,clusterrole', '-A', '-o', 'wide']);
  t.equal(wide.code, 0, wide.stderr);
  t.match(wide.stdout, /^NAME\s+STATUS\s+AGE$/m, 'namespace header');
  t.match(wide.stdout, /^namespace\/kubevirt\s+Active\s+\d+s$/m);
  t.match(
    wide.stdout,
    /NAMESPACE\s+NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR/,
    'deployment wide columns',
  );
  t.match(wide.stdout, /kubevirt\s+deployment\.apps\/virt-operator\s+\d\/2/);
  t.match(wide.stdout, /customresourcedefinition\.apiextensions\.k8s\.io\/kubevirts\.kubevirt\.io\s+\d{4}-\d\d-\d\dT/);
  t.match(wide.stdout, /clusterrole\.rbac\.authorization\.k8s\.io\/kubevirt-operator\s+\d{4}-/);

  const yaml = await kubectl(['get', 'ns', 'kubevirt', '-o', 'yaml']);
  t.match(yaml.stdout, /apiVersion: v1\nkind: Namespace\nmetadata:/);
  t.match(yaml.stdout, 'kubernetes.io/metadata.name: kubevirt');
  t.match(yaml.stdout, /resourceVersion: "\d+"/);
  t.match(yaml.stdout, /uid: [0-9a-f-]{36}/);

  const json = JSON.parse((await kubectl(['-n', 'kubevirt', 'get', 'deploy', '-o', 'json'])).stdout);
  t.equal(json.kind, 'List');
  t.equal(json.items[0].metadata.name, 'virt-operator');
  t.equal(json.items[0].spec.strategy.type, 'RollingUpdate', 'defaults filled in');

  const jsonpath = await kubectl([
    'get',
    'crd',
    'kubevirts.kubevirt.io',
    '-o',
    'jsonpath={.status.conditions[?(@.type=="Established")].status}',
  ]);
  t.equal(jsonpath.stdout, 'True');

  const columns = await kubectl([
    'get',
    'clusterrole',
    'kubevirt-operator',
    '-o',
    'custom-columns=NAME:.metadata.name,RULES:.rules[0].apiGroups[0]',
  ]);
  t.match(columns.stdout, /^NAME\s+RULES\nkubevirt-operator\s+kubevirt\.io\n$/);
});

t.test('label and field selectors, chunking', async (t) => {
  const { kubectl } = shared;
  t.equal((await kubectl(['apply', '-f', operatorManifest])).code, 0);
  const labelled = await kubectl(['get', 'clusterrole', '-l', 'operator.kubevirt.io', '-o', 'name']);
  t.equal(labelled.code, 0, labelled.stderr);
  t.same(labelled.stdout.trim().split('\n'), ['clusterrole.rbac.authorization.k8s.io/kubevirt.io:operator']);
  const notLabelled = await kubectl(['get', 'clusterrole', '-l', 'kubevirt.io=,!operator.kubevirt.io', '-o', 'name']);
  t.same(notLabelled.stdout.trim().split('\n'), ['clusterrole.rbac.authorization.k8s.io/kubevirt-operator']);

  const byField = await kubectl(['get', 'ns', '--field-selector', 'metadata.name=kubevirt', '-o', 'name']);
  t.equal(byField.stdout.trim(), 'namespace/kubevirt');
  const badField = await kubectl(['get', 'ns', '--field-selector', 'spec.nope=1']);
  t.not(badField.code, 0);
  t.match(badField.stderr, 'field label not supported: spec.nope');

  for (let i = 0; i < 5; i++) t.equal((await kubectl(['create', 'configmap', `cm-${i}`, `--from-literal=k=${i}`])).code, 0);
  const chunked = await kubectl(['get', 'configmaps', '--chunk-size=2', '-o', 'name']);
  t.equal(chunked.code, 0, chunked.stderr);
  // Every namespace also holds kube-root-ca.crt, published by the root CA controller.
  t.same(chunked.stdout.trim().split('\n'), [
    'configmap/cm-0',
    'configmap/cm-1',
    'configmap/cm-2',
    'configmap/cm-3',
    'configmap/cm-4',
    'configmap/kube-root-ca.crt',
  ]);
  const chunkedTable = await kubectl(['get', 'configmaps', '--chunk-size=2']);
  t.equal(chunkedTable.stdout.match(/^NAME/gm)?.length, 1, 'one header across chunks');
  t.equal(chunkedTable.stdout.match(/^cm-/gm)?.length, 5);
});

t.test('get -w sees a later create under one header', async (t) => {
  const { kubectl, kubeconfigPath } = shared;
  const cacheDir = (await import('node:fs/promises')).mkdtemp(`${(await import('node:os')).tmpdir()}/kc-`);
  const watcher = spawn(kubectlPath(), ['get', 'configmaps', '-w'], {
    env: { ...process.env, KUBECONFIG: kubeconfigPath, KUBECACHEDIR: await cacheDir },
  });
  let output = '';
  watcher.stdout.on('data', (d) => (output += d));
  t.teardown(() => watcher.kill());
  const waitFor = async (pattern: RegExp) => {
    for (let i = 0; i < 100 && !pattern.test(output); i++) await new Promise((r) => setTimeout(r, 50));
    return pattern.test(output);
  };
  t.ok(await waitFor(/^NAME\s+DATA\s+AGE$/m), 'header printed');
  t.equal((await kubectl(['create', 'configmap', 'later', '--from-literal=a=b'])).code, 0);
  t.ok(await waitFor(/^later\s+1\s+\d+s$/m), `watch printed the new row:\n${output}`);
  t.equal(output.match(/^NAME/gm)?.length, 1, 'exactly one header');
});
