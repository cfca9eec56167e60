/** Printers of core/v1 kinds other than Pod. */
import type { KubeObject } from '../types.js';
import { formatLabels } from '../selectors/label-selector.js';
import { ageColumn, column, doc, list, nameColumn, nameOf, num, obj, spec, status, str, strMap, wideColumn, type Json } from './columns.js';
import { ageOf } from './duration.js';
import type { Printer } from './printer.js';

const age = (o: KubeObject, now: Date) => ageOf(o.metadata.creationTimestamp, now);
const count = (v: unknown) => Object.keys(obj(v)).length;

export const namespacePrinter: Printer = {
  columns: () => [nameColumn(), column('Status', 'string', 'The status of the namespace'), ageColumn()],
  renderRow: (o, now) => [nameOf(o), str(status(o).phase), age(o, now)],
};

const nodeRolePrefix = 'node-role.kubernetes.io/';

/** Roles from `node-role.kubernetes.io/<role>` keys and the `kubernetes.io/role` value, sorted and unique. */
function nodeRoles(o: KubeObject): string {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(o.metadata.labels ?? {})) {
    if (key.startsWith(nodeRolePrefix) && key.length > nodeRolePrefix.length) roles.add(key.slice(nodeRolePrefix.length));
    else if (key === 'kubernetes.io/role' && value) roles.add(value);
  }
  return [...roles].sort().join(',') || '<none>';
}

function nodeStatus(o: KubeObject): string {
  const ready = list(status(o).conditions).find((c) => c.type === 'Ready');
  const parts = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (spec(o).unschedulable === true) parts.push('SchedulingDisabled');
  return parts.join(',');
}

const nodeAddress = (o: KubeObject, type: string) => str(list(status(o).addresses).find((a) => a.type === type)?.address) || '<none>';

export const nodePrinter: Printer = {
  columns: () => [
    nameColumn(),
    column('Status', 'string', 'The status of the node'),
    column('Roles', 'string', 'The roles of the node'),
    ageColumn(),
    column('Version', 'string', doc('core.v1.NodeSystemInfo', 'kubeletVersion')),
    wideColumn('Internal-IP', doc('core.v1.NodeStatus', 'addresses')),
    wideColumn('External-IP', doc('core.v1.NodeStatus', 'addresses')),
    wideColumn('OS-Image', doc('core.v1.NodeSystemInfo', 'osImage')),
    wideColumn('Kernel-Version', doc('core.v1.NodeSystemInfo', 'kernelVersion')),
    wideColumn('Container-Runtime', doc('core.v1.NodeSystemInfo', 'containerRuntimeVersion')),
  ],
  renderRow: (o, now) => {
    const info = obj(status(o).nodeInfo);
    return [
      nameOf(o),
      nodeStatus(o),
      nodeRoles(o),
      age(o, now),
      str(info.kubeletVersion),
      nodeAddress(o, 'InternalIP'),
      nodeAddress(o, 'ExternalIP'),
      str(info.osImage) || '<unknown>',
      str(info.kernelVersion) || '<unknown>',
      str(info.containerRuntimeVersion) || '<unknown>',
    ];
  },
};

/** getServiceExternalIP, wide form (the apiserver never clips the load balancer list). */
function serviceExternalIP(o: KubeObject): string {
  const s = spec(o);
  const externalIPs = Array.isArray(s.externalIPs) ? s.externalIPs.map(str) : [];
  switch (s.type) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const ingress = list(obj(status(o).loadBalancer).ingress)
        .map((i) => str(i.ip) || str(i.hostname))
        .filter(Boolean);
      const lbIPs = [...new Set(ingress)].sort();
      if (externalIPs.length) return [...lbIPs, ...externalIPs].join(',');
      return lbIPs.length ? lbIPs.join(',') : '<pending>';
    }
    case 'ExternalName':
      return str(s.externalName);
    default:
      return '<unknown>';
  }
}

function servicePorts(o: KubeObject): string {
  const ports = list(spec(o).ports).map((p) => {
    const protocol = str(p.protocol) || 'TCP';
    return num(p.nodePort) > 0 ? `${num(p.port)}:${num(p.nodePort)}/${protocol}` : `${num(p.port)}/${protocol}`;
  });
  return ports.join(',') || '<none>';
}

export const servicePrinter: Printer = {
  columns: () => [
    nameColumn(),
    column('Type', 'string', doc('core.v1.ServiceSpec', 'type')),
    column('Cluster-IP', 'string', doc('core.v1.ServiceSpec', 'clusterIP')),
    column('External-IP', 'string', doc('core.v1.ServiceSpec', 'externalIPs')),
    column('Port(s)', 'string', doc('core.v1.ServiceSpec', 'ports')),
    ageColumn(),
    wideColumn('Selector', doc('core.v1.ServiceSpec', 'selector')),
  ],
  renderRow: (o, now) => {
    const s = spec(o);
    const clusterIPs = Array.isArray(s.clusterIPs) ? s.clusterIPs.map(str) : [];
    return [
      nameOf(o),
      str(s.type),
      clusterIPs[0] || '<none>',
      serviceExternalIP(o),
      servicePorts(o),
      age(o, now),
      formatLabels(strMap(s.selector)),
    ];
  },
};

/** formatEndpoints: ip:port pairs (or bare IPs for port-less subsets), at most three, then "+ N more...". */
function formatEndpoints(o: KubeObject): string {
  const subsets = list(o.subsets);
  if (subsets.length === 0) return '<none>';
  const shown: string[] = [];
  let total = 0;
  for (const subset of subsets) {
    const addresses = list(subset.addresses).map((a) => str(a.ip));
    const ports = list(subset.ports);
    const endpoints =
      ports.length === 0
        ? addresses
        : ports.flatMap((p) => addresses.map((ip) => (ip.includes(':') ? `[${ip}]:${num(p.port)}` : `${ip}:${num(p.port)}`)));
    total += endpoints.length;
    shown.push(...endpoints.slice(0, Math.max(0, 3 - shown.length)));
  }
  return total > 3 ? `${shown.join(',')} + ${total - 3} more...` : shown.join(',');
}

export const endpointsPrinter: Printer = {
  columns: () => [nameColumn(), column('Endpoints', 'string', doc('core.v1.Endpoints', 'subsets')), ageColumn()],
  renderRow: (o, now) => [nameOf(o), formatEndpoints(o), age(o, now)],
};

export const configMapPrinter: Printer = {
  columns: () => [nameColumn(), column('Data', 'string', doc('core.v1.ConfigMap', 'data')), ageColumn()],
  renderRow: (o, now) => [nameOf(o), count(o.data) + count(o.binaryData), age(o, now)],
};

export const secretPrinter: Printer = {
  columns: () => [
    nameColumn(),
    column('Type', 'string', doc('core.v1.Secret', 'type')),
    column('Data', 'string', doc('core.v1.Secret', 'data')),
    ageColumn(),
  ],
  renderRow: (o, now) => [nameOf(o), str(o.type), count(o.data), age(o, now)],
};

export const serviceAccountPrinter: Printer = {
  columns: () => [nameColumn(), column('Secrets', 'string', doc('core.v1.ServiceAccount', 'secrets')), ageColumn()],
  renderRow: (o, now) => [nameOf(o), list(o.secrets).length, age(o, now)],
};

/**
 * The core/v1 view of an Event. events.k8s.io/v1 objects share the registry
 * (and the printer) but name the same fields differently.
 */
function coreEventFields(o: KubeObject): Json {
  const pick = (core: string, events: string) => o[core] ?? o[events];
  return {
    involvedObject: pick('involvedObject', 'regarding'),
    message: pick('message', 'note'),
    source: pick('source', 'deprecatedSource'),
    firstTimestamp: pick('firstTimestamp', 'deprecatedFirstTimestamp'),
    lastTimestamp: pick('lastTimestamp', 'deprecatedLastTimestamp'),
    count: pick('count', 'deprecatedCount'),
    reportingComponent: pick('reportingComponent', 'reportingController'),
    reportingInstance: o.reportingInstance,
    eventTime: o.eventTime,
    series: o.series,
    type: o.type,
    reason: o.reason,
  };
}

/** formatEventSource: component (or reporting controller), then ", host" (or reporting instance) when known. */
function eventSource(e: Json): string {
  const source = obj(e.source);
  const component = str(source.component) || str(e.reportingComponent);
  const instance = str(source.host) || str(e.reportingInstance);
  return instance ? `${component}, ${instance}` : component;
}

export const eventPrinter: Printer = {
  columns: () => [
    column('Last Seen', 'string', doc('core.v1.Event', 'lastTimestamp')),
    column('Type', 'string', doc('core.v1.Event', 'type')),
    column('Reason', 'string', doc('core.v1.Event', 'reason')),
    column('Object', 'string', doc('core.v1.Event', 'involvedObject')),
    wideColumn('Subobject', doc('core.v1.ObjectReference', 'fieldPath')),
    wideColumn('Source', doc('core.v1.Event', 'source')),
    column('Message', 'string', doc('core.v1.Event', 'message')),
    wideColumn('First Seen', doc('core.v1.Event', 'firstTimestamp')),
    wideColumn('Count', doc('core.v1.Event', 'count')),
    { ...nameColumn(), priority: 1 },
  ],
  renderRow: (o, now) => {
    const e = coreEventFields(o);
    const series = e.series ? obj(e.series) : undefined;
    const firstSeen = ageOf(str(e.firstTimestamp) || str(e.eventTime), now);
    let lastSeen = e.lastTimestamp ? ageOf(str(e.lastTimestamp), now) : firstSeen;
    let eventCount = num(e.count);
    if (series) {
      lastSeen = ageOf(str(series.lastObservedTime), now);
      eventCount = num(series.count);
    } else if (eventCount === 0) eventCount = 1; // singleton events of the new API carry no count
    const involved = obj(e.involvedObject);
    const kind = str(involved.kind).toLowerCase();
    const target = str(involved.name) ? `${kind}/${str(involved.name)}` : kind;
    return [
      lastSeen,
      str(e.type),
      str(e.reason),
      target,
      str(involved.fieldPath),
      eventSource(e),
      str(e.message).trim(),
      firstSeen,
      eventCount,
      nameOf(o),
    ];
  },
};

/** GetAccessModesAsString: short names in a fixed order, duplicates dropped. */
function accessModes(modes: unknown): string {
  const present = new Set(Array.isArray(modes) ? modes : []);
  const short: [string, string][] = [
    ['ReadWriteOnce', 'RWO'],
    ['ReadOnlyMany', 'ROX'],
    ['ReadWriteMany', 'RWX'],
    ['ReadWriteOncePod', 'RWOP'],
  ];
  return short
    .filter(([mode]) => present.has(mode))
    .map(([, abbreviation]) => abbreviation)
    .join(',');
}

/** The beta annotation still wins over spec.storageClassName, as in the storage helpers. */
const storageClassOf = (o: KubeObject) =>
  o.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? str(spec(o).storageClassName);
const quantity = (v: unknown) => (typeof v === 'number' ? String(v) : str(v) || '0');
const phaseOrTerminating = (o: KubeObject) => (o.metadata.deletionTimestamp ? 'Terminating' : str(status(o).phase));

export const persistentVolumePrinter: Printer = {
  columns: () => [
    nameColumn(),
    column('Capacity', 'string', doc('core.v1.PersistentVolumeSpec', 'capacity')),
    column('Access Modes', 'string', doc('core.v1.PersistentVolumeSpec', 'accessModes')),
    column('Reclaim Policy', 'string', doc('core.v1.PersistentVolumeSpec', 'persistentVolumeReclaimPolicy')),
    column('Status', 'string', doc('core.v1.PersistentVolumeStatus', 'phase')),
    column('Claim', 'string', doc('core.v1.PersistentVolumeSpec', 'claimRef')),
    column('StorageClass', 'string', 'StorageClass of the pv'),
    column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv'),
    column('Reason', 'string', doc('core.v1.PersistentVolumeStatus', 'reason')),
    ageColumn(),
    wideColumn('VolumeMode', doc('core.v1.PersistentVolumeSpec', 'volumeMode')),
  ],
  renderRow: (o, now) => {
    const s = spec(o);
    const claimRef = s.claimRef ? `${str(obj(s.claimRef).namespace)}/${str(obj(s.claimRef).name)}` : '';
    return [
      nameOf(o),
      quantity(obj(s.capacity).storage),
      accessModes(s.accessModes),
      str(s.persistentVolumeReclaimPolicy),
      phaseOrTerminating(o),
      claimRef,
      storageClassOf(o),
      str(s.volumeAttributesClassName) || '<unset>',
      str(status(o).reason),
      age(o, now),
      str(s.volumeMode) || '<unset>',
    ];
  },
};

export const persistentVolumeClaimPrinter: Printer = {
  columns: () => [
    nameColumn(),
    column('Status', 'string', doc('core.v1.PersistentVolumeClaimStatus', 'phase')),
    column('Volume', 'string', doc('core.v1.PersistentVolumeClaimSpec', 'volumeName')),
    column('Capacity', 'string', doc('core.v1.PersistentVolumeClaimStatus', 'capacity')),
    column('Access Modes', 'string', doc('core.v1.PersistentVolumeClaimStatus', 'accessModes')),
    column('StorageClass', 'string', 'StorageClass of the pvc'),
    column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc'),
    ageColumn(),
    wideColumn('VolumeMode', doc('core.v1.PersistentVolumeClaimSpec', 'volumeMode')),
  ],
  renderRow: (o, now) => {
    const s = spec(o);
    const bound = str(s.volumeName) !== '';
    return [
      nameOf(o),
      phaseOrTerminating(o),
      str(s.volumeName),
      bound ? quantity(obj(status(o).capacity).storage) : '',
      bound ? accessModes(status(o).accessModes) : '',
      storageClassOf(o),
      str(s.volumeAttributesClassName) || '<unset>',
      age(o, now),
      str(s.volumeMode) || '<unset>',
    ];
  },
};

/** "resource: used/hard" pairs sorted by resource name; `limits.*` go to the Limit column. */
function quotaCells(o: KubeObject): [string, string] {
  const st = status(o);
  const hard = obj(st.hard);
  const used = obj(st.used);
  const requests: string[] = [];
  const limits: string[] = [];
  for (const resource of Object.keys(hard).sort()) {
    const target = resource.split('.').length > 1 && resource.startsWith('limits.') ? limits : requests;
    target.push(`${resource}: ${quantity(used[resource])}/${quantity(hard[resource])}`);
  }
  return [requests.join(', '), limits.join(', ')];
}

export const resourceQuotaPrinter: Printer = {
  columns: () => [
    nameColumn(),
    column('Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
    column(
      'Limit',
      'string',
      'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.',
    ),
    ageColumn(),
  ],
  renderRow: (o, now) => [nameOf(o), ...quotaCells(o), age(o, now)],
};
