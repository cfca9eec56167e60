/**
 * Binding a pod to a node, as kube-apiserver's pods/binding (BindingREST)
 * does it: one write that sets spec.nodeName and the PodScheduled=True
 * condition, refused with 409 when the pod is bound already or terminating.
 * The scheduler binds through bindPod; other schedulers and clients POST a
 * v1 Binding to the subresource, served by bindingHandler.
 */
import { badRequest, conflict, invalid, FieldError, StatusError } from '../../api/errors.js';
import type { Client } from '../../client/client.js';
import { rfc3339, type Clock } from '../../runtime/clock.js';
import type { SubresourceHandler } from '../../api/extension-points.js';
import { POD, type Pod, type PodCondition } from './objects.js';

const bindingSubject = (name: string) => ({ group: '', resource: 'pods/binding', name });

/** The pod's conditions with `condition` in place of any of its type; the transition time moves only when the status does. */
export function withCondition(conditions: readonly PodCondition[] | undefined, condition: PodCondition): PodCondition[] {
  const existing = conditions?.find((c) => c.type === condition.type);
  const merged =
    existing?.status === condition.status
      ? { ...condition, lastTransitionTime: existing.lastTransitionTime ?? condition.lastTransitionTime }
      : condition;
  return existing ? (conditions ?? []).map((c) => (c.type === condition.type ? merged : c)) : [...(conditions ?? []), merged];
}

export async function bindPod(
  client: Client,
  clock: Clock,
  namespace: string,
  name: string,
  nodeName: string,
  dryRun = false,
): Promise<Pod> {
  const pod = await client.get<Pod>(POD, namespace, name);
  if (pod.spec?.nodeName) throw conflict(bindingSubject(name), `pod ${name} is already assigned to node "${pod.spec.nodeName}"`);
  if (pod.metadata.deletionTimestamp) throw conflict(bindingSubject(name), `pod ${name} is being deleted, cannot be assigned to a host`);
  const scheduled: PodCondition = { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339(clock.now()) };
  const bound: Pod = {
    ...pod,
    spec: { ...pod.spec, nodeName },
    status: { ...pod.status, conditions: withCondition(pod.status?.conditions, scheduled) },
  };
  return client.update(bound, { subresource: 'binding', dryRun });
}

interface BindingBody {
  metadata?: { name?: string };
  target?: { kind?: string; name?: string };
}

export function bindingHandler(client: Client, clock: Clock): SubresourceHandler {
  return async (call) => {
    if (call.method !== 'POST')
      throw new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    const binding = (call.body ?? {}) as BindingBody;
    if (binding.metadata?.name && binding.metadata.name !== call.name)
      throw badRequest('name in URL does not match name in Binding object');
    const target = binding.target ?? {};
    if (target.kind && target.kind !== 'Node')
      throw invalid('Binding', '', call.name, [
        new FieldError('FieldValueNotSupported', 'target.kind', `Unsupported value: "${target.kind}": supported values: "Node", ""`),
      ]);
    if (!target.name) throw invalid('Binding', '', call.name, [new FieldError('FieldValueRequired', 'target.name', 'Required value')]);
    await bindPod(client, clock, call.namespace ?? '', call.name, target.name, call.ctx.dryRun);
    call.reply.code(201);
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };
  };
}
