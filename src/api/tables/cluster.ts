/** Printers of RBAC, admission, scheduling, networking, storage, coordination and aggregation kinds. */
import type { KubeObject } from '../types.js';
import { formatLabelSelector, type LabelSelectorObject } from '../selectors/label-selector.js';
import { ageColumn, column, doc, list, listWithMore, nameColumn, nameOf, num, obj, spec, str, wideColumn } from './columns.js';
import { ageOf } from './duration.js';
import type { Printer } from './printer.js';

const age = (o: KubeObject, now: Date) => ageOf(o.metadata.creationTimestamp, now);

/** rbac.SubjectsStrings: users, groups and namespace/name service accounts, each ", "-joined. */
function subjectCells(o: KubeObject): [string, string, string] {
  const subjects = list(o.subjects);
  const names = (kind: string, render: (s: Record<string, unknown>) => string) =>
    subjects
      .filter((s) => s.kind === kind)
      .map(render)
      .join(', ');
  return [
    names('User', (s) => str(s.name)),
    names('Group', (s) => str(s.name)),
    names('ServiceAccount', (s) => `${str(s.namespace)}/${str(s.name)}`),
  ];
}

const bindingPrinter = (definition: string, noun: string): Printer => ({
  columns: () => [
    nameColumn(),
    column('Role', 'string', doc(definition, 'roleRef')),
    ageColumn(),
    wideColumn('Users', `Users in the ${noun}`),
    wideColumn('Groups', `Groups in the ${noun}`),
    wideColumn('ServiceAccounts', `ServiceAccounts in the ${noun}`),
  ],
  renderRow: (o, now) => {
    const roleRef = obj(o.roleRef);
    return [nameOf(o), `${str(roleRef.kind)}/${str(roleRef.name)}`, age(o, now), ...subjectCells(o)];
  },
});

export const roleBindingPrinter = bindingPrinter('rbac.v1.RoleBinding', 'roleBinding');
export const clusterRoleBindingPrinter = bindingPrinter('rbac.v1.ClusterRoleBinding', 'clusterRoleBinding');

export const priorityClassPrinter: Printer = {
  columns: () => [
    nameColumn(),
    column('Value', 'integer', doc('scheduling.v1.PriorityClass', 'value')),
    column('Global-Default', 'boolean', doc('scheduling.v1.PriorityClass', 'globalDefault')),
    ageColumn(),
    column('PreemptionPolicy', 'string', doc('scheduling.v1.PriorityClass', 'preemptionPolicy')),
  ],
  renderRow: (o, now) => [nameOf(o), num(o.value), o.globalDefault === true, age(o, now), str(o.preemptionPolicy)],
};

export const webhookConfigurationPrinter: Printer = {
  columns: () => [
    nameColumn(),
    column('Webhooks', 'integer', 'Webhooks indicates the number of webhooks registered in this configuration'),
    ageColumn(),
  ],
  renderRow: (o, now) => [nameOf(o), list(o.webhooks).length, age(o, now)],
};

export const validatingAdmissionPolicyPrinter: Printer = {
  columns: () => [
    nameColumn(),
    column('Validations', 'integer', 'Validations indicates the number of validation rules defined in this configuration'),
    column('ParamKind', 'string', 'ParamKind specifies the kind of resources used to parameterize this policy'),
    ageColumn(),
  ],
  renderRow: (o, now) => {
    const paramKind = spec(o).paramKind ? obj(spec(o).paramKind) : undefined;
    return [
      nameOf(o),
      list(spec(o).validations).length,
      paramKind ? `${str(paramKind.apiVersion)}/${str(paramKind.kind)}` : '<unset>',
      age(o, now),
    ];
  },
};

/** namespace/name, `*` standing for a namespace the printer cannot know; else the selector. */
function paramRefCell(o: KubeObject): string {
  const ref = spec(o).paramRef ? obj(spec(o).paramRef) : undefined;
  if (!ref) return '<unset>';
  if (str(ref.name)) return `${str(ref.namespace) || '*'}/${str(ref.name)}`;
  return ref.selector ? formatLabelSelector(ref.selector as LabelSelectorObject) : '<unset>';
}

export const validatingAdmissionPolicyBindingPrinter: Printer = {
  columns: () => [
    nameColumn(),
    column('PolicyName', 'string', 'PolicyName indicates the policy definition which the policy binding binded to'),
    column('ParamRef', 'string', 'ParamRef indicates the param resource which sets the configration param'),
    ageColumn(),
  ],
  renderRow: (o, now) => [nameOf(o), str(spec(o).policyName), paramRefCell(o), age(o, now)],
};

/** "True", "False (Reason)" or "Unknown", from the Available condition. */
function apiServiceAvailability(o: KubeObject): string {
  const available = list(obj(o.status).conditions).find((c) => c.type === 'Available');
  if (!available) return 'Unknown';
  if (available.status !== 'True' && str(available.reason)) return `${str(available.status)} (${str(available.reason)})`;
  return str(available.status);
}

export const apiServicePrinter: Printer = {
  columns: () => [
    nameColumn(),
    column('Service', 'string', 'The reference to the service that hosts this API endpoint.'),
    column('Available', 'string', 'Whether this service is available.'),
    ageColumn(),
  ],
  renderRow: (o, now) => {
    const service = spec(o).service ? obj(spec(o).service) : undefined;
    return [nameOf(o), service ? `${str(service.namespace)}/${str(service.name)}` : 'Local', apiServiceAvailability(o), age(o, now)];
  },
};

export const leasePrinter: Printer = {
  columns: () => [nameColumn(), column('Holder', 'string', doc('coordination.v1.LeaseSpec', 'holderIdentity')), ageColumn()],
  renderRow: (o, now) => [nameOf(o), str(spec(o).holderIdentity), age(o, now)],
};

export const networkPolicyPrinter: Printer = {
  columns: () => [nameColumn(), column('Pod-Selector', 'string', doc('networking.v1.NetworkPolicySpec', 'podSelector')), ageColumn()],
  renderRow: (o, now) => [nameOf(o), formatLabelSelector(obj(spec(o).podSelector) as LabelSelectorObject), age(o, now)],
};

const isDefaultClass = (o: KubeObject) =>
  o.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true' ||
  o.metadata.annotations?.['storageclass.beta.kubernetes.io/is-default-class'] === 'true';

export const storageClassPrinter: Printer = {
  columns: () => [
    nameColumn(),
    column('Provisioner', 'string', doc('storage.v1.StorageClass', 'provisioner')),
    column('ReclaimPolicy', 'string', doc('storage.v1.StorageClass', 'reclaimPolicy')),
    column('VolumeBindingMode', 'string', doc('storage.v1.StorageClass', 'volumeBindingMode')),
    column('AllowVolumeExpansion', 'string', doc('storage.v1.StorageClass', 'allowVolumeExpansion')),
    ageColumn(),
  ],
  renderRow: (o, now) => [
    isDefaultClass(o) ? `${nameOf(o)} (default)` : nameOf(o),
    str(o.provisioner),
    str(o.reclaimPolicy) || 'Delete',
    str(o.volumeBindingMode) || 'Immediate',
    o.allowVolumeExpansion === true,
    age(o, now),
  ],
};

export const endpointSlicePrinter: Printer = {
  columns: () => [
    nameColumn(),
    column('AddressType', 'string', doc('discovery.v1.EndpointSlice', 'addressType')),
    column('Ports', 'string', doc('discovery.v1.EndpointSlice', 'ports')),
    column('Endpoints', 'string', doc('discovery.v1.EndpointSlice', 'endpoints')),
    ageColumn(),
  ],
  renderRow: (o, now) => {
    const ports = list(o.ports).map((p) => (typeof p.port === 'number' ? String(p.port) : str(p.name) || '*'));
    const addresses = list(o.endpoints).flatMap((e) => (Array.isArray(e.addresses) ? e.addresses.map(str) : []));
    return [nameOf(o), str(o.addressType), listWithMore(ports), listWithMore(addresses), age(o, now)];
  },
};
