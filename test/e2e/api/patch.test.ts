// Acceptance 4: patch types, edit, label, annotate, scale and server-side dry run.
import t from 'tap';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withEmulator } from '../../helpers/cluster.js';
import { operatorManifest } from './manifests.js';

const deployArgs = ['-n', 'kubevirt'];

t.test('patch, edit, label, annotate, scale, delete --dry-run=server', async (t) => {
  const { kubectl } = await withEmulator(t);
  t.equal((await kubectl(['apply', '-f', operatorManifest])).code, 0);
  const jsonpath = async (expr: string) =>
    (await kubectl([...deployArgs, 'get', 'deploy', 'virt-operator', '-o', `jsonpath=${expr}`])).stdout;

  const json = await kubectl([
    ...deployArgs,
    'patch',
    'deploy',
    'virt-operator',
    '--type=json',
    '-p',
    '[{"op":"replace","path":"/spec/revisionHistoryLimit","value":5}]',
  ]);
  t.equal(json.code, 0, json.stderr);
  t.match(json.stdout, 'deployment.apps/virt-operator patched');
  t.equal(await jsonpath('{.spec.revisionHistoryLimit}'), '5');

  const badJson = await kubectl([
    ...deployArgs,
    'patch',
    'deploy',
    'virt-operator',
    '--type=json',
    '-p',
    '[{"op":"test","path":"/spec/replicas","value":99}]',
  ]);
  t.not(badJson.code, 0, 'a failing test op is refused');

  const merge = await kubectl([
    ...deployArgs,
    'patch',
    'deploy',
    'virt-operator',
    '--type=merge',
    '-p',
    '{"metadata":{"labels":{"merged":"yes"}}}',
  ]);
  t.equal(merge.code, 0, merge.stderr);
  t.equal(await jsonpath('{.metadata.labels.merged}'), 'yes');

  const envBefore = await jsonpath('{.spec.template.spec.containers[0].env[*].name}');
  t.match(envBefore, 'KUBEVIRT_VERSION');
  const strategic = await kubectl([
    ...deployArgs,
    'patch',
    'deploy',
    'virt-operator',
    '--type=strategic',
    '-p',
    '{"spec":{"template":{"spec":{"containers":[{"name":"virt-operator","env":[{"name":"EXTRA","value":"1"}]}]}}}}',
  ]);
  t.equal(strategic.code, 0, strategic.stderr);
  const envAfter = (await jsonpath('{.spec.template.spec.containers[0].env[*].name}')).split(' ');
  t.ok(envAfter.includes('EXTRA') && envAfter.includes('KUBEVIRT_VERSION'), `env merged by name: ${envAfter}`);
  t.equal(envAfter.length, envBefore.split(' ').length + 1);

  const label = await kubectl(['label', 'ns', 'kubevirt', 'team=virt']);
  t.equal(label.code, 0, label.stderr);
  t.match(label.stdout, 'namespace/kubevirt labeled');
  const annotate = await kubectl([...deployArgs, 'annotate', 'deploy', 'virt-operator', 'note=hello']);
  t.match(annotate.stdout, 'deployment.apps/virt-operator annotated');
  t.equal(await jsonpath('{.metadata.annotations.note}'), 'hello');

  const scale = await kubectl([...deployArgs, 'scale', 'deploy/virt-operator', '--replicas=1']);
  t.equal(scale.code, 0, scale.stderr);
  t.match(scale.stdout, 'deployment.apps/virt-operator scaled');
  t.equal(await jsonpath('{.spec.replicas}'), '1');

  const dryRun = await kubectl([...deployArgs, 'delete', 'deploy', 'virt-operator', '--dry-run=server']);
  t.equal(dryRun.code, 0, dryRun.stderr);
  t.match(dryRun.stdout, 'deployment.apps "virt-operator" deleted (server dry run)');
  t.equal(await jsonpath('{.metadata.name}'), 'virt-operator', 'still there after a dry run');

  const dir = await mkdtemp(join(tmpdir(), 'editor-'));
  const editor = join(dir, 'editor.sh');
  await writeFile(editor, '#!/bin/sh\nsed -i "s/revisionHistoryLimit: 5/revisionHistoryLimit: 7/" "$1"\n');
  await chmod(editor, 0o755);
  const edit = await kubectl([...deployArgs, 'edit', 'deploy', 'virt-operator'], { env: { KUBE_EDITOR: editor } });
  t.equal(edit.code, 0, edit.stderr);
  t.match(edit.stdout, 'deployment.apps/virt-operator edited');
  t.equal(await jsonpath('{.spec.revisionHistoryLimit}'), '7');
});

t.test('a strategic merge patch on a custom resource is refused with 415', async (t) => {
  const { kubectl } = await withEmulator(t);
  t.equal((await kubectl(['apply', '-f', operatorManifest])).code, 0);
  t.equal(
    (
      await kubectl(['-n', 'kubevirt', 'create', '-f', '-'], {
        input: JSON.stringify({ apiVersion: 'kubevirt.io/v1', kind: 'KubeVirt', metadata: { name: 'kv' }, spec: {} }),
      })
    ).code,
    0,
  );
  const result = await kubectl(['-n', 'kubevirt', 'patch', 'kv', 'kv', '-p', '{"spec":{"imagePullPolicy":"Always"}}']);
  t.not(result.code, 0);
  t.match(result.stderr, 'application/strategic-merge-patch+json is not supported by kubevirt.io/v1, Kind=KubeVirt');
});

// kube-apiserver 1.32 applies JSON patches with gopkg.in/evanphx/json-patch.v4 (v4.12.0 patch.go) and wraps a failure
// with NewGenericServerResponse(422) (apiserver endpoints/handlers/patch.go applyJSPatch): a replace of a missing object
// key adds it, negative array indices count from the end, and a failing test answers the generic 422.
t.test('JSON patch applies as evanphx/json-patch v4 does', async (t) => {
  const { kubectl } = await withEmulator(t);
  const cm = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'jp', namespace: 'default', labels: { a: '1' } } });
  t.equal((await kubectl(['create', '-f', '-'], { input: cm })).code, 0);
  const rule = (resource: string) => ({ apiGroups: [''], resources: [resource], verbs: ['get'] });
  const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'jp', namespace: 'default' } };
  const rules = [rule('pods'), rule('services'), rule('secrets')];
  t.equal((await kubectl(['create', '-f', '-'], { input: JSON.stringify({ ...role, rules }) })).code, 0);
  const patch = (kind: string, ops: unknown[]) => kubectl(['patch', kind, 'jp', '--type=json', '-p', JSON.stringify(ops)]);

  const replaced = await patch('cm', [
    { op: 'replace', path: '/metadata/labels/b', value: '2' },
    { op: 'replace', path: '/data', value: { k: 'v' } },
  ]);
  t.equal(replaced.code, 0, replaced.stderr);
  t.equal((await kubectl(['get', 'cm', 'jp', '-o', 'jsonpath={.metadata.labels.b} {.data.k}'])).stdout, '2 v');

  const negative = await patch('role', [{ op: 'remove', path: '/rules/-1' }]);
  t.equal(negative.code, 0, negative.stderr);
  t.equal((await kubectl(['get', 'role', 'jp', '-o', 'jsonpath={.rules[*].resources[0]}'])).stdout, 'pods services');

  const failed = await patch('cm', [{ op: 'test', path: '/metadata/labels/a', value: '9' }]);
  t.not(failed.code, 0);
  t.equal(failed.stderr.trim(), 'The request is invalid: the server rejected our request due to an error in our request');
  const missingParent = await patch('cm', [{ op: 'replace', path: '/spec/x/y', value: 1 }]);
  t.equal(missingParent.stderr.trim(), 'The request is invalid: the server rejected our request due to an error in our request');
});

t.test('a resourceVersion in a server-side apply is a precondition: 409 when stale, applied when current', async (t) => {
  const { kubectl } = await withEmulator(t);
  const configMap = (resourceVersion: string, value: string) =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'locked', namespace: 'default', resourceVersion },
      data: { value },
    });
  t.equal((await kubectl(['create', 'configmap', 'locked', '--from-literal=value=first'])).code, 0);
  const current = (await kubectl(['get', 'cm', 'locked', '-o', 'jsonpath={.metadata.resourceVersion}'])).stdout;
  // --force-conflicts: data.value is kubectl-create's, and a field conflict is found before the resourceVersion's.
  const apply = (input: string) => kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], { input });
  const stale = await apply(configMap(String(Number(current) - 1), 'stale'));
  t.not(stale.code, 0);
  // kubectl words every 409 of an apply as its own (patcher.go), the server's message first.
  t.match(
    stale.stderr,
    'error: Operation cannot be fulfilled on configmaps "locked": the object has been modified; please apply your changes to the latest version and try again',
  );
  const fresh = await apply(configMap(current, 'second'));
  t.equal(fresh.code, 0, fresh.stderr);
  t.equal((await kubectl(['get', 'cm', 'locked', '-o', 'jsonpath={.data.value}'])).stdout, 'second');
});
