/**
 * Field selectors (`fieldSelector` query parameter): parsed like
 * k8s.io/apimachinery/pkg/fields, checked against the fields each kind's
 * registry supports, and matched against the field set the real apiserver
 * derives from the object.
 */
import { badRequest } from '../errors.js';
import type { KubeObject } from '../types.js';

export interface FieldRequirement {
  field: string;
  operator: '=' | '==' | '!=';
  value: string;
}

export type FieldSet = Record<string, string>;
export type ObjectMatcher = (obj: KubeObject) => boolean;

/** Splits on commas that are not escaped with a backslash. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    if (selector[i] === '\\') i++;
    else if (selector[i] === ',') {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms;
}

const termOperators = ['!=', '==', '='] as const;

function splitTerm(term: string): FieldRequirement | undefined {
  for (let i = 0; i < term.length; i++) {
    const op = termOperators.find((o) => term.startsWith(o, i));
    if (op) return { field: term.slice(0, i), operator: op, value: term.slice(i + op.length) };
  }
  return undefined;
}

/** fields.UnescapeValue: `\\`, `\,` and `\=` are the only escapes, and `,`/`=` must be escaped. */
function unescapeValue(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '\\') {
      const next = value[++i];
      if (next !== '\\' && next !== ',' && next !== '=') throw badRequest('invalid field selector: invalid escape sequence');
      out += next;
    } else if (ch === ',' || ch === '=') {
      throw badRequest(`invalid field selector: unescaped character in value: ${ch}`);
    } else out += ch;
  }
  return out;
}

/** Parses `a=b,c!=d,e==f`; a term without an operator is a 400 as in fields.ParseSelector. */
export function parseFieldSelector(selector: string): FieldRequirement[] {
  const requirements: FieldRequirement[] = [];
  for (const term of splitTerms(selector).sort()) {
    if (term === '') continue;
    const requirement = splitTerm(term);
    if (!requirement) throw badRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
    requirements.push({ ...requirement, value: unescapeValue(requirement.value) });
  }
  return requirements;
}

/** A missing field reads as "", as fields.Set.Get does. */
export const fieldRequirementMatches = (r: FieldRequirement, fields: FieldSet): boolean =>
  r.operator === '!=' ? (fields[r.field] ?? '') !== r.value : (fields[r.field] ?? '') === r.value;

function compile(requirements: FieldRequirement[], fieldsOf: (obj: KubeObject) => FieldSet): ObjectMatcher {
  if (requirements.length === 0) return () => true;
  return (obj) => {
    const fields = fieldsOf(obj);
    return requirements.every((r) => fieldRequirementMatches(r, fields));
  };
}

/** Compiles a selector against any field extractor; no check of which fields are allowed. */
export function fieldSelectorMatcher(selector: string, fieldsOf: (obj: KubeObject) => FieldSet): ObjectMatcher {
  return compile(parseFieldSelector(selector), fieldsOf);
}

// ---- the fields each built-in kind exposes ----

const get = (obj: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((cur, key) => (cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[key] : undefined), obj);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const int = (v: unknown): string => String(typeof v === 'number' ? v : 0);
const bool = (v: unknown): string => String(v === true);

function podIP(pod: KubeObject): string {
  const ips = get(pod, 'status', 'podIPs');
  if (Array.isArray(ips) && ips.length > 0) return str(get(ips[0], 'ip'));
  return str(get(pod, 'status', 'podIP'));
}

/** Kind-specific fields, mirroring each registry's ToSelectableFields. */
const kindFields: Record<string, (obj: KubeObject) => FieldSet> = {
  Pod: (o) => ({
    'spec.nodeName': str(get(o, 'spec', 'nodeName')),
    'spec.restartPolicy': str(get(o, 'spec', 'restartPolicy')),
    'spec.schedulerName': str(get(o, 'spec', 'schedulerName')),
    'spec.serviceAccountName': str(get(o, 'spec', 'serviceAccountName')),
    'spec.hostNetwork': bool(get(o, 'spec', 'hostNetwork')),
    'status.phase': str(get(o, 'status', 'phase')),
    'status.podIP': podIP(o),
    'status.nominatedNodeName': str(get(o, 'status', 'nominatedNodeName')),
  }),
  Event: (o) => ({
    'involvedObject.kind': str(get(o, 'involvedObject', 'kind')),
    'involvedObject.namespace': str(get(o, 'involvedObject', 'namespace')),
    'involvedObject.name': str(get(o, 'involvedObject', 'name')),
    'involvedObject.uid': str(get(o, 'involvedObject', 'uid')),
    'involvedObject.apiVersion': str(get(o, 'involvedObject', 'apiVersion')),
    'involvedObject.resourceVersion': str(get(o, 'involvedObject', 'resourceVersion')),
    'involvedObject.fieldPath': str(get(o, 'involvedObject', 'fieldPath')),
    reason: str(get(o, 'reason')),
    reportingComponent: str(get(o, 'reportingComponent')),
    // The registry falls back to the reporting controller when source.component is empty.
    source: str(get(o, 'source', 'component')) || str(get(o, 'reportingComponent')),
    type: str(get(o, 'type')),
  }),
  Node: (o) => ({ 'spec.unschedulable': bool(get(o, 'spec', 'unschedulable')) }),
  Namespace: (o) => ({ 'status.phase': str(get(o, 'status', 'phase')) }),
  Secret: (o) => ({ type: str(get(o, 'type')) }),
  Service: (o) => ({ 'spec.clusterIP': str(get(o, 'spec', 'clusterIP')), 'spec.type': str(get(o, 'spec', 'type')) }),
  ReplicaSet: (o) => ({ 'status.replicas': int(get(o, 'status', 'replicas')) }),
  ReplicationController: (o) => ({ 'status.replicas': int(get(o, 'status', 'replicas')) }),
  Job: (o) => ({ 'status.successful': int(get(o, 'status', 'succeeded')) }),
};

/** The field set the apiserver matches a field selector against: metadata.name, metadata.namespace and the kind's own fields. */
export function fieldsForKind(kind: string, obj: KubeObject): FieldSet {
  return {
    'metadata.name': obj.metadata.name ?? '',
    'metadata.namespace': obj.metadata.namespace ?? '',
    ...kindFields[kind]?.(obj),
  };
}

/**
 * The labels each kind's field-label conversion accepts, keyed "group/Kind".
 * Kinds not listed fall back to runtime.DefaultMetaV1FieldSelectorConversion.
 */
const acceptedLabels: Record<string, string[]> = {
  '/Pod': [
    'metadata.name',
    'metadata.namespace',
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.podIPs',
    'status.nominatedNodeName',
  ],
  '/Node': ['metadata.name', 'spec.unschedulable'],
  '/ReplicationController': ['metadata.name', 'metadata.namespace', 'status.replicas'],
  '/Event': [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
    'metadata.namespace',
    'metadata.name',
  ],
  '/Namespace': ['status.phase', 'metadata.name'],
  '/Secret': ['type', 'metadata.namespace', 'metadata.name'],
  '/Service': ['metadata.namespace', 'metadata.name', 'spec.clusterIP', 'spec.type'],
  'apps/ReplicaSet': ['metadata.name', 'metadata.namespace', 'status.replicas'],
  'batch/Job': ['metadata.name', 'metadata.namespace', 'status.successful'],
};

/**
 * events.k8s.io/v1 (pkg/apis/events/v1 AddFieldLabelConversionsForEvent): its labels name the events/v1 fields and
 * are converted to the core Event's selectable fields, which are matched on the stored (core/v1) object.
 */
const convertedLabels: Record<string, Record<string, string>> = {
  'events.k8s.io/Event': {
    reason: 'reason',
    'regarding.kind': 'involvedObject.kind',
    'regarding.namespace': 'involvedObject.namespace',
    'regarding.name': 'involvedObject.name',
    'regarding.uid': 'involvedObject.uid',
    'regarding.apiVersion': 'involvedObject.apiVersion',
    'regarding.resourceVersion': 'involvedObject.resourceVersion',
    'regarding.fieldPath': 'involvedObject.fieldPath',
    reportingController: 'reportingComponent',
    source: 'source',
    type: 'type',
    'metadata.namespace': 'metadata.namespace',
    'metadata.name': 'metadata.name',
  },
};

/** What the selector is checked against: a built-in kind, or a custom resource. */
export interface FieldSelectorTarget {
  group: string;
  kind: string;
  namespaced: boolean;
  custom: boolean;
}

/** The field set label a selector's label stands for; throws the 400 the apiserver answers for one it cannot select on. */
function checkLabel(target: FieldSelectorTarget, label: string): string {
  if (target.custom) {
    // apiextensions' converter: metadata.name always, metadata.namespace only for namespaced resources.
    if (label === 'metadata.name' || (target.namespaced && label === 'metadata.namespace')) return label;
    throw badRequest(`field label not supported: ${label}`);
  }
  const kindKey = `${target.group}/${target.kind}`;
  const converted = convertedLabels[kindKey];
  if (converted) {
    if (!Object.hasOwn(converted, label)) throw badRequest(`field label not supported: ${label}`);
    return converted[label]!;
  }
  const accepted = acceptedLabels[kindKey];
  if (accepted) {
    if (!accepted.includes(label)) throw badRequest(`field label not supported: ${label}`);
    return label;
  }
  if (label !== 'metadata.name' && label !== 'metadata.namespace') {
    throw badRequest(`"${label}" is not a known field selector: only "metadata.name", "metadata.namespace"`);
  }
  return label;
}

/** Parses, checks every field against the target kind, and compiles the matcher the list and watch handlers use. */
export function resourceFieldSelector(selector: string, target: FieldSelectorTarget): ObjectMatcher {
  const requirements = parseFieldSelector(selector).map((r) => ({ ...r, field: checkLabel(target, r.field) }));
  const kind = target.custom ? '' : target.kind;
  return compile(requirements, (obj) => fieldsForKind(kind, obj));
}
