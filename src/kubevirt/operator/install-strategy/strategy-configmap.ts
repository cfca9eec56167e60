/**
 * The install strategy ConfigMap `kubevirt-install-strategy-<random>`. The
 * real operator has a Job dump it; the emulated one writes it directly (the
 * operator only ever reads the ConfigMap). `data.manifests` is the base64 of
 * the gzipped multi-document YAML of the strategy.
 */
import { gzipSync } from 'node:zlib';
import { stringify } from 'yaml';
import type { KubeObject } from '../../../api/types.js';
import type { Client } from '../../../client/client.js';
import type { DesiredState } from './operand-selection.js';
import { diskMemo } from '../../../runtime/disk-memo.js';
import { memoizeByText } from '../memo.js';
import { CONFIGMAP_REF, INSTALL_STRATEGY_LABEL } from '../refs.js';
import { ID_ANNOTATION, MANAGED_BY_LABEL, REGISTRY_ANNOTATION, VERSION_ANNOTATION } from './templating.js';

export const ENCODING_ANNOTATION = 'kubevirt.io/install-strategy-cm-encoding';

export interface StrategyTarget {
  namespace: string;
  version: string;
  registry: string;
  deploymentId: string;
}

/** Document order of a dumped strategy (dumpInstallStrategyToBytes). */
const DUMP_ORDER = [
  'ServiceAccount',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
  'CustomResourceDefinition',
  'Service',
  'Secret',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'ValidatingAdmissionPolicyBinding',
  'ValidatingAdmissionPolicy',
  'APIService',
  'Deployment',
  'DaemonSet',
  'ConfigMap',
  'VirtualMachineClusterInstancetype',
  'VirtualMachineClusterPreference',
];

/** Strategies whose dump is remembered: an upgrade's two, with room to spare. */
const REMEMBERED_STRATEGIES = 4;

/**
 * The dump by the JSON of the ordered objects: every install of the same
 * release and configuration (each cluster a process runs, and every process
 * through diskMemo) dumps the same strategy, and JSON is far cheaper to write
 * than YAML.
 */
const dumpOf = memoizeByText(
  diskMemo('strategy-dump', (orderedJson) => {
    const ordered = JSON.parse(orderedJson) as KubeObject[];
    const yamlStream = ordered.map((obj) => `---\n${stringify(obj)}`).join('');
    return gzipSync(Buffer.from(yamlStream)).toString('base64');
  }),
  REMEMBERED_STRATEGIES,
);

/** Dumps by desired state: desiredState hands out the same object for the same inputs, and its JSON is megabytes. */
const encoded = new WeakMap<DesiredState, string>();

function encodeStrategy(desired: DesiredState): string {
  let dump = encoded.get(desired);
  if (dump === undefined) {
    const objects = [...desired.crds, ...desired.operands, ...desired.instancetypes];
    dump = dumpOf(JSON.stringify(DUMP_ORDER.flatMap((kind) => objects.filter((obj) => obj.kind === kind))));
    encoded.set(desired, dump);
  }
  return dump;
}

/** The strategy ConfigMaps of the namespace, newest first. */
export async function listStrategyConfigMaps(client: Client, namespace: string): Promise<KubeObject[]> {
  const list = await client.list(CONFIGMAP_REF, { namespace, labelSelector: INSTALL_STRATEGY_LABEL });
  return [...list.items].sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''));
}

/** Loads the strategy for the target's deployment ID, writing it first if there is none; deletes ConfigMaps of other versions. */
export async function ensureStrategyConfigMap(client: Client, target: StrategyTarget, desired: DesiredState): Promise<KubeObject> {
  const existing = await listStrategyConfigMaps(client, target.namespace);
  for (const stale of existing.filter((cm) => cm.metadata.annotations?.[VERSION_ANNOTATION] !== target.version)) {
    await client.delete(CONFIGMAP_REF, target.namespace, stale.metadata.name ?? '').catch((err: unknown) => {
      if ((err as { code?: unknown }).code !== 404) throw err;
    });
  }
  const found = existing.find((cm) => cm.metadata.annotations?.[ID_ANNOTATION] === target.deploymentId);
  if (found) return found;
  return client.create({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      generateName: 'kubevirt-install-strategy-',
      namespace: target.namespace,
      labels: { [MANAGED_BY_LABEL]: 'virt-operator', [INSTALL_STRATEGY_LABEL]: '' },
      annotations: {
        [VERSION_ANNOTATION]: target.version,
        [REGISTRY_ANNOTATION]: target.registry,
        [ID_ANNOTATION]: target.deploymentId,
        [ENCODING_ANNOTATION]: 'gzip+base64',
      },
    },
    data: { manifests: encodeStrategy(desired) },
  });
}
