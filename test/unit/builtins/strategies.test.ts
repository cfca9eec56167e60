import t from 'tap';
import { strategyFor, validateDnsLabelName, validateDnsSubdomainName } from '../../../src/api/builtins/strategies.js';
import type { KubeObject } from '../../../src/api/types.js';
import { validateObjectMeta } from '../../../src/api/validation/objectmeta.js';

/** Name errors as the registry finds them: ObjectMeta validation with the kind's name rule. */
const nameErrors = (group: string, kind: string, obj: KubeObject) =>
  validateObjectMeta(obj.metadata, { namespaced: false, nameRule: strategyFor(group, kind).nameRule });

/** The body `kubectl create deployment web --image=nginx` POSTs (captured from kubectl 1.32). */
const kubectlCreateDeployment = (): KubeObject => ({
  kind: 'Deployment',
  apiVersion: 'apps/v1',
  metadata: { name: 'web', namespace: 'default', creationTimestamp: null as unknown as string, labels: { app: 'web' } },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { creationTimestamp: null, labels: { app: 'web' } },
      spec: { containers: [{ name: 'nginx', image: 'nginx', resources: {} }] },
    },
    strategy: {},
  },
  status: {},
});

t.test('Deployment defaults match what a real cluster returns for kubectl create deployment', async (t) => {
  const strategy = strategyFor('apps', 'Deployment');
  const created = strategy.prepareForCreate(kubectlCreateDeployment());
  t.same(created.spec, {
    progressDeadlineSeconds: 600,
    replicas: 1,
    revisionHistoryLimit: 10,
    selector: { matchLabels: { app: 'web' } },
    strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' }, type: 'RollingUpdate' },
    template: {
      metadata: { creationTimestamp: null, labels: { app: 'web' } },
      spec: {
        containers: [
          {
            image: 'nginx',
            imagePullPolicy: 'Always',
            name: 'nginx',
            resources: {},
            terminationMessagePath: '/dev/termination-log',
            terminationMessagePolicy: 'File',
          },
        ],
        dnsPolicy: 'ClusterFirst',
        restartPolicy: 'Always',
        schedulerName: 'default-scheduler',
        securityContext: {},
        terminationGracePeriodSeconds: 30,
      },
    },
  });
  t.same(created.status, {});
  t.same(strategy.validate(created), []);
  t.ok(strategy.tracksGeneration);
  t.same(strategy.statusFields, ['status']);
});

t.test('prepareForCreate leaves its input untouched, even when frozen', async (t) => {
  const input = Object.freeze(kubectlCreateDeployment());
  const before = JSON.stringify(input);
  strategyFor('apps', 'Deployment').prepareForCreate(input);
  t.equal(JSON.stringify(input), before);
});

t.test('invalid names are rejected with the Kubernetes message', async (t) => {
  const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name' } };
  const errors = nameErrors('', 'ConfigMap', cm);
  t.equal(errors.length, 1);
  t.equal(errors[0].field, 'metadata.name');
  t.equal(errors[0].reason, 'FieldValueInvalid');
  t.equal(
    errors[0].message,
    `Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
  );

  const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'my.ns' } };
  t.same(
    nameErrors('', 'Namespace', ns).map((e) => `${e.field}: ${e.message}`),
    [
      `metadata.name: Invalid value: "my.ns": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
    ],
  );

  const svc: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: '1web' }, spec: { ports: [{ port: 80 }] } };
  t.match(
    nameErrors('', 'Service', svc)[0].message,
    /^Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character/,
  );

  t.same(
    validateDnsLabelName('a'.repeat(64)).map((e) => e.message),
    [`Invalid value: "${'a'.repeat(64)}": must be no more than 63 characters`],
  );
  t.same(validateDnsSubdomainName('example.com'), []);
  t.equal(validateDnsSubdomainName('X', 'spec.foo')[0].field, 'spec.foo');
});

t.test('RBAC names may hold colons but not slashes', async (t) => {
  const rbac = 'rbac.authorization.k8s.io';
  t.same(
    nameErrors(rbac, 'ClusterRole', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'system:controller:foo' },
    }),
    [],
  );
  t.same(
    nameErrors(rbac, 'ClusterRole', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'a/b' } }).map(
      (e) => e.message,
    ),
    [`Invalid value: "a/b": may not contain '/'`],
  );
});

t.test('Deployment validation: selector must match the template labels, and stays fixed', async (t) => {
  const strategy = strategyFor('apps', 'Deployment');
  const deployment = strategy.prepareForCreate(kubectlCreateDeployment());
  const mismatched = structuredClone(deployment);
  (mismatched.spec as { selector: unknown }).selector = { matchLabels: { app: 'other' } };
  t.same(
    strategy.validate(mismatched).map((e) => `${e.field}: ${e.message}`),
    ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`'],
  );
  t.same(
    strategy
      .validate(mismatched, deployment)
      .map((e) => `${e.field}: ${e.message}`)
      .slice(1),
    [
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"other"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    ],
  );

  const noSelector = structuredClone(deployment);
  delete (noSelector.spec as { selector?: unknown }).selector;
  t.same(
    strategy.validate(noSelector).map((e) => `${e.field}: ${e.message}`),
    ['spec.selector: Required value'],
  );

  const broken = structuredClone(deployment);
  const podSpec = (broken.spec as { template: { spec: { containers: Record<string, unknown>[]; restartPolicy: string } } }).template.spec;
  podSpec.containers.push({ name: 'nginx' });
  podSpec.restartPolicy = 'Never';
  t.same(
    strategy.validate(broken).map((e) => `${e.field}: ${e.message}`),
    [
      'spec.template.spec.containers[1].name: Duplicate value: "nginx"',
      'spec.template.spec.containers[1].image: Required value',
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ],
  );
});

t.test('Pod defaults and initial status', async (t) => {
  const pod = strategyFor('', 'Pod').prepareForCreate({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default' },
    spec: {
      containers: [
        { name: 'a', image: 'registry:5000/app:1.2', ports: [{ containerPort: 80 }], resources: { limits: { cpu: '1', memory: '1Gi' } } },
        { name: 'b', image: 'busybox@sha256:abc', readinessProbe: { httpGet: { port: 8080 } } },
      ],
      volumes: [{ name: 'scratch' }, { name: 'cfg', configMap: { name: 'c' } }],
    },
  });
  const spec = pod.spec as Record<string, any>;
  t.equal(spec.containers[0].imagePullPolicy, 'IfNotPresent');
  t.equal(spec.containers[1].imagePullPolicy, 'IfNotPresent');
  t.same(spec.containers[0].ports, [{ containerPort: 80, protocol: 'TCP' }]);
  t.same(spec.containers[0].resources.requests, { cpu: '1', memory: '1Gi' });
  t.same(spec.containers[1].readinessProbe, {
    httpGet: { port: 8080, path: '/', scheme: 'HTTP' },
    timeoutSeconds: 1,
    periodSeconds: 10,
    successThreshold: 1,
    failureThreshold: 3,
  });
  t.same(spec.volumes, [
    { name: 'scratch', emptyDir: {} },
    { name: 'cfg', configMap: { name: 'c', defaultMode: 420 } },
  ]);
  t.equal(spec.enableServiceLinks, true);
  // One container is limited, the other is not: burstable.
  t.same(pod.status, { phase: 'Pending', qosClass: 'Burstable' });
});

t.test('Pod spec is immutable but for images', async (t) => {
  const strategy = strategyFor('', 'Pod');
  const pod = strategy.prepareForCreate({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: { containers: [{ name: 'a', image: 'nginx' }] },
  });
  const newImage = structuredClone(pod);
  (newImage.spec as any).containers[0].image = 'nginx:2';
  t.same(strategy.validate(newImage, pod), []);
  const newPolicy = structuredClone(pod);
  (newPolicy.spec as any).restartPolicy = 'Never';
  const errors = strategy.validate(newPolicy, pod);
  t.equal(errors[0].field, 'spec');
  t.match(errors[0].message, /^Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`/);
});

t.test('Namespace: finalizer, phase and name label', async (t) => {
  const strategy = strategyFor('', 'Namespace');
  const ns = strategy.prepareForCreate({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kubevirt' } });
  t.same(ns.spec, { finalizers: ['kubernetes'] });
  t.same(ns.status, { phase: 'Active' });
  t.same(ns.metadata.labels, { 'kubernetes.io/metadata.name': 'kubevirt' });
  const updated = strategy.prepareForUpdate!(
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kubevirt', labels: { a: 'b' } } },
    ns,
  );
  t.same(updated.spec, { finalizers: ['kubernetes'] });
  t.same(updated.metadata.labels, { a: 'b', 'kubernetes.io/metadata.name': 'kubevirt' });
  t.same(strategy.statusFields, ['status']);
  t.notOk(strategy.tracksGeneration);
});

t.test('Service defaults, allocated fields kept on update', async (t) => {
  const strategy = strategyFor('', 'Service');
  const svc = strategy.prepareForCreate({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web' },
    spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
  });
  t.same(svc.spec, {
    selector: { app: 'web' },
    ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
    sessionAffinity: 'None',
    type: 'ClusterIP',
    internalTrafficPolicy: 'Cluster',
    ipFamilyPolicy: 'SingleStack',
    ipFamilies: ['IPv4'],
  });
  t.same(svc.status, { loadBalancer: {} });
  const allocated = { ...svc, spec: { ...(svc.spec as object), clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'] } };
  const replaced = strategy.prepareForUpdate!(
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { ports: [{ port: 81 }] } },
    allocated,
  );
  t.equal((replaced.spec as any).clusterIP, '10.96.0.10');
  t.same(strategy.validate(replaced, allocated), []);
  const moved = { ...replaced, spec: { ...(replaced.spec as object), clusterIP: '10.96.0.11' } };
  t.same(
    strategy.validate(moved, allocated).map((e) => `${e.field}: ${e.message}`),
    ['spec.clusterIPs[0]: Invalid value: "10.96.0.11": may not change once set'],
  );
  t.same(
    strategy
      .validate({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' }, spec: { type: 'ClusterIP' } })
      .map((e) => `${e.field}: ${e.message}`),
    ['spec.ports: Required value'],
  );
});

t.test('Job: generated selector and labels, job defaults', async (t) => {
  const job = strategyFor('batch', 'Job').prepareForCreate({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', namespace: 'default', uid: 'u-1' },
    spec: {
      template: {
        metadata: { creationTimestamp: null },
        spec: { containers: [{ name: 'pi', image: 'perl:5.34' }], restartPolicy: 'Never' },
      },
    },
  });
  const spec = job.spec as Record<string, any>;
  t.same(spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } });
  const labels = {
    'batch.kubernetes.io/controller-uid': 'u-1',
    'batch.kubernetes.io/job-name': 'pi',
    'controller-uid': 'u-1',
    'job-name': 'pi',
  };
  t.same(spec.template.metadata.labels, labels);
  t.same(job.metadata.labels, labels);
  t.match(spec, {
    backoffLimit: 6,
    completionMode: 'NonIndexed',
    completions: 1,
    parallelism: 1,
    suspend: false,
    manualSelector: false,
    podReplacementPolicy: 'TerminatingOrFailed',
  });
  t.same(strategyFor('batch', 'Job').validate(job), []);
  const always = structuredClone(job);
  (always.spec as any).template.spec.restartPolicy = 'Always';
  t.same(
    strategyFor('batch', 'Job')
      .validate(always)
      .map((e) => `${e.field}: ${e.message}`),
    ['spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"'],
  );
});

t.test('StatefulSet and DaemonSet defaults', async (t) => {
  const template = { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'x', image: 'x:1' }] } };
  const sts = strategyFor('apps', 'StatefulSet').prepareForCreate({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 's' },
    spec: { selector: { matchLabels: { app: 'x' } }, template },
  });
  t.match(sts.spec, {
    podManagementPolicy: 'OrderedReady',
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
    persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    replicas: 1,
    revisionHistoryLimit: 10,
  });
  t.same(sts.status, { replicas: 0, availableReplicas: 0 });
  const ds = strategyFor('apps', 'DaemonSet').prepareForCreate({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'd' },
    spec: { selector: { matchLabels: { app: 'x' } }, template },
  });
  t.match(ds.spec, {
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
    revisionHistoryLimit: 10,
  });
});

t.test('Secret type defaults to Opaque and is immutable', async (t) => {
  const strategy = strategyFor('', 'Secret');
  const secret = strategy.prepareForCreate({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { 'a.b': 'eA==' } });
  t.equal(secret.type, 'Opaque');
  t.same(
    strategy.validate({ ...secret, type: 'kubernetes.io/tls' }, secret).map((e) => `${e.field}: ${e.message}`),
    ['type: Invalid value: "kubernetes.io/tls": field is immutable'],
  );
  t.match(
    strategy.validate({ ...secret, data: { 'bad key': '' } })[0].message,
    /^Invalid value: "bad key": a valid config key must consist of alphanumeric characters/,
  );
});

t.test('CRD names are plural.group; status and generation', async (t) => {
  const strategy = strategyFor('apiextensions.k8s.io', 'CustomResourceDefinition');
  const crd = strategy.prepareForCreate({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      names: { kind: 'Widget', plural: 'widgets' },
      scope: 'Namespaced',
      versions: [{ name: 'v1', served: true, storage: true }],
    },
  });
  t.match(crd.spec, { names: { singular: 'widget', listKind: 'WidgetList' }, conversion: { strategy: 'None' } });
  t.same(crd.status, { acceptedNames: { kind: '', plural: '' }, storedVersions: ['v1'] });
  t.same(strategy.validate(crd), []);
  t.same(
    strategy.validate({ ...crd, metadata: { name: 'widgets.other.com' } }).map((e) => e.message),
    ['Invalid value: "widgets.other.com": must be spec.names.plural+"."+spec.group'],
  );
});

t.test('kinds without status or rules', async (t) => {
  const cm = strategyFor('', 'ConfigMap');
  t.same(cm.statusFields, []);
  t.notOk(cm.tracksGeneration);
  t.same(
    strategyFor('authorization.k8s.io', 'SelfSubjectAccessReview').validate({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: {},
    }),
    [],
  );
  t.equal(strategyFor('', 'ConfigMap'), cm, 'strategies are built once');
});

t.test('Events read back with the fields their Go types always encode', async (t) => {
  const bare: KubeObject = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'bare', namespace: 'default' },
    involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' },
    source: null,
    reason: 'Bare',
  };
  const core = strategyFor('', 'Event').prepareForCreate(bare);
  t.strictSame(
    { ...core, metadata: bare.metadata },
    {
      ...bare,
      source: {},
      firstTimestamp: null,
      lastTimestamp: null,
      eventTime: null,
      reportingComponent: '',
      reportingInstance: '',
    },
  );
  t.equal(bare.source, null, 'the incoming object is left as it is');
  t.equal(strategyFor('', 'Event').prepareForCreate(core), core, 'a complete Event needs no copy');
  t.equal(strategyFor('', 'Event').prepareForUpdate?.(core, core), core);

  const newApi: KubeObject = { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'n', namespace: 'default' }, note: 'x' };
  t.strictSame(strategyFor('events.k8s.io', 'Event').prepareForCreate(newApi), {
    ...newApi,
    eventTime: null,
    regarding: {},
    deprecatedSource: {},
    deprecatedFirstTimestamp: null,
    deprecatedLastTimestamp: null,
  });
});
