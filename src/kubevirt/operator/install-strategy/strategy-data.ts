/**
 * The install strategy as data: the operands of KubeVirt v1.9.0-rc.2 as the
 * real virt-operator creates them (schemas/kubevirt/install-strategy), the
 * CRDs and the common instancetypes/preferences. Read once per process; the
 * objects are templates rendered for a target version and registry by
 * `templating.ts`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../../api/types.js';
import { diskMemo } from '../../../runtime/disk-memo.js';

const schemasDir = new URL('../../../../schemas/kubevirt/', import.meta.url);

/** The values the template objects were written for; rendering replaces them. */
export const TEMPLATE_VALUES = {
  version: 'v1.9.0-rc.2',
  registry: 'quay.io/kubevirt',
  deploymentId: 'e8e6f3518d7e95f2ce4f6e273ca9a1ce5663ff15',
  namespace: 'kubevirt',
} as const;

/** Where an operands.yaml document comes from, read from its leading comment. */
export type OperandOrigin = 'operator' | 'operator-manifest' | 'transient';

export interface OperandTemplate {
  object: KubeObject;
  origin: OperandOrigin;
}

export interface StrategyData {
  /** Every operator-created object of operands.yaml, in the file's (creation) order. */
  operands: KubeObject[];
  /** The objects that kubevirt-operator.yaml brings (never created by the operator). */
  manifestObjects: KubeObject[];
  /** The CRDs of the strategy, in the order the operator creates them (not kubevirts.kubevirt.io). */
  crds: KubeObject[];
  instancetypes: KubeObject[];
  preferences: KubeObject[];
}

type Documents = Array<{ object: KubeObject; comment: string }>;

/**
 * The documents of a YAML stream with the comment before each, as JSON: the
 * parse costs a second or more per process for these files, so its answer is
 * kept on disk (diskMemo), and a JSON parse gives the templates strings of
 * their own (the YAML parser's are slices that would keep ~8 MiB of file text
 * alive for the life of the process).
 */
const documentsJson = diskMemo('strategy-documents', (text) =>
  JSON.stringify(
    parseAllDocuments(text)
      // A comment right after `---` belongs to the document or, depending on blank lines, to its first node.
      .map((doc) => ({
        object: doc.toJS() as KubeObject | null,
        comment: `${doc.commentBefore ?? ''}\n${(doc.contents as { commentBefore?: string } | null)?.commentBefore ?? ''}`,
      }))
      .filter((entry) => entry.object !== null && typeof entry.object === 'object'),
  ),
);

const parseDocuments = (text: string): Documents => JSON.parse(documentsJson(text)) as Documents;

/** The file's comments mark what the operator does not create itself: manifest objects and transient helpers. */
function originOf(comment: string): OperandOrigin {
  if (/NOT created by virt-operator/.test(comment)) return 'operator-manifest';
  if (/^\s*Transient|Created by the install-strategy Job/m.test(comment)) return 'transient';
  return 'operator';
}

const readSchema = (path: string): string => readFileSync(new URL(path, schemasDir), 'utf8');

/**
 * CRD creation order of the strategy (`components.NewVirtualMachineInstanceCrd` first, ...);
 * files not named here follow in alphabetical order.
 */
const CRD_ORDER = [
  'virtualmachineinstances.kubevirt.io',
  'virtualmachineinstancepresets.kubevirt.io',
  'virtualmachineinstancereplicasets.kubevirt.io',
  'virtualmachines.kubevirt.io',
  'virtualmachineinstancemigrations.kubevirt.io',
  'virtualmachinesnapshots.snapshot.kubevirt.io',
  'virtualmachinesnapshotcontents.snapshot.kubevirt.io',
  'virtualmachinerestores.snapshot.kubevirt.io',
  'virtualmachineinstancetypes.instancetype.kubevirt.io',
  'virtualmachineclusterinstancetypes.instancetype.kubevirt.io',
  'virtualmachinepools.pool.kubevirt.io',
  'migrationpolicies.migrations.kubevirt.io',
  'virtualmachinepreferences.instancetype.kubevirt.io',
  'virtualmachineclusterpreferences.instancetype.kubevirt.io',
  'virtualmachineexports.export.kubevirt.io',
  'virtualmachineclones.clone.kubevirt.io',
  'virtualmachinebackups.backup.kubevirt.io',
  'virtualmachinebackuptrackers.backup.kubevirt.io',
  'plugins.plugin.kubevirt.io',
];

const crdRank = (name: string): number => {
  const rank = CRD_ORDER.indexOf(name);
  return rank < 0 ? CRD_ORDER.length : rank;
};

function loadCrds(): KubeObject[] {
  const files = readdirSync(new URL('crds/', schemasDir)).filter((file) => file.endsWith('.yaml') && file !== 'kubevirts.kubevirt.io.yaml');
  const crds = files.flatMap((file) => parseDocuments(readSchema(`crds/${file}`)).map((entry) => entry.object));
  return crds.sort(
    (a, b) =>
      crdRank(a.metadata.name ?? '') - crdRank(b.metadata.name ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
  );
}

let loaded: StrategyData | undefined;

export function strategyData(): StrategyData {
  if (loaded) return loaded;
  const documents = parseDocuments(readSchema('install-strategy/operands.yaml'));
  const withOrigin = documents.map((entry): OperandTemplate => ({ object: entry.object, origin: originOf(entry.comment) }));
  loaded = {
    operands: withOrigin.filter((entry) => entry.origin === 'operator').map((entry) => entry.object),
    manifestObjects: withOrigin.filter((entry) => entry.origin === 'operator-manifest').map((entry) => entry.object),
    crds: loadCrds(),
    instancetypes: parseDocuments(readSchema('instancetypes/common-clusterinstancetypes-bundle.yaml')).map((entry) => entry.object),
    preferences: parseDocuments(readSchema('instancetypes/common-clusterpreferences-bundle.yaml')).map((entry) => entry.object),
  };
  return loaded;
}
