/**
 * The JSON patches a clone hands to its restore (generatePatches in
 * pkg/virt-controller/watch/clone/vm-target.go): every interface gets the
 * requested MAC address or none, the SMBIOS serial and firmware UUID are
 * regenerated (emptied, so the VM mutator makes new ones), labels and
 * annotations not matched by the filters are removed, then the user's own
 * patches follow.
 */
import type { VirtualMachine } from '../types.js';

export interface CloneSpec {
  source?: { apiGroup?: string; kind?: string; name?: string };
  target?: { apiGroup?: string; kind?: string; name?: string };
  labelFilters?: string[];
  annotationFilters?: string[];
  template?: { labelFilters?: string[]; annotationFilters?: string[] };
  newMacAddresses?: Record<string, string>;
  newSMBiosSerial?: string;
  patches?: string[];
  volumeNamePolicy?: 'RandomizeNames' | 'PrefixTargetName';
}

type Operation = { op: 'replace'; path: string; value: string } | { op: 'remove'; path: string };

const escapePointer = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');

/** Keys no filter keeps; a `!` filter excludes and wins over the others, a bare `*` means everything. */
function removals(map: Record<string, string> | undefined, filters: string[] | undefined, basePath: string): Operation[] {
  if (!filters || !map) return [];
  const regular = filters.filter((f) => !f.startsWith('!')).map((f) => (f === '*' ? '.*' : f));
  const negated = filters.filter((f) => f.startsWith('!')).map((f) => f.slice(1));
  // Go's regexp.MatchString finds a match anywhere in the key, as RegExp.test does.
  const matches = (pattern: string, key: string): boolean => {
    try {
      return new RegExp(pattern).test(key);
    } catch {
      return false;
    }
  };
  const kept = (key: string): boolean => regular.some((f) => matches(f, key)) && !negated.some((f) => matches(f, key));
  return Object.keys(map)
    .filter((key) => !kept(key))
    .map((key) => ({ op: 'remove', path: `${basePath}/${escapePointer(key)}` }));
}

export function clonePatches(source: VirtualMachine, spec: CloneSpec): string[] {
  const template = source.spec.template;
  const firmware = template.spec.domain.firmware;
  const annotations = { ...(source.metadata.annotations ?? {}) };
  // Needed by the restore: never filtered out.
  delete annotations['restore.kubevirt.io/lastRestoreUID'];
  const operations: Operation[] = [
    ...(template.spec.domain.devices?.interfaces ?? []).map(
      (iface, index): Operation => ({
        op: 'replace',
        path: `/spec/template/spec/domain/devices/interfaces/${index}/macAddress`,
        value: spec.newMacAddresses?.[iface.name] ?? '',
      }),
    ),
    ...(firmware
      ? [{ op: 'replace', path: '/spec/template/spec/domain/firmware/serial', value: spec.newSMBiosSerial ?? '' } as const]
      : []),
    ...removals(source.metadata.labels, spec.labelFilters, '/metadata/labels'),
    ...removals(annotations, spec.annotationFilters, '/metadata/annotations'),
    ...removals(template.metadata?.labels, spec.template?.labelFilters, '/spec/template/metadata/labels'),
    ...removals(
      template.metadata?.annotations as Record<string, string> | undefined,
      spec.template?.annotationFilters,
      '/spec/template/metadata/annotations',
    ),
    ...(firmware ? [{ op: 'replace', path: '/spec/template/spec/domain/firmware/uuid', value: '' } as const] : []),
  ];
  return [...operations.map((operation) => JSON.stringify(operation)), ...(spec.patches ?? [])];
}
