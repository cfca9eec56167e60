/**
 * VirtualMachineInstancePresets (deprecated, still served by v1.9), applied by
 * virt-api's VMI mutator on create (pkg/virt-api/webhooks/mutating-webhook/
 * mutators/preset.go): every preset of the VMI's namespace whose selector
 * matches the VMI's labels fills the domain settings the VMI leaves unset
 * (resource requests, cpu, firmware, clock, features, watchdog,
 * ioThreadsPolicy) and marks the VMI with a `virtualmachinepreset.kubevirt.io/
 * <name>: kubevirt.io/v1` annotation. Presets that disagree with each other
 * refuse the VMI; a preset that disagrees with the VMI itself is skipped for
 * that setting (virt-api only logs it).
 */
import { matchLabelSelector, type LabelSelectorObject } from '../../../api/selectors/label-selector.js';
import type { KubeObject } from '../../../api/types.js';
import { parseQuantity } from '../../../kube/quantity.js';
import type { Domain } from './spec-types.js';

export interface Preset extends KubeObject {
  spec?: { selector?: LabelSelectorObject; domain?: Domain };
}

/** The VMI annotation that keeps presets away. */
const EXCLUSION_ANNOTATION = 'virtualmachineinstancepresets.admission.kubevirt.io/exclude';
const ANNOTATION_PREFIX = 'virtualmachinepreset.kubevirt.io/';
export const PRESET_DEPRECATION_WARNING = 'kubevirt.io/v1 VirtualMachineInstancePresets is now deprecated and will be removed in v2.';

type Requests = Record<string, string>;
/** The domain settings a preset may set, with how each is found in a DomainSpec (Watchdog lives under devices). */
const SETTINGS: Array<[label: string, read: (domain: Domain) => unknown, write: (domain: Domain, value: unknown) => void]> = [
  ['spec.cpu', (d) => d.cpu, (d, v) => (d.cpu = v as Domain['cpu'])],
  ['spec.firmware', (d) => d.firmware, (d, v) => (d.firmware = v as Domain['firmware'])],
  ['spec.features', (d) => d.features, (d, v) => (d.features = v as Domain['features'])],
  [
    'spec.devices.watchdog',
    (d) => d.devices?.watchdog,
    (d, v) => (d.devices = { ...d.devices, watchdog: v as NonNullable<Domain['devices']>['watchdog'] }),
  ],
  ['spec.ioThreadsPolicy', (d) => d.ioThreadsPolicy, (d, v) => (d.ioThreadsPolicy = v)],
];

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
/** Semantic equality of quantities: 1Gi and 1024Mi are the same request. */
const sameQuantity = (a: string, b: string): boolean => {
  try {
    return parseQuantity(a) === parseQuantity(b);
  } catch {
    return a === b;
  }
};
const sameRequests = (a: Requests, b: Requests): boolean =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] !== undefined && sameQuantity(v, b[k]));
const requestsOf = (domain: Domain | undefined): Requests => (domain?.resources?.requests ?? {}) as Requests;
const clockOf = (domain: Domain | undefined): Record<string, unknown> | undefined => domain?.clock as Record<string, unknown> | undefined;
const clockOffset = (clock: Record<string, unknown>): Record<string, unknown> => {
  const { timer: _timer, ...offset } = clock;
  return offset;
};

/** checkMergeConflicts: the settings both specs set differently, in virt-api's wording. */
function conflicts(preset: Domain | undefined, other: Domain | undefined): string[] {
  const found: string[] = [];
  const otherRequests = requestsOf(other);
  for (const [key, value] of Object.entries(requestsOf(preset)))
    if (otherRequests[key] !== undefined && !sameQuantity(value, otherRequests[key]))
      found.push(`spec.resources.requests[${key}]: ${value} != ${otherRequests[key]}`);
  for (const [label, read] of SETTINGS) {
    const [a, b] = [preset && read(preset), other && read(other)];
    if (a !== undefined && b !== undefined && !same(a, b)) found.push(`${label}: ${JSON.stringify(a)} != ${JSON.stringify(b)}`);
  }
  const [presetClock, otherClock] = [clockOf(preset), clockOf(other)];
  if (presetClock && otherClock) {
    if (!same(clockOffset(presetClock), clockOffset(otherClock)))
      found.push(`spec.clock.clockoffset: ${JSON.stringify(clockOffset(presetClock))} != ${JSON.stringify(clockOffset(otherClock))}`);
    if (presetClock.timer && otherClock.timer && !same(presetClock.timer, otherClock.timer))
      found.push(`spec.clock.timer: ${JSON.stringify(presetClock.timer)} != ${JSON.stringify(otherClock.timer)}`);
  }
  return found;
}

/** Go's utilerrors.NewAggregate message: one error as is, several in brackets. */
const aggregate = (messages: string[]): string => (messages.length === 1 ? messages[0] : `[${messages.join(', ')}]`);

/** mergeDomainSpec: fills what the VMI leaves unset; true when the VMI ends up with at least one of the preset's settings. */
function merge(preset: Domain, vmi: Domain): boolean {
  let applied = false;
  const presetRequests = requestsOf(preset);
  if (Object.keys(presetRequests).length > 0) {
    if (!vmi.resources?.requests) vmi.resources = { ...vmi.resources, requests: { ...presetRequests } };
    applied ||= sameRequests(requestsOf(vmi), presetRequests);
  }
  for (const [, read, write] of SETTINGS) {
    const value = read(preset);
    if (value === undefined) continue;
    if (read(vmi) === undefined) write(vmi, structuredClone(value));
    applied ||= same(read(vmi), value);
  }
  const presetClock = clockOf(preset);
  if (presetClock) {
    if (!clockOf(vmi)) vmi.clock = structuredClone(clockOffset(presetClock));
    const vmiClock = clockOf(vmi)!;
    applied ||= same(vmiClock, presetClock);
    if (presetClock.timer) {
      if (!vmiClock.timer) vmiClock.timer = structuredClone(presetClock.timer);
      applied ||= same(vmiClock.timer, presetClock.timer);
    }
  }
  return applied;
}

/**
 * applyPresets on a VMI being created (mutated in place): the error message refusing it when matching presets
 * conflict with each other, undefined otherwise.
 */
export function applyPresets(vmi: KubeObject & { spec: { domain?: Domain } }, namespacePresets: readonly Preset[]): string | undefined {
  if (vmi.metadata.annotations?.[EXCLUSION_ANNOTATION] === 'true') return undefined;
  const matching = [...namespacePresets]
    .filter((p) => matchLabelSelector(p.spec?.selector ?? {}, vmi.metadata.labels))
    .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  if (matching.length === 0) return undefined;
  const clashes: string[] = [];
  matching.forEach((preset, i) => {
    for (const visited of matching.slice(0, i)) {
      const found = conflicts(preset.spec?.domain, visited.spec?.domain);
      if (found.length) clashes.push(`presets '${preset.metadata.name}' and '${visited.metadata.name}' conflict: ${aggregate(found)}`);
    }
  });
  if (clashes.length) return `VirtualMachinePresets cannot be applied due to conflicts: ${aggregate(clashes)}`;
  const domain = (vmi.spec.domain ??= {});
  for (const preset of matching) {
    if (!preset.spec?.domain || !merge(preset.spec.domain, domain)) continue;
    vmi.metadata.annotations = { ...vmi.metadata.annotations, [`${ANNOTATION_PREFIX}${preset.metadata.name}`]: 'kubevirt.io/v1' };
  }
  return undefined;
}

/** virt-api warns about presets on every VMI one was applied to. */
export const hasPresetAnnotation = (vmi: KubeObject): boolean =>
  Object.keys(vmi.metadata.annotations ?? {}).some((key) => key.includes('virtualmachinepreset'));
