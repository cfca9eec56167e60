/**
 * The endpoints and endpointslice controllers (pkg/controller/endpoint,
 * pkg/controller/endpointslice): for a Service with a selector, the pods it
 * selects that have an IP become its addresses, ready ones in `addresses`
 * and the rest in `notReadyAddresses`, in an Endpoints object of the
 * Service's name and in one EndpointSlice owned by the Service.
 */
import { isDeepStrictEqual } from 'node:util';
import { matchLabelSelector } from '../../api/selectors/label-selector.js';
import type { KubeObject } from '../../api/types.js';
import { Controller } from '../../runtime/controller.js';
import { objectKey, splitKey, type Informer } from '../../runtime/informer.js';
import type { ComponentContext } from '../../runtime/component-context.js';
import { ENDPOINT_SLICE, ENDPOINTS, POD, SERVICE, type Pod } from '../workloads/objects.js';
import { deleteIfPresent, isAlreadyExists, newControllerRef } from '../../kube/owners.js';
import { isPodReady, isTerminal } from '../workloads/pod-state.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
const MANAGED_BY = 'endpointslice-controller.k8s.io';

interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
  appProtocol?: string;
}

interface Service extends KubeObject {
  spec?: { selector?: Record<string, string>; type?: string; ports?: ServicePort[]; publishNotReadyAddresses?: boolean };
}

interface ResolvedPort {
  name?: string;
  port: number;
  protocol: string;
}

/** `slicesCtx`: the EndpointSlice controller's own identity in kube (endpointslice-controller); the Endpoints writes use `ctx`'s. */
export function endpointsController(ctx: ComponentContext, slicesCtx: ComponentContext = ctx): Controller {
  const services = ctx.informers.informerFor<Service>(SERVICE);
  const pods = ctx.informers.informerFor<Pod>(POD);
  const slices = ctx.informers.informerFor(ENDPOINT_SLICE, { labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY}` });
  const controller = new Controller({
    name: 'endpoint-controller',
    clock: ctx.clock,
    logger: ctx.logger,
    workers: 2,
    reconcile: (key) => syncService(ctx, slicesCtx, services, pods, slices, key),
  });
  return controller
    .watch(services)
    .watch(pods, (pod) => servicesSelecting(pod, services))
    .watch(slices, (slice) => [`${slice.metadata.namespace}/${slice.metadata.labels?.[SERVICE_NAME_LABEL] ?? ''}`]);
}

function servicesSelecting(pod: Pod, services: Informer<Service>): string[] {
  return services
    .listByNamespace(pod.metadata.namespace ?? '')
    .filter((svc) => svc.spec?.selector && matchLabelSelector({ matchLabels: svc.spec.selector }, pod.metadata.labels))
    .map(objectKey);
}

async function syncService(
  ctx: ComponentContext,
  slicesCtx: ComponentContext,
  services: Informer<Service>,
  pods: Informer<Pod>,
  slices: Informer,
  key: string,
): Promise<void> {
  const { namespace, name } = splitKey(key);
  const svc = services.get(key);
  if (!svc) {
    // Slices go with their owner through the garbage collector; the Endpoints object is this controller's to remove.
    const stale = await getOrUndefined(ctx, namespace!, name);
    if (stale) await deleteIfPresent(ctx.client, stale);
    return;
  }
  const selector = svc.spec?.selector;
  if (!selector || Object.keys(selector).length === 0 || svc.spec?.type === 'ExternalName') return;
  const selected = pods
    .listByNamespace(namespace!)
    .filter((pod) => matchLabelSelector({ matchLabels: selector }, pod.metadata.labels) && !isTerminal(pod) && pod.status?.podIP);
  await writeEndpoints(ctx, svc, selected);
  await writeSlice(
    slicesCtx,
    svc,
    selected,
    slices.listByNamespace(namespace!).filter((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === name),
  );
}

/** Service ports with named target ports looked up in the pod's containers (the first pod's, as one subset is written). */
function resolvePorts(svc: Service, pod: Pod | undefined): ResolvedPort[] {
  return (svc.spec?.ports ?? []).map((port) => {
    let target = typeof port.targetPort === 'number' ? port.targetPort : port.port;
    if (typeof port.targetPort === 'string' && pod) {
      const found = pod.spec?.containers?.flatMap((c) => c.ports ?? []).find((p) => p.name === port.targetPort);
      if (found) target = found.containerPort;
    }
    const resolved: ResolvedPort = { port: target, protocol: port.protocol ?? 'TCP' };
    if (port.name) resolved.name = port.name;
    return resolved;
  });
}

const targetRef = (pod: Pod) => ({ kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid });

function address(pod: Pod): Record<string, unknown> {
  const out: Record<string, unknown> = { ip: pod.status!.podIP, targetRef: targetRef(pod) };
  if (pod.spec?.nodeName) out.nodeName = pod.spec.nodeName;
  return out;
}

async function writeEndpoints(ctx: ComponentContext, svc: Service, selected: Pod[]): Promise<void> {
  const publishAll = svc.spec?.publishNotReadyAddresses === true;
  const ready = selected.filter((pod) => (publishAll || isPodReady(pod)) && !pod.metadata.deletionTimestamp).map(address);
  const notReady = selected.filter((pod) => !(publishAll || isPodReady(pod)) && !pod.metadata.deletionTimestamp).map(address);
  const subset: Record<string, unknown> = {};
  if (ready.length) subset.addresses = ready;
  if (notReady.length) subset.notReadyAddresses = notReady;
  subset.ports = resolvePorts(svc, selected[0]);
  const subsets = ready.length || notReady.length ? [subset] : undefined;
  const labels = svc.metadata.labels ? { ...svc.metadata.labels } : undefined;
  const namespace = svc.metadata.namespace!;
  const name = svc.metadata.name!;
  const current = await getOrUndefined(ctx, namespace, name);
  if (!current) {
    try {
      await ctx.client.create({ ...ENDPOINTS, metadata: { name, namespace, labels }, subsets });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    return;
  }
  if (isDeepStrictEqual(current.subsets, subsets) && isDeepStrictEqual(current.metadata.labels, labels)) return;
  await ctx.client.update({ ...current, metadata: { ...current.metadata, labels }, subsets });
}

async function getOrUndefined(ctx: ComponentContext, namespace: string, name: string): Promise<KubeObject | undefined> {
  try {
    return await ctx.client.get(ENDPOINTS, namespace, name);
  } catch (err) {
    if ((err as { code?: unknown }).code === 404) return undefined;
    throw err;
  }
}

async function writeSlice(ctx: ComponentContext, svc: Service, selected: Pod[], existing: KubeObject[]): Promise<void> {
  const endpoints = selected.map((pod) => {
    const terminating = !!pod.metadata.deletionTimestamp;
    const ready = isPodReady(pod);
    const endpoint: Record<string, unknown> = {
      addresses: [pod.status!.podIP],
      conditions: { ready: ready && !terminating, serving: ready, terminating },
      targetRef: targetRef(pod),
    };
    if (pod.spec?.nodeName) endpoint.nodeName = pod.spec.nodeName;
    return endpoint;
  });
  const body = {
    labels: { ...svc.metadata.labels, [SERVICE_NAME_LABEL]: svc.metadata.name!, [MANAGED_BY_LABEL]: MANAGED_BY },
    endpoints,
    ports: resolvePorts(svc, selected[0]),
  };
  const [current, ...extra] = existing;
  for (const slice of extra) await deleteIfPresent(ctx.client, slice);
  if (!current) {
    await ctx.client.create({
      ...ENDPOINT_SLICE,
      metadata: {
        generateName: `${svc.metadata.name}-`,
        namespace: svc.metadata.namespace,
        labels: body.labels,
        ownerReferences: [newControllerRef(svc)],
      },
      addressType: 'IPv4',
      endpoints: body.endpoints,
      ports: body.ports,
    });
    return;
  }
  if (
    isDeepStrictEqual(current.endpoints ?? [], body.endpoints) &&
    isDeepStrictEqual(current.ports ?? [], body.ports) &&
    isDeepStrictEqual(current.metadata.labels, body.labels)
  )
    return;
  await ctx.client.update({
    ...current,
    metadata: { ...current.metadata, labels: body.labels },
    endpoints: body.endpoints,
    ports: body.ports,
  });
}
