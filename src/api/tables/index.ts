/**
 * Server-side printing (meta.k8s.io/v1 Table) for every built-in kind, as
 * kube-apiserver prints it (pkg/printers/internalversion), plus the default
 * table of kinds without a printer and the tables of custom resources.
 */
import { column, creationTimestampDoc, nameColumn, nameOf } from './columns.js';
import {
  configMapPrinter,
  endpointsPrinter,
  eventPrinter,
  namespacePrinter,
  nodePrinter,
  persistentVolumeClaimPrinter,
  persistentVolumePrinter,
  resourceQuotaPrinter,
  secretPrinter,
  serviceAccountPrinter,
  servicePrinter,
} from './core.js';
import {
  apiServicePrinter,
  clusterRoleBindingPrinter,
  endpointSlicePrinter,
  leasePrinter,
  networkPolicyPrinter,
  priorityClassPrinter,
  roleBindingPrinter,
  storageClassPrinter,
  validatingAdmissionPolicyBindingPrinter,
  validatingAdmissionPolicyPrinter,
  webhookConfigurationPrinter,
} from './cluster.js';
import { podPrinter } from './pod.js';
import type { Printer, TableDefinition } from './printer.js';
import {
  controllerRevisionPrinter,
  daemonSetPrinter,
  deploymentPrinter,
  jobPrinter,
  podDisruptionBudgetPrinter,
  replicaSetPrinter,
  replicationControllerPrinter,
  statefulSetPrinter,
} from './workloads.js';

export { humanDuration } from './duration.js';
export { customResourceTable, type PrinterColumnDefinition } from './custom-resource.js';
export { summarizePod } from './pod.js';
export type { TableDefinition } from './printer.js';

/** Printers by "group/Kind". Kinds absent here (Role, ClusterRole, LimitRange, CRDs, ...) get the default table. */
const printers: Record<string, Printer> = {
  '/Pod': podPrinter,
  '/Namespace': namespacePrinter,
  '/Node': nodePrinter,
  '/Service': servicePrinter,
  '/Endpoints': endpointsPrinter,
  '/ConfigMap': configMapPrinter,
  '/Secret': secretPrinter,
  '/ServiceAccount': serviceAccountPrinter,
  '/Event': eventPrinter,
  // events.k8s.io shares the core Event registry, and so its printer.
  'events.k8s.io/Event': eventPrinter,
  '/PersistentVolume': persistentVolumePrinter,
  '/PersistentVolumeClaim': persistentVolumeClaimPrinter,
  '/ResourceQuota': resourceQuotaPrinter,
  '/ReplicationController': replicationControllerPrinter,
  'apps/Deployment': deploymentPrinter,
  'apps/ReplicaSet': replicaSetPrinter,
  'apps/StatefulSet': statefulSetPrinter,
  'apps/DaemonSet': daemonSetPrinter,
  'apps/ControllerRevision': controllerRevisionPrinter,
  'batch/Job': jobPrinter,
  'policy/PodDisruptionBudget': podDisruptionBudgetPrinter,
  'rbac.authorization.k8s.io/RoleBinding': roleBindingPrinter,
  'rbac.authorization.k8s.io/ClusterRoleBinding': clusterRoleBindingPrinter,
  'scheduling.k8s.io/PriorityClass': priorityClassPrinter,
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': webhookConfigurationPrinter,
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': webhookConfigurationPrinter,
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy': validatingAdmissionPolicyPrinter,
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding': validatingAdmissionPolicyBindingPrinter,
  'apiregistration.k8s.io/APIService': apiServicePrinter,
  'coordination.k8s.io/Lease': leasePrinter,
  'networking.k8s.io/NetworkPolicy': networkPolicyPrinter,
  'storage.k8s.io/StorageClass': storageClassPrinter,
  'discovery.k8s.io/EndpointSlice': endpointSlicePrinter,
};

const built = new Map<string, TableDefinition>();

const definitionOf = (printer: Printer): TableDefinition => ({ columns: printer.columns(), renderRow: printer.renderRow });

/** The columns and row renderer of a built-in kind's printer, or undefined when it has none. */
export function builtinTable(group: string, kind: string): TableDefinition | undefined {
  const key = `${group}/${kind}`;
  const printer = printers[key];
  if (!printer) return undefined;
  let table = built.get(key);
  if (!table) {
    table = definitionOf(printer);
    built.set(key, table);
  }
  return table;
}

/** Go's time.Format(time.RFC3339) of the creation time in UTC; the zero time when unset. */
function createdAt(timestamp: string | undefined): string {
  const time = timestamp ? Date.parse(timestamp) : NaN;
  return Number.isNaN(time) ? '0001-01-01T00:00:00Z' : new Date(time).toISOString().replace(/\.\d+Z$/, 'Z');
}

/**
 * rest.NewDefaultTableConvertor: Name and "Created At" (a date column whose
 * cell is the RFC 3339 creation time, which kubectl shows as is). Used for
 * built-in kinds without a printer; CRDs use customResourceTable instead.
 */
const defaultPrinter: Printer = {
  columns: () => [nameColumn(), column('Created At', 'date', creationTimestampDoc())],
  renderRow: (o) => [nameOf(o), createdAt(o.metadata.creationTimestamp)],
};

let defaultDefinition: TableDefinition | undefined;

export function defaultTable(): TableDefinition {
  defaultDefinition ??= definitionOf(defaultPrinter);
  return defaultDefinition;
}
