/**
 * kube-controller-manager's workload and housekeeping controllers: namespace
 * deletion, garbage collection, Deployments, ReplicaSets, DaemonSets, Jobs,
 * StatefulSets, ServiceAccounts, the root CA ConfigMap, Endpoints and
 * EndpointSlices. They act only through the client.
 */
import { builtinResourceTypes } from '../../api/builtin-types.js';
import { apiVersionOf } from '../../api/types.js';
import type { Component } from '../../runtime/component.js';
import { asController, type ClusterContext } from '../context.js';
import { DEFAULT_GC_KINDS, GarbageCollector } from './garbage-collector.js';
import { deploymentController } from './deployment-controller.js';
import { namespaceController, type NamespacedKind } from './namespace-controller.js';
import { daemonSetController } from './daemonset-controller.js';
import { endpointsController } from './endpoints-controller.js';
import { jobController } from './job-controller.js';
import { replicaSetController } from './replicaset-controller.js';
import { rootCaPublisher } from './root-ca-publisher.js';
import { serviceAccountsController } from './serviceaccounts-controller.js';
import { statefulSetController } from './statefulset-controller.js';

export type { NamespacedKind } from './namespace-controller.js';

export interface WorkloadOptions {
  /**
   * Every namespaced kind currently served (built-in and CRD) that can be
   * listed and deleted; the namespace controller empties each of them.
   * Without it, the built-in kinds only.
   */
  namespacedKinds?: () => NamespacedKind[];
  /** The cluster CA published as `ca.crt` in every namespace's kube-root-ca.crt; a placeholder PEM without it (plain-HTTP emulators have no CA). */
  rootCaPem?: string;
}

export function workloadComponents(ctx: ClusterContext, options: WorkloadOptions = {}): Component[] {
  return [
    namespaceController(asController(ctx, 'namespace-controller'), { namespacedKinds: options.namespacedKinds ?? builtinNamespacedKinds }),
    new GarbageCollector(asController(ctx, 'generic-garbage-collector'), DEFAULT_GC_KINDS).controller,
    deploymentController(asController(ctx, 'deployment-controller')),
    replicaSetController(asController(ctx, 'replicaset-controller')),
    daemonSetController(asController(ctx, 'daemon-set-controller')),
    statefulSetController(asController(ctx, 'statefulset-controller')),
    jobController(asController(ctx, 'job-controller')),
    serviceAccountsController(asController(ctx, 'service-account-controller')),
    rootCaPublisher(asController(ctx, 'root-ca-cert-publisher'), options.rootCaPem),
    endpointsController(asController(ctx, 'endpoint-controller'), asController(ctx, 'endpointslice-controller')),
  ];
}

let builtinKinds: NamespacedKind[] | undefined;

/** The built-in namespaced kinds that can be listed and deleted (the table is built once). */
function builtinNamespacedKinds(): NamespacedKind[] {
  builtinKinds ??= builtinResourceTypes()
    .filter((type) => type.namespaced && type.verbs.includes('list') && type.verbs.includes('delete'))
    .map((type) => ({ apiVersion: apiVersionOf(type.group, type.version), kind: type.kind, plural: type.plural }));
  return builtinKinds;
}
