/** Printers of the apps, batch and policy workloads. */
import type { KubeObject } from '../types.js';
import { formatLabels, formatLabelSelector, labelSelectorToString, type LabelSelectorObject } from '../selectors/label-selector.js';
import {
  ageColumn,
  column,
  containerCells,
  containersColumn,
  doc,
  imagesColumn,
  intOrString,
  list,
  nameColumn,
  nameOf,
  num,
  spec,
  status,
  strMap,
  templatePodSpec,
  wideColumn,
} from './columns.js';
import { ageOf, humanDuration } from './duration.js';
import type { Printer } from './printer.js';

const selectorOf = (o: KubeObject) => spec(o).selector as LabelSelectorObject | undefined;
const age = (o: KubeObject, now: Date) => ageOf(o.metadata.creationTimestamp, now);
/** spec.replicas is defaulted to 1 by the apiserver; a stored object always has it. */
const desiredReplicas = (o: KubeObject) => (typeof spec(o).replicas === 'number' ? num(spec(o).replicas) : 1);

export const deploymentPrinter: Printer = {
  columns: () => [
    nameColumn(),
    column('Ready', 'string', 'Number of the pod with ready state'),
    column('Up-to-date', 'string', doc('apps.v1.DeploymentStatus', 'updatedReplicas')),
    column('Available', 'string', doc('apps.v1.DeploymentStatus', 'availableReplicas')),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    wideColumn('Selector', doc('apps.v1.DeploymentSpec', 'selector')),
  ],
  renderRow: (o, now) => {
    const st = status(o);
    const [names, images] = containerCells(templatePodSpec(o));
    return [
      nameOf(o),
      `${num(st.readyReplicas)}/${desiredReplicas(o)}`,
      num(st.updatedReplicas),
      num(st.availableReplicas),
      age(o, now),
      names,
      images,
      labelSelectorToString(selectorOf(o)) ?? '<invalid>',
    ];
  },
};

const replicaColumns = (specDef: string, statusDef: string) => [
  nameColumn(),
  column('Desired', 'integer', doc(specDef, 'replicas')),
  column('Current', 'integer', doc(statusDef, 'replicas')),
  column('Ready', 'integer', doc(statusDef, 'readyReplicas')),
  ageColumn(),
  containersColumn(),
  imagesColumn(),
  wideColumn('Selector', doc(specDef, 'selector')),
];

const replicaCells = (o: KubeObject, now: Date) => {
  const st = status(o);
  return [nameOf(o), desiredReplicas(o), num(st.replicas), num(st.readyReplicas), age(o, now), ...containerCells(templatePodSpec(o))];
};

export const replicaSetPrinter: Printer = {
  columns: () => replicaColumns('apps.v1.ReplicaSetSpec', 'apps.v1.ReplicaSetStatus'),
  renderRow: (o, now) => [...replicaCells(o, now), formatLabelSelector(selectorOf(o))],
};

export const replicationControllerPrinter: Printer = {
  columns: () => replicaColumns('core.v1.ReplicationControllerSpec', 'core.v1.ReplicationControllerStatus'),
  renderRow: (o, now) => [...replicaCells(o, now), formatLabels(strMap(spec(o).selector))],
};

export const statefulSetPrinter: Printer = {
  columns: () => [
    nameColumn(),
    column('Ready', 'string', 'Number of the pod with ready state'),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
  ],
  renderRow: (o, now) => [
    nameOf(o),
    `${num(status(o).readyReplicas)}/${desiredReplicas(o)}`,
    age(o, now),
    ...containerCells(templatePodSpec(o)),
  ],
};

export const daemonSetPrinter: Printer = {
  columns: () => [
    nameColumn(),
    column('Desired', 'integer', doc('apps.v1.DaemonSetStatus', 'desiredNumberScheduled')),
    column('Current', 'integer', doc('apps.v1.DaemonSetStatus', 'currentNumberScheduled')),
    column('Ready', 'integer', doc('apps.v1.DaemonSetStatus', 'numberReady')),
    column('Up-to-date', 'integer', doc('apps.v1.DaemonSetStatus', 'updatedNumberScheduled')),
    column('Available', 'integer', doc('apps.v1.DaemonSetStatus', 'numberAvailable')),
    column('Node Selector', 'string', doc('core.v1.PodSpec', 'nodeSelector')),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    wideColumn('Selector', doc('apps.v1.DaemonSetSpec', 'selector')),
  ],
  renderRow: (o, now) => {
    const st = status(o);
    return [
      nameOf(o),
      num(st.desiredNumberScheduled),
      num(st.currentNumberScheduled),
      num(st.numberReady),
      num(st.updatedNumberScheduled),
      num(st.numberAvailable),
      formatLabels(strMap(templatePodSpec(o).nodeSelector)),
      age(o, now),
      ...containerCells(templatePodSpec(o)),
      formatLabelSelector(selectorOf(o)),
    ];
  },
};

/** "apps/v1" + "DaemonSet" -> "daemonset.apps" (GroupKind.String(), lower-cased). */
function controllerName(o: KubeObject): string {
  const owner = o.metadata.ownerReferences?.find((r) => r.controller);
  if (!owner) return '<none>';
  const slash = owner.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : owner.apiVersion.slice(0, slash);
  const groupKind = group ? `${owner.kind}.${group}` : owner.kind;
  return `${groupKind.toLowerCase()}/${owner.name}`;
}

export const controllerRevisionPrinter: Printer = {
  columns: () => [
    nameColumn(),
    column('Controller', 'string', 'Controller of the object'),
    column('Revision', 'string', doc('apps.v1.ControllerRevision', 'revision')),
    ageColumn(),
  ],
  renderRow: (o, now) => [nameOf(o), controllerName(o), num(o.revision), age(o, now)],
};

const jobConditionTrue = (o: KubeObject, type: string) => list(status(o).conditions).find((c) => c.type === type)?.status === 'True';

function jobStatus(o: KubeObject): string {
  if (jobConditionTrue(o, 'Complete')) return 'Complete';
  if (jobConditionTrue(o, 'Failed')) return 'Failed';
  if (o.metadata.deletionTimestamp) return 'Terminating';
  if (jobConditionTrue(o, 'Suspended')) return 'Suspended';
  if (jobConditionTrue(o, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

function jobCompletions(o: KubeObject): string {
  const succeeded = num(status(o).succeeded);
  const s = spec(o);
  if (typeof s.completions === 'number') return `${succeeded}/${s.completions}`;
  const parallelism = num(s.parallelism);
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function jobDuration(o: KubeObject, now: Date): string {
  const st = status(o);
  if (typeof st.startTime !== 'string') return '';
  const end = typeof st.completionTime === 'string' ? Date.parse(st.completionTime) : now.getTime();
  return humanDuration(end - Date.parse(st.startTime));
}

export const jobPrinter: Printer = {
  columns: () => [
    nameColumn(),
    column('Status', 'string', 'Status of the job.'),
    column('Completions', 'string', doc('batch.v1.JobStatus', 'succeeded')),
    column('Duration', 'string', 'Time required to complete the job.'),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    wideColumn('Selector', doc('batch.v1.JobSpec', 'selector')),
  ],
  renderRow: (o, now) => [
    nameOf(o),
    jobStatus(o),
    jobCompletions(o),
    jobDuration(o, now),
    age(o, now),
    ...containerCells(templatePodSpec(o)),
    formatLabelSelector(selectorOf(o)),
  ],
};

export const podDisruptionBudgetPrinter: Printer = {
  columns: () => [
    nameColumn(),
    column('Min Available', 'string', 'The minimum number of pods that must be available.'),
    column('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.'),
    column('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time.'),
    ageColumn(),
  ],
  renderRow: (o, now) => {
    const s = spec(o);
    return [
      nameOf(o),
      s.minAvailable === undefined ? 'N/A' : intOrString(s.minAvailable),
      s.maxUnavailable === undefined ? 'N/A' : intOrString(s.maxUnavailable),
      num(status(o).disruptionsAllowed),
      age(o, now),
    ];
  },
};
