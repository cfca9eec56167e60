// Issue 14: POST to a named path. kube-apiserver's CRD handler takes any POST as "create"
// (apiextensions-apiserver customresource_handler.go serveResource), and create.go's createHandler keys the object by
// its own metadata.name (the URL's name only fills the admission attributes), so a web UI's
// POST .../widgets/<name> creates the object. A built-in resource registers POST on its collection path only
// (apiserver endpoints/installer.go registerResourceHandlers), so go-restful answers 405 and genericapiserver's
// serviceErrorHandler wraps "405: Method Not Allowed" as a cause (apierrors.NewGenericServerResponse).
import t from 'tap';
import { withEmulator } from '../../helpers/cluster.js';
import { widgetCrd } from '../../helpers/crds.js';
import { rawClient } from '../../helpers/raw-https.js';

const widget = (name: string) => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name }, spec: { size: 1 } });

t.test('POST to a named path creates a custom resource and is refused for built-in ones', async (t) => {
  const { emulator, kubeconfigPath, kubectl } = await withEmulator(t);
  const api = rawClient(emulator.url, kubeconfigPath);
  t.equal((await kubectl(['apply', '-f', '-'], { input: JSON.stringify(widgetCrd) })).code, 0);
  t.equal((await kubectl(['wait', '--for=condition=Established', 'crd/widgets.example.com'])).code, 0);

  const widgets = '/apis/example.com/v1/namespaces/default/widgets';
  const created = await kubectl(['create', '--raw', `${widgets}/ui-w1`, '-f', '-'], { input: JSON.stringify(widget('ui-w1')) });
  t.equal(created.code, 0, created.stderr);
  t.equal(JSON.parse(created.stdout).metadata.namespace, 'default', 'created in the URL namespace');
  const got = await kubectl(['get', 'widget', 'ui-w1', '-o', 'jsonpath={.spec.size}']);
  t.equal(got.stdout, '1', 'stored');

  const again = await api.send('POST', `${widgets}/ui-w1`, { body: widget('ui-w1') });
  t.equal(again.status, 409, 'a second POST is AlreadyExists');
  t.equal(again.json.message, 'widgets.example.com "ui-w1" already exists');

  // The object's own name decides, as the storage's ObjectNameFunc does.
  const other = await api.send('POST', `${widgets}/url-name`, { body: widget('body-name') });
  t.equal(other.status, 201, 'created');
  t.equal((other.json.metadata as { name: string }).name, 'body-name');
  const noName = await api.send('POST', `${widgets}/url-name`, { body: widget('') });
  t.equal(noName.status, 422);
  t.equal(noName.json.message, 'Widget.example.com "" is invalid: metadata.name: Required value: name or generateName is required');

  for (const path of [
    '/api/v1/namespaces/default/configmaps/cm',
    '/api/v1/namespaces/cm',
    '/apis/apps/v1/namespaces/default/deployments/d',
  ]) {
    const refused = await api.send('POST', path, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' } } });
    t.equal(refused.status, 405, `${path}: 405`);
    t.same(
      refused.json,
      {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'the server does not allow this method on the requested resource',
        reason: 'MethodNotAllowed',
        details: { causes: [{ reason: 'UnexpectedServerResponse', message: '405: Method Not Allowed' }] },
        code: 405,
      },
      `${path}: go-restful's Status`,
    );
  }
  const viaKubectl = await kubectl(['create', '--raw', '/api/v1/namespaces/default/configmaps/cm', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' } }),
  });
  t.not(viaKubectl.code, 0);
  t.match(viaKubectl.stderr, 'the server does not allow this method on the requested resource');
});
