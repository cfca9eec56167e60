/**
 * Faults as objects: a `Fault` (emulator.kubevirt.io/v1alpha1, namespaced)
 * asks the simulated cluster to break something, so kubectl, scenarios and
 * client libraries inject faults the same way. The fault controller installs
 * the CRD (schemas/emulator/) when it starts, then acts on every new Fault by
 * calling the cluster's fault APIs and records the outcome in its status:
 *
 * - node-lost: the node's kubelet stops (Active; deleting the Fault or a
 *   node-back Fault for the node starts it again).
 * - node-back: the node's kubelet starts (Resolved; resolves the node's Active node-lost Faults).
 * - handler-down: virt-handler's pod leaves the node and a NoSchedule taint
 *   keeps the DaemonSet from placing a new one (Active; deleting the Fault removes the taint).
 * - guest-crash, boot-failure: injected once into the VMI's guest (Resolved).
 * - migration-failure: the VMI's next live migration fails on the target
 *   while its memory is transferred; the VMI stays on its source (Resolved once armed).
 * - guest-agent-disconnect: the guest agent stops answering (Active; deleting reconnects it).
 * - webhook-timeout: the server behind the webhook Service target.namespace/
 *   target.name never answers; calls time out (Active; deleting the Fault ends it).
 * - api-error, api-latency: `spec.percent` % (default 100) of the API
 *   requests matching the target (group, resource, subresource, verb,
 *   namespace, name) answer `spec.code` (default 500), or `spec.milliseconds`
 *   late (Active; deleting the Fault ends it). See api-faults.ts.
 * - image-pull-failure: pulls of `spec.target.image` fail on every node as
 *   for an image its registry does not have (Active; deleting the Fault ends it).
 * A Fault that cannot be injected goes Failed with the reason as message.
 */
import { readFileSync } from 'node:fs';
import type { KubeObject } from '../api/types.js';
import type { KindRef } from '../client/client.js';
import type { ComponentContext } from '../runtime/component-context.js';
import { NODE_REF, type Node, type Taint } from '../kube/nodes.js';
import { POD_REF } from '../kube/pods.js';
import type { RequestVerb } from '../api/registry/request-hooks.js';
import { apiFaults, type ApiFaultEffect } from './api-faults.js';
import { webhookFaults } from './webhook-faults.js';
import type { Component } from '../runtime/component.js';
import { Controller } from '../runtime/controller.js';
import { yamlDocument } from '../runtime/yaml-data.js';
import type { Informer } from '../runtime/informer.js';

export const FAULT_REF: KindRef = { apiVersion: 'emulator.kubevirt.io/v1alpha1', kind: 'Fault' };
export const FAULT_TYPES = [
  'node-lost',
  'node-back',
  'handler-down',
  'guest-crash',
  'boot-failure',
  'guest-agent-disconnect',
  'migration-failure',
  'webhook-timeout',
  'api-error',
  'api-latency',
  'image-pull-failure',
] as const;
export type FaultType = (typeof FAULT_TYPES)[number];
export type FaultPhase = 'Active' | 'Resolved' | 'Failed';
/** The taint handler-down puts on the node so the virt-handler DaemonSet does not come back there. */
export const HANDLER_DOWN_TAINT = 'emulator.kubevirt.io/handler-down';

export interface FaultTarget {
  node?: string;
  namespace?: string;
  name?: string;
  image?: string;
  group?: string;
  resource?: string;
  subresource?: string;
  verb?: RequestVerb;
}

export interface Fault extends KubeObject {
  spec: { type: FaultType; target: FaultTarget; percent?: number; code?: number; milliseconds?: number };
  status?: { phase?: FaultPhase; message?: string };
}

const CRD_URL = new URL('../../schemas/emulator/faults.emulator.kubevirt.io.yaml', import.meta.url);
const HANDLER_NAMESPACE = 'kubevirt';
const HANDLER_SELECTOR = 'kubevirt.io=virt-handler';

/** The Fault CRD, as shipped in schemas/emulator/. */
export const faultCrd = (): KubeObject => yamlDocument(readFileSync(CRD_URL, 'utf8')) as KubeObject;

/** The kubelets' side of node faults (the cluster's nodes provide it). */
export interface KubeletFaults {
  stopKubelet(nodeName: string): Promise<void>;
  startKubelet(nodeName: string): Promise<void>;
  /** Pulls of the image fail on every node from now on (pods already pulling or running keep what they have). */
  failImagePulls(image: string): void;
  allowImagePulls(image: string): void;
}

/** The guests' side of VMI faults (KubeVirt's virt-handler provides it). */
export interface GuestFaults {
  crashGuest(namespace: string, name: string): Promise<void>;
  failBoot(namespace: string, name: string): Promise<void>;
  disconnectGuestAgent(namespace: string, name: string): Promise<void>;
  connectGuestAgent(namespace: string, name: string): Promise<void>;
  failNextMigration(namespace: string, vmiName: string): Promise<void>;
}

/**
 * What Fault objects act on, given by the assembly point so that this
 * controller knows neither the cluster's nor KubeVirt's internals. Looked up
 * when a fault is injected: the systems may start after this controller.
 */
export interface FaultTargets {
  kubelets(): KubeletFaults;
  guests(): GuestFaults;
}

/** What injecting a fault did: its phase, message, and for an Active fault how to undo it. */
interface Injection {
  phase: Exclude<FaultPhase, 'Failed'>;
  message: string;
  undo?: () => Promise<void>;
}

const statusCode = (err: unknown): unknown => (typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined);

class FaultController implements Component {
  readonly name = 'emulator/faults';
  private readonly controller: Controller;
  /** Active faults by key, with what undoes them; in memory, as a real controller would keep its own bookkeeping in a finalizer. */
  private readonly active = new Map<string, { fault: Fault; undo?: () => Promise<void> }>();

  constructor(
    private readonly ctx: ComponentContext,
    private readonly faults: Informer<Fault>,
    private readonly targets: FaultTargets,
  ) {
    this.controller = new Controller({ name: this.name, clock: ctx.clock, logger: ctx.logger, reconcile: (key) => this.reconcile(key) });
    this.controller.watch(faults);
  }

  async start(): Promise<void> {
    try {
      await this.ctx.client.create(faultCrd());
    } catch (err) {
      if (statusCode(err) !== 409) throw err;
    }
    await this.controller.start();
  }

  stop(): Promise<void> {
    return this.controller.stop();
  }

  private async reconcile(key: string): Promise<void> {
    const fault = this.faults.get(key);
    if (!fault) return this.undo(key);
    if (fault.status?.phase) return;
    try {
      const injection = await this.inject(fault);
      if (injection.phase === 'Active') this.active.set(key, { fault, undo: injection.undo });
      await this.setStatus(fault, injection.phase, injection.message);
    } catch (err) {
      await this.setStatus(fault, 'Failed', err instanceof Error ? err.message : String(err));
    }
  }

  private async undo(key: string): Promise<void> {
    const entry = this.active.get(key);
    this.active.delete(key);
    await entry?.undo?.();
  }

  private async inject(fault: Fault): Promise<Injection> {
    const { type, target } = fault.spec;
    switch (type) {
      case 'node-lost': {
        const node = requireNode(fault);
        await this.targets.kubelets().stopKubelet(node);
        return { phase: 'Active', message: `kubelet on node ${node} stopped`, undo: () => this.targets.kubelets().startKubelet(node) };
      }
      case 'node-back': {
        const node = requireNode(fault);
        await this.targets.kubelets().startKubelet(node);
        await this.resolveNodeLost(node, fault);
        return { phase: 'Resolved', message: `kubelet on node ${node} started` };
      }
      case 'handler-down': {
        const node = requireNode(fault);
        await this.setHandlerDownTaint(node, true);
        await this.deleteHandlerPods(node);
        return { phase: 'Active', message: `virt-handler on node ${node} is down`, undo: () => this.setHandlerDownTaint(node, false) };
      }
      case 'guest-crash':
      case 'boot-failure':
      case 'migration-failure':
      case 'guest-agent-disconnect': {
        const namespace = target.namespace ?? fault.metadata.namespace ?? 'default';
        const name = target.name;
        if (!name) throw new Error(`a ${type} fault needs spec.target.name (a VirtualMachineInstance)`);
        const guests = this.targets.guests();
        if (type === 'guest-crash') {
          await guests.crashGuest(namespace, name);
          return { phase: 'Resolved', message: `guest of VMI ${namespace}/${name} crashed` };
        }
        if (type === 'boot-failure') {
          await guests.failBoot(namespace, name);
          return { phase: 'Resolved', message: `the next boot of VMI ${namespace}/${name} fails` };
        }
        if (type === 'migration-failure') {
          await guests.failNextMigration(namespace, name);
          return { phase: 'Resolved', message: `the next migration of VMI ${namespace}/${name} fails` };
        }
        await guests.disconnectGuestAgent(namespace, name);
        return {
          phase: 'Active',
          message: `guest agent of VMI ${namespace}/${name} disconnected`,
          undo: () => guests.connectGuestAgent(namespace, name),
        };
      }
      case 'webhook-timeout': {
        if (!target.namespace || !target.name)
          throw new Error('a webhook-timeout fault needs spec.target.namespace and spec.target.name (the webhook Service)');
        const service = `${target.namespace}/${target.name}`;
        const webhooks = webhookFaults(this.ctx);
        webhooks.stall(service);
        return {
          phase: 'Active',
          message: `webhooks served by service ${service} do not answer`,
          undo: async () => webhooks.resume(service),
        };
      }
      case 'api-error':
      case 'api-latency':
        return this.injectApiFault(fault);
      case 'image-pull-failure': {
        const image = target.image;
        if (!image) throw new Error('an image-pull-failure fault needs spec.target.image');
        const kubelets = this.targets.kubelets();
        kubelets.failImagePulls(image);
        return { phase: 'Active', message: `pulls of image ${image} fail`, undo: async () => kubelets.allowImagePulls(image) };
      }
      default:
        throw new Error(`unknown fault type "${String(type)}"`);
    }
  }

  /** A rule of the API server's fault injector, in effect until the Fault is deleted. */
  private injectApiFault(fault: Fault): Injection {
    const { type, target, percent = 100 } = fault.spec;
    const { group, resource, subresource, verb, namespace, name } = target;
    let effect: ApiFaultEffect;
    if (type === 'api-latency') {
      if (fault.spec.milliseconds === undefined) throw new Error('an api-latency fault needs spec.milliseconds');
      effect = { kind: 'latency', milliseconds: fault.spec.milliseconds };
    } else {
      effect = {
        kind: 'error',
        code: fault.spec.code ?? 500,
        message: `injected by fault ${fault.metadata.namespace ?? ''}/${fault.metadata.name ?? ''}`,
      };
    }
    const injector = apiFaults(this.ctx);
    const key = `${fault.metadata.namespace ?? ''}/${fault.metadata.name ?? ''}`;
    injector.set(key, { match: { group, resource, subresource, verb, namespace, name }, percent, effect });
    const requests = `${verb ?? 'all'} requests on ${resource ?? 'all resources'}${subresource ? `/${subresource}` : ''}`;
    const what = effect.kind === 'latency' ? `${effect.milliseconds}ms later` : `HTTP ${effect.code}`;
    return { phase: 'Active', message: `${percent}% of ${requests} answer ${what}`, undo: async () => injector.remove(key) };
  }

  /** The node is back: its node-lost faults are over (their undo would only start the kubelet again). */
  private async resolveNodeLost(node: string, by: Fault): Promise<void> {
    for (const [key, { fault }] of this.active) {
      if (fault.spec.type !== 'node-lost' || fault.spec.target.node !== node) continue;
      this.active.delete(key);
      await this.setStatus(fault, 'Resolved', `kubelet on node ${node} started by fault ${by.metadata.name ?? ''}`);
    }
  }

  private async setHandlerDownTaint(nodeName: string, present: boolean): Promise<void> {
    const node = await this.ctx.client.get<Node>(NODE_REF, undefined, nodeName);
    const others: Taint[] = (node.spec?.taints ?? []).filter((taint) => taint.key !== HANDLER_DOWN_TAINT);
    const taints: Taint[] = present ? [...others, { key: HANDLER_DOWN_TAINT, effect: 'NoSchedule' }] : others;
    await this.ctx.client.patch(NODE_REF, undefined, nodeName, 'merge', { spec: { taints } });
  }

  private async deleteHandlerPods(nodeName: string): Promise<void> {
    const pods = await this.ctx.client.list(POD_REF, {
      namespace: HANDLER_NAMESPACE,
      labelSelector: HANDLER_SELECTOR,
      fieldSelector: `spec.nodeName=${nodeName}`,
    });
    for (const pod of pods.items)
      await this.ctx.client.delete(POD_REF, HANDLER_NAMESPACE, pod.metadata.name ?? '', { gracePeriodSeconds: 0 });
  }

  private async setStatus(fault: Fault, phase: FaultPhase, message: string): Promise<void> {
    try {
      await this.ctx.client.patch(
        FAULT_REF,
        fault.metadata.namespace,
        fault.metadata.name ?? '',
        'merge',
        { status: { phase, message } },
        { subresource: 'status' },
      );
    } catch (err) {
      // Deleted meanwhile: nothing to report on.
      if (statusCode(err) !== 404) throw err;
    }
  }
}

function requireNode(fault: Fault): string {
  const node = fault.spec.target.node;
  if (!node) throw new Error(`a ${fault.spec.type} fault needs spec.target.node`);
  return node;
}

/** The fault controller of a cluster: installs the Fault CRD and acts on Fault objects. */
export function faultComponents(ctx: ComponentContext, targets: FaultTargets): Component[] {
  return [new FaultController(ctx, ctx.informers.informerFor<Fault>(FAULT_REF), targets)];
}
