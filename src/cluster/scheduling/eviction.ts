/**
 * pods/eviction (kube-apiserver's EvictionREST): deletes a pod unless that
 * would break its PodDisruptionBudget. Finished, pending and terminating
 * pods go without asking; otherwise the one matching budget must allow a
 * disruption, which the eviction spends (disruptionsAllowed - 1, the pod
 * noted in status.disruptedPods) before deleting. A blocked eviction answers
 * 429, which `kubectl drain` retries.
 */
import { matchLabelSelector } from '../../api/selectors/label-selector.js';
import { badRequest, forbidden, StatusError, tooManyRequests } from '../../api/errors.js';
import type { Client, DeleteOptions } from '../../client/client.js';
import type { KubeObject } from '../../api/types.js';
import { rfc3339, type Clock } from '../../runtime/clock.js';
import type { SubresourceHandler } from '../../api/extension-points.js';
import { withCondition } from './binding.js';
import { disruptionAllowedCondition } from './disruption.js';
import { isPodReady, isTerminal, PDB, POD, type Pod, type PodDisruptionBudget } from './objects.js';

/** The eviction API refuses to pile up more unconfirmed evictions than this (MaxDisruptedPodSize). */
const MAX_DISRUPTED_PODS = 2000;
/** Conflicting budget writes are retried this often before giving up (EvictionsRetry). */
const MAX_CONFLICT_RETRIES = 5;

const BLOCKED = "Cannot evict pod as it would violate the pod's disruption budget.";

/** policy/v1 Eviction as it arrives; deleteOptions is the wire DeleteOptions (dryRun is a list there). */
interface EvictionBody {
  metadata?: { name?: string };
  deleteOptions?: Omit<DeleteOptions, 'dryRun'> & { dryRun?: string[] };
}

function budgetCause(message: string): StatusError {
  const error = tooManyRequests(BLOCKED);
  return new StatusError(error.code, error.reason, error.message, { causes: [{ reason: 'DisruptionBudget', message }] });
}

export const canIgnoreBudget = (pod: Pod): boolean =>
  isTerminal(pod) || pod.status?.phase === 'Pending' || !!pod.metadata.deletionTimestamp;

/** The budget after one more disruption, or the error that forbids it (checkAndDecrement). */
export function spendDisruption(pdb: PodDisruptionBudget, podName: string, now: string): PodDisruptionBudget {
  const name = pdb.metadata.name ?? '';
  const status = pdb.status;
  if (!status || (status.observedGeneration ?? 0) < (pdb.metadata.generation ?? 0)) {
    const error = budgetCause(`The disruption budget ${name} is still being processed by the server.`);
    throw new StatusError(error.code, error.reason, error.message, { ...error.details, retryAfterSeconds: 10 });
  }
  const subject = { group: 'policy', resource: 'poddisruptionbudget', name };
  if (status.disruptionsAllowed < 0) throw forbidden(subject, 'pdb disruptions allowed is negative');
  if (Object.keys(status.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS) {
    throw forbidden(subject, 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
  }
  if (status.disruptionsAllowed === 0) {
    throw budgetCause(
      `The disruption budget ${name} needs ${status.desiredHealthy} healthy pods and has ${status.currentHealthy} currently`,
    );
  }
  const disruptionsAllowed = status.disruptionsAllowed - 1;
  const conditions =
    disruptionsAllowed === 0 ? [disruptionAllowedCondition(status.conditions, 0, status.observedGeneration, now)] : status.conditions;
  return { ...pdb, status: { ...status, disruptionsAllowed, conditions, disruptedPods: { ...status.disruptedPods, [podName]: now } } };
}

function matchingBudgets(budgets: readonly PodDisruptionBudget[], pod: Pod): PodDisruptionBudget[] {
  return budgets.filter((pdb) => matchLabelSelector(pdb.spec?.selector, pod.metadata.labels ?? {}));
}

/** An unready pod may go without spending the budget when the budget says so, or while the application is healthy anyway. */
function unhealthyPodMayGo(pdb: PodDisruptionBudget, pod: Pod): boolean {
  if (isPodReady(pod)) return false;
  if (pdb.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow') return true;
  const status = pdb.status;
  return !!status && status.currentHealthy >= status.desiredHealthy && status.desiredHealthy > 0;
}

export function evictionHandler(client: Client, clock: Clock): SubresourceHandler {
  const spendWithRetries = async (pdb: PodDisruptionBudget, podName: string, dryRun: boolean): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      const spent = spendDisruption(pdb, podName, rfc3339(clock.now()));
      if (dryRun) return;
      try {
        await client.update(spent, { subresource: 'status' });
        return;
      } catch (err) {
        if ((err as { code?: unknown }).code !== 409 || attempt >= MAX_CONFLICT_RETRIES) throw err;
        pdb = await client.get<PodDisruptionBudget>(PDB, pdb.metadata.namespace, pdb.metadata.name ?? '');
      }
    }
  };

  return async (call) => {
    if (call.method !== 'POST')
      throw new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    const eviction = (call.body ?? {}) as EvictionBody;
    if (eviction.metadata?.name && eviction.metadata.name !== call.name)
      throw badRequest('name in URL does not match name in Eviction object');
    const namespace = call.namespace ?? '';
    const { dryRun: dryRunList, ...requested } = eviction.deleteOptions ?? {};
    const dryRun = call.ctx.dryRun || (dryRunList ?? []).includes('All');
    const options: DeleteOptions = dryRun ? { ...requested, dryRun } : requested;
    const pod = await client.get<Pod>(POD, namespace, call.name);
    // Admission on pods/eviction CREATE (virt-api's eviction interceptor among the webhooks) may refuse it.
    await call.admit({
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      ...eviction,
      metadata: { ...eviction.metadata, name: call.name, namespace },
    } as KubeObject);

    if (!canIgnoreBudget(pod)) {
      const budgets = matchingBudgets((await client.list<PodDisruptionBudget>(PDB, { namespace })).items, pod);
      if (budgets.length > 1)
        throw new StatusError(500, '', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
      if (budgets.length === 1 && !unhealthyPodMayGo(budgets[0], pod)) await spendWithRetries(budgets[0], call.name, dryRun);
    }

    if (!dryRun) await markDisruptionTarget(client, clock, pod);
    await client.delete(POD, namespace, call.name, options);
    call.reply.code(201);
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };
  };
}

/** The DisruptionTarget condition the eviction API sets before deleting, so the pod's owner can tell why it went. */
async function markDisruptionTarget(client: Client, clock: Clock, pod: Pod): Promise<void> {
  if (isTerminal(pod) || pod.metadata.deletionTimestamp) return;
  const condition = {
    type: 'DisruptionTarget',
    status: 'True' as const,
    reason: 'EvictionByEvictionAPI',
    message: 'Eviction API: evicting',
    lastProbeTime: null,
    lastTransitionTime: rfc3339(clock.now()),
  };
  try {
    await client.update<Pod>(
      { ...pod, status: { ...pod.status, conditions: withCondition(pod.status?.conditions, condition) } },
      { subresource: 'status' },
    );
  } catch (err) {
    // The condition only explains the deletion; a pod changed meanwhile is deleted without it.
    if ((err as { code?: unknown }).code !== 409) throw err;
  }
}
