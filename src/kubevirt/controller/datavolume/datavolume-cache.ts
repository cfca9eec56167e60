/**
 * virt-controller's DataVolume informer, which exists only where CDI is installed: KubeVirt's informer
 * factory hands out a dummy DataVolume informer until the `datavolumes.cdi.kubevirt.io` CRD exists
 * (pkg/controller/virtinformers.go, DataVolume), so virt-controller runs the same with or without CDI.
 * Here the CRD is watched by name and the real informer is connected to each controller once it appears;
 * until then no DataVolume is known.
 */
import type { KubeObject } from '../../../api/types.js';
import type { ComponentContext } from '../../../runtime/component-context.js';
import type { Component } from '../../../runtime/component.js';
import type { HandlerRegistration, Informer } from '../../../runtime/informer.js';

export const DATA_VOLUME_REF = { apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataVolume' } as const;
const CRD_REF = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' } as const;
const DATA_VOLUME_CRD = 'datavolumes.cdi.kubevirt.io';

export interface DataVolumeCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface DataVolume extends KubeObject {
  status?: { phase?: string; conditions?: DataVolumeCondition[] };
}

/** Started before the controllers that ask it for the informer, stopped after them. */
export class DataVolumeCache implements Component {
  readonly name = 'virt-controller/datavolume-informer';
  private informer: Informer<DataVolume> | undefined;
  private readonly waiting: Array<(informer: Informer<DataVolume>) => void> = [];
  private registration: HandlerRegistration | undefined;

  constructor(private readonly ctx: ComponentContext) {}

  async start(): Promise<void> {
    const crds = this.ctx.informers.informerFor(CRD_REF, { fieldSelector: `metadata.name=${DATA_VOLUME_CRD}` });
    this.registration = crds.addEventHandler({ onAdd: () => this.served() });
  }

  async stop(): Promise<void> {
    this.registration?.remove();
  }

  /** Calls `connect` with the DataVolume informer once CDI's CRD exists (at once if it does). */
  onServed(connect: (informer: Informer<DataVolume>) => void): void {
    if (this.informer) connect(this.informer);
    else this.waiting.push(connect);
  }

  get(namespace: string | undefined, name: string): DataVolume | undefined {
    return this.informer?.getByName(namespace, name);
  }

  private served(): void {
    if (this.informer) return;
    this.informer = this.ctx.informers.informerFor<DataVolume>(DATA_VOLUME_REF);
    for (const connect of this.waiting.splice(0)) connect(this.informer);
  }
}
