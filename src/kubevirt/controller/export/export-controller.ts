/**
 * virt-controller's VirtualMachineExport controller
 * (pkg/storage/export/export/export.go): gives the export a token Secret,
 * starts the exporter pod and Service once its source may be served, and
 * writes the phase (Pending, Ready while the pod is ready, Terminated once
 * it completed, Skipped with nothing to export), conditions, links,
 * tokenSecretRef and ttlExpirationTime; at expiry the export is deleted.
 */
import type { KubeObject } from '../../../api/types.js';
import type { ComponentContext } from '../../../runtime/component-context.js';
import { isPodReady, type Pod } from '../../../kube/pods.js';
import { writeStatus } from '../../../kube/status.js';
import { rfc3339 } from '../../../runtime/clock.js';
import type { Component } from '../../../runtime/component.js';
import { Controller, type ReconcileResult } from '../../../runtime/controller.js';
import type { EventRecorder } from '../../../runtime/events.js';
import { objectKey, type Informer } from '../../../runtime/informer.js';
import { withCondition } from '../conditions.js';
import { POD_REF } from '../constants.js';
import { statusCode } from '../errors.js';
import {
  exporterName,
  exporterPod,
  exporterService,
  internalLinks,
  tokenSecret,
  tokenSecretName,
  type ExportLinks,
} from './export-objects.js';
import { exportSource, type ExportSourceDeps, type SourceConditionView } from './export-source.js';
import { parseDurationMs, VMEXPORT_REF, type TypedRef } from '../snapshot/snapshot-common.js';
import type { Condition } from '../types.js';

const DEFAULT_TTL_MS = 2 * 3_600_000;
const CONFIG_MAP_REF = { apiVersion: 'v1', kind: 'ConfigMap' };

interface VmExport extends KubeObject {
  spec: { source: TypedRef; tokenSecretRef?: string; ttlDuration?: string };
  status?: {
    phase?: string;
    conditions?: Condition[];
    links?: ExportLinks;
    tokenSecretRef?: string;
    ttlExpirationTime?: string;
    serviceName?: string;
    virtualMachineName?: string;
  };
}

export interface ExportControllerDeps extends Omit<ExportSourceDeps, 'podsUsing'> {
  ctx: ComponentContext;
  exports: Informer<VmExport>;
  /** The exporter pods (labelled with the export service label). */
  exporterPods: Informer<Pod>;
  launcherImage: () => string;
  recorder: EventRecorder;
}

export class ExportController implements Component {
  readonly name = 'virt-controller/vmexport';
  private readonly controller: Controller;

  constructor(private readonly deps: ExportControllerDeps) {
    const { ctx, exports, vms, vmis, pvcs, snapshots, exporterPods } = deps;
    this.controller = new Controller({ name: this.name, clock: ctx.clock, logger: ctx.logger, reconcile: (key) => this.reconcile(key) });
    this.controller.watch(exports);
    const exportsOf =
      (kinds: string[]) =>
      (obj: KubeObject): string[] =>
        exports
          .listByNamespace(obj.metadata.namespace ?? '')
          .filter((e) => kinds.includes(e.spec.source?.kind ?? '') && e.spec.source.name === obj.metadata.name)
          .map(objectKey);
    this.controller.watch(vms, exportsOf(['VirtualMachine']));
    this.controller.watch(vmis, exportsOf(['VirtualMachine']));
    this.controller.watch(pvcs, exportsOf(['PersistentVolumeClaim']));
    this.controller.watch(snapshots, exportsOf(['VirtualMachineSnapshot']));
    this.controller.watch(exporterPods, (pod) =>
      (pod.metadata.ownerReferences ?? [])
        .filter((r) => r.kind === VMEXPORT_REF.kind)
        .map((r) => `${pod.metadata.namespace ?? ''}/${r.name}`),
    );
  }

  start(): Promise<void> {
    return this.controller.start();
  }

  stop(): Promise<void> {
    return this.controller.stop();
  }

  private async reconcile(key: string): Promise<ReconcileResult> {
    const { ctx, exports, exporterPods } = this.deps;
    const vmExport = exports.get(key);
    if (!vmExport || vmExport.metadata.deletionTimestamp) return;
    const namespace = vmExport.metadata.namespace ?? '';
    const name = vmExport.metadata.name ?? '';
    const expiresMs =
      Date.parse(vmExport.metadata.creationTimestamp ?? '') + (parseDurationMs(vmExport.spec.ttlDuration) ?? DEFAULT_TTL_MS);
    if (ctx.clock.nowMs() >= expiresMs) {
      await this.ignoreMissing(ctx.client.delete(VMEXPORT_REF, namespace, name));
      return;
    }
    const secretName = vmExport.spec.tokenSecretRef ?? tokenSecretName(name);
    if (!vmExport.spec.tokenSecretRef) {
      await this.ensure(vmExport, tokenSecret(vmExport, ctx.random), 'SecretCreated', `Created secret ${secretName}`, false);
    }

    const source = await exportSource(
      { ...this.deps, podsUsing: (ns, claim) => this.podsUsing(ns, claim, exporterName(name)) },
      namespace,
      vmExport.spec.source,
    );
    const exportable = source.available && !source.empty;
    let pod = exporterPods.getByName(namespace, exporterName(name));
    if (exportable) {
      await this.ensure(vmExport, exporterService(vmExport), 'ServiceCreated', `Created service ${exporterName(name)}`);
      if (!pod)
        pod = (await this.ensure(
          vmExport,
          exporterPod(vmExport, source.claims, this.deps.launcherImage(), secretName),
          'ExporterPodCreated',
          `Created exporter pod ${namespace}/${exporterName(name)}`,
        )) as Pod;
    } else if (pod && !source.empty) {
      await this.ignoreMissing(ctx.client.delete(POD_REF, namespace, pod.metadata.name ?? ''));
      void this.deps.recorder.event(
        vmExport,
        'Normal',
        'ExportPaused',
        `Source not available, deleting exporter pod ${pod.metadata.name ?? ''}`,
      );
      pod = undefined;
    }

    const now = rfc3339(ctx.clock.now());
    const condition = (type: string, view: SourceConditionView): Condition => ({
      type,
      status: view.status,
      reason: view.reason,
      message: view.message,
      lastProbeTime: null,
      lastTransitionTime: now,
    });
    let phase = 'Pending';
    let ready = source.ready;
    if (source.empty) phase = 'Skipped';
    else if (exportable && pod) {
      const podPhase = (pod.status as { phase?: string } | undefined)?.phase;
      if (podPhase === 'Succeeded') [phase, ready] = ['Terminated', { status: 'False', reason: 'PodCompleted', message: '' }];
      else if (isPodReady(pod)) [phase, ready] = ['Ready', { status: 'True', reason: 'PodReady', message: '' }];
      else ready = { status: 'False', reason: 'PodPending', message: '' };
    }
    let conditions = withCondition(vmExport.status?.conditions, condition('Ready', ready));
    if (source.pvcReady) conditions = withCondition(conditions, condition('PVCReady', source.pvcReady));
    const links = phase === 'Ready' ? internalLinks(vmExport, source.claims, await this.caCert(namespace), source.manifests) : undefined;
    const status = JSON.parse(
      JSON.stringify({
        phase,
        conditions,
        links,
        tokenSecretRef: secretName,
        ttlExpirationTime: rfc3339(new Date(expiresMs)),
        serviceName: exportable ? exporterName(name) : vmExport.status?.serviceName,
        virtualMachineName: source.virtualMachineName,
      }),
    ) as VmExport['status'];
    await writeStatus(ctx.client, vmExport, status);
    return { requeueAfterMs: expiresMs - ctx.clock.nowMs() + 1 };
  }

  /** Creates `obj` unless it exists, with an event when it did; answers the object either way. */
  /**
   * Creates `obj` unless it exists; returns the stored object, read back only when asked for: kubevirt-controller's
   * RBAC creates Secrets anywhere but reads them only in its own namespace, so the token Secret is never read.
   */
  private async ensure(vmExport: VmExport, obj: KubeObject, reason: string, message: string, readBack = true): Promise<KubeObject> {
    const { client } = this.deps.ctx;
    try {
      const created = await client.create(obj);
      void this.deps.recorder.event(vmExport, 'Normal', reason, message);
      return created;
    } catch (err) {
      if (statusCode(err) !== 409) throw err;
      return readBack ? client.get(obj, obj.metadata.namespace, obj.metadata.name ?? '') : obj;
    }
  }

  private async podsUsing(namespace: string, claim: string, exporter: string): Promise<number> {
    const pods = (await this.deps.ctx.client.list<Pod>(POD_REF, { namespace })).items;
    return pods.filter(
      (pod) =>
        pod.metadata.name !== exporter &&
        !['Succeeded', 'Failed'].includes((pod.status as { phase?: string } | undefined)?.phase ?? '') &&
        ((pod.spec as { volumes?: Array<{ persistentVolumeClaim?: { claimName?: string } }> } | undefined)?.volumes ?? []).some(
          (v) => v.persistentVolumeClaim?.claimName === claim,
        ),
    ).length;
  }

  /** The CA the export server's certificate chains to; the cluster's root CA stands in for KubeVirt's export CA. */
  private async caCert(namespace: string): Promise<string> {
    try {
      const configMap = await this.deps.ctx.client.get(CONFIG_MAP_REF, namespace, 'kube-root-ca.crt');
      return (configMap as KubeObject & { data?: Record<string, string> }).data?.['ca.crt'] ?? '';
    } catch (err) {
      if (statusCode(err) === 404) return '';
      throw err;
    }
  }

  private async ignoreMissing(request: Promise<unknown>): Promise<void> {
    try {
      await request;
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
    }
  }
}
