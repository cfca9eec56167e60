/**
 * An emulator (virtual clock) with KubeVirt's CRDs, the kubevirt namespace,
 * the virt-api Service and webhook configurations taken from operands.yaml,
 * and a ready virt-api stand-in pod; admission runs through an
 * AdmissionChain with the webhook plugins and virt-api's backends, so a
 * write is admitted as the apiserver would admit it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdmissionChain, type AdmissionAttributes, type Operation } from '../../../../../src/admission/chain.js';
import { WebhookBackends, registerWebhookAdmission } from '../../../../../src/admission/webhooks/index.js';
import { builtinResourceTypes } from '../../../../../src/api/builtin-types.js';
import type { KubeObject, ResourceType } from '../../../../../src/api/types.js';
import { adminUser, type UserInfo } from '../../../../../src/auth/user.js';
import type { ComponentContext } from '../../../../../src/runtime/component-context.js';
import { startEmulator, type RunningEmulator } from '../../../../../src/emulator.js';
import { registerKubeVirtWebhooks } from '../../../../../src/kubevirt/api/admission/index.js';
import type { VirtualClock } from '../../../../../src/runtime/clock.js';
import { SharedInformerFactory } from '../../../../../src/runtime/informer.js';
import { silentLogger } from '../../../../../src/runtime/logger.js';
import { SeededRandom } from '../../../../../src/runtime/seeded-random.js';
import { builtinProfile } from '../../../../../src/simulation/profile.js';
import { projectYaml, projectYamlDocuments } from '../../../../helpers/project-yaml.js';

const schemas = new URL('../../../../../schemas/kubevirt/', import.meta.url);
export const example = (file: string): KubeObject => projectYaml(new URL(`examples/${file}`, schemas)) as KubeObject;

const operands = projectYamlDocuments<KubeObject>(new URL('install-strategy/operands.yaml', schemas));
/** operands.yaml's caBundles are placeholders ("<BASE64(...)>"), which the apiserver would refuse as base64. */
const withPlaceholderCa = (obj: KubeObject): KubeObject => {
  const hooks = obj.webhooks as { clientConfig?: { caBundle?: string } }[] | undefined;
  if (!hooks) return obj;
  const placeholderCa = Buffer.from('placeholder CA').toString('base64');
  return { ...obj, webhooks: hooks.map((h) => ({ ...h, clientConfig: { ...h.clientConfig, caBundle: placeholderCa } })) };
};

const operand = (kind: string, name: string): KubeObject => {
  const found = operands.find((o) => o.kind === kind && o.metadata?.name === name);
  if (!found) throw new Error(`${kind} ${name} not in operands.yaml`);
  return withPlaceholderCa(found);
};

/** The resource types of the KubeVirt kinds the tests write (what an Established CRD adds). */
const kubevirtType = (group: string, version: string, kind: string, plural: string, subresources: string[] = []): ResourceType => ({
  ...builtinResourceTypes().find((x) => x.plural === 'configmaps')!,
  group,
  version,
  kind,
  listKind: `${kind}List`,
  plural,
  singular: kind.toLowerCase(),
  shortNames: [],
  namespaced: true,
  storageKey: `${group}/${plural}`,
  custom: true,
  subresources: subresources.map((name) => ({ name, responseKind: { group, version, kind }, verbs: ['get', 'update', 'patch'] })),
});

export const TYPES = {
  vm: kubevirtType('kubevirt.io', 'v1', 'VirtualMachine', 'virtualmachines', ['status']),
  vmi: kubevirtType('kubevirt.io', 'v1', 'VirtualMachineInstance', 'virtualmachineinstances'),
  migration: kubevirtType('kubevirt.io', 'v1', 'VirtualMachineInstanceMigration', 'virtualmachineinstancemigrations', ['status']),
  snapshot: kubevirtType('snapshot.kubevirt.io', 'v1beta1', 'VirtualMachineSnapshot', 'virtualmachinesnapshots', ['status']),
  clone: kubevirtType('clone.kubevirt.io', 'v1beta1', 'VirtualMachineClone', 'virtualmachineclones', ['status']),
  vmirs: kubevirtType('kubevirt.io', 'v1', 'VirtualMachineInstanceReplicaSet', 'virtualmachineinstancereplicasets', ['status']),
};

export interface AdmissionHarness {
  emulator: RunningEmulator;
  /** Mutating then validating admission, as the registry runs it; resolves to the admitted object. */
  admit(
    type: ResourceType,
    object: KubeObject,
    options?: { operation?: Operation; oldObject?: KubeObject; user?: UserInfo; warnings?: string[] },
  ): Promise<KubeObject>;
  stop(): Promise<void>;
}

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
};

export async function startAdmissionHarness(): Promise<AdmissionHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'kubevirt-admission-'));
  const emulator = await startEmulator({
    port: 0,
    insecureHttp: true,
    kubeconfigPath: join(dir, 'kubeconfig'),
    clock: 'virtual',
    workers: 1,
  });
  const clock = emulator.clock as VirtualClock;
  const client = emulator.client;
  for (const crd of [
    'virtualmachines.kubevirt.io',
    'virtualmachineinstances.kubevirt.io',
    'virtualmachineinstancemigrations.kubevirt.io',
    'kubevirts.kubevirt.io',
    'virtualmachinerestores.snapshot.kubevirt.io',
    'virtualmachineinstancepresets.kubevirt.io',
  ]) {
    await client.create(projectYaml(new URL(`crds/${crd}.yaml`, schemas)) as KubeObject);
  }
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kubevirt' } });
  await client.create(operand('Service', 'virt-api'));
  await client.create(operand('MutatingWebhookConfiguration', 'virt-api-mutator'));
  await client.create(operand('ValidatingWebhookConfiguration', 'virt-api-validator'));
  // The virt-api stand-in: a pod with virt-api's label that the simulated kubelet runs and reports Ready.
  await client.create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'virt-api-standin', namespace: 'kubevirt', labels: { 'kubevirt.io': 'virt-api' } },
    spec: { containers: [{ name: 'virt-api', image: 'quay.io/kubevirt/virt-api:v1.9.0-rc.2' }] },
  });
  for (let i = 0; i < 100; i++) {
    const pod = await client.get<KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } }>(
      { apiVersion: 'v1', kind: 'Pod' },
      'kubevirt',
      'virt-api-standin',
    );
    if (pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) break;
    await clock.advance(1000);
    await settle();
  }

  const informers = new SharedInformerFactory(client, { clock });
  const random = new SeededRandom(42);
  const ctx: ComponentContext = {
    client,
    informers,
    clock,
    random,
    profile: builtinProfile('instant')!,
    logger: silentLogger,
    serveSubresource: () => undefined,
  };
  const backends = new WebhookBackends();
  registerKubeVirtWebhooks(backends, ctx);
  const chain = new AdmissionChain();
  const types = [...builtinResourceTypes(), ...Object.values(TYPES)];
  registerWebhookAdmission(chain, { informers, client, backends, clock, random, resourceTypes: () => types });
  informers.start();
  await informers.waitForSync();
  await settle();

  return {
    emulator,
    async admit(type, object, options = {}) {
      const operation = options.operation ?? 'CREATE';
      const attributes: AdmissionAttributes = {
        operation,
        type,
        namespace: object.metadata.namespace ?? 'default',
        name: object.metadata.name,
        object: { ...object, metadata: { namespace: 'default', ...object.metadata } },
        oldObject: options.oldObject,
        dryRun: false,
        user: options.user ?? adminUser,
        warnings: options.warnings ?? [],
      };
      const mutated = (await chain.mutate(attributes)) ?? attributes.object!;
      await chain.validate({ ...attributes, object: mutated });
      return mutated;
    },
    async stop() {
      informers.stop();
      await emulator.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
