/**
 * The Job controller (pkg/controller/job), for NonIndexed jobs: runs up to
 * `parallelism` pods at a time until `completions` of them succeeded, or
 * until more than `backoffLimit` failed; reports active, ready, succeeded
 * and failed pods, startTime and completionTime, and the terminal
 * conditions (SuccessCriteriaMet then Complete, or FailureTarget then Failed).
 */
import { rfc3339 } from '../../runtime/clock.js';
import { Controller } from '../../runtime/controller.js';
import { EventRecorder } from '../../runtime/events.js';
import type { Informer } from '../../runtime/informer.js';
import type { ComponentContext } from '../../runtime/component-context.js';
import { findCondition } from './conditions.js';
import { Expectations } from '../../runtime/expectations.js';
import { JOB, POD, type Condition, type Job, type JobStatus, type Pod } from './objects.js';
import { claimChildren, controllerKeyOf, deleteIfPresent } from '../../kube/owners.js';
import { isPodReady } from './pod-state.js';
import { observePods, podFromTemplate } from './replicaset-controller.js';
import { writeStatus } from '../../kube/status.js';

interface Deps {
  jobs: Informer<Job>;
  pods: Informer<Pod>;
  expectations: Expectations;
  events: EventRecorder;
}

export function jobController(ctx: ComponentContext): Controller {
  const deps: Deps = {
    jobs: ctx.informers.informerFor<Job>(JOB),
    pods: ctx.informers.informerFor<Pod>(POD),
    expectations: new Expectations(ctx.clock),
    events: new EventRecorder(ctx.client, ctx.clock, { component: 'job-controller' }, ctx.logger),
  };
  observePods(deps.pods, deps.expectations, 'Job');
  const controller = new Controller({
    name: 'job-controller',
    clock: ctx.clock,
    logger: ctx.logger,
    workers: 2,
    reconcile: (key) => syncJob(ctx, deps, key),
  });
  return controller.watch(deps.jobs).watch(deps.pods, (pod) => {
    const owner = controllerKeyOf(pod, 'Job');
    return owner ? [owner] : [];
  });
}

const isFinished = (job: Job): boolean =>
  ['Complete', 'Failed'].some((type) => findCondition(job.status?.conditions, type)?.status === 'True');

async function syncJob(ctx: ComponentContext, deps: Deps, key: string): Promise<void> {
  const job = deps.jobs.get(key);
  if (!job) {
    deps.expectations.forget(key);
    return;
  }
  if (isFinished(job) || !job.spec.selector) return;
  const owned = await claimChildren(ctx.client, job, job.spec.selector, deps.pods.listByNamespace(job.metadata.namespace ?? ''));
  const active = owned.filter(
    (pod) => !pod.metadata.deletionTimestamp && pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed',
  );
  const previous = job.status ?? {};
  // Finished pods may be removed later; the counts only grow, as with Kubernetes' pod tracking finalizers.
  const succeeded = Math.max(previous.succeeded ?? 0, owned.filter((pod) => pod.status?.phase === 'Succeeded').length);
  const failed = Math.max(previous.failed ?? 0, owned.filter((pod) => pod.status?.phase === 'Failed').length);
  const now = rfc3339(ctx.clock.now());
  const status: JobStatus = {
    ...previous,
    startTime: previous.startTime ?? (job.spec.suspend ? undefined : now),
    ready: active.filter(isPodReady).length,
    terminating: owned.filter((pod) => pod.metadata.deletionTimestamp).length,
    uncountedTerminatedPods: {},
  };
  if (succeeded) status.succeeded = succeeded;
  if (failed) status.failed = failed;

  const completions = job.spec.completions ?? undefined;
  const complete = completions === undefined ? succeeded > 0 && active.length === 0 : succeeded >= completions;
  const backoffExceeded = failed > (job.spec.backoffLimit ?? 6);
  if (complete || backoffExceeded) {
    for (const pod of active) await deleteIfPresent(ctx.client, pod);
    delete status.active;
    status.conditions = terminalConditions(previous.conditions, complete, now);
    if (complete) {
      status.completionTime = now;
      void deps.events.event(job, 'Normal', 'Completed', 'Job completed');
    } else {
      void deps.events.event(job, 'Warning', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit');
    }
    await writeStatus(ctx.client, job, status);
    return;
  }

  if (!job.spec.suspend && deps.expectations.satisfied(key)) {
    const parallelism = job.spec.parallelism ?? 1;
    const wanted = completions === undefined ? (succeeded > 0 ? 0 : parallelism) : Math.min(parallelism, completions - succeeded);
    const missing = wanted - active.length;
    if (missing > 0) {
      deps.expectations.expectCreations(key, missing);
      for (let i = 0; i < missing; i++) {
        try {
          const pod = await ctx.client.create<Pod>(podFromTemplate(job));
          void deps.events.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`);
        } catch (err) {
          for (let j = i; j < missing; j++) deps.expectations.creationObserved(key);
          void deps.events.event(job, 'Warning', 'FailedCreate', `Error creating: ${(err as Error).message}`);
          throw err;
        }
      }
    }
    status.active = Math.max(active.length, wanted) || undefined;
  } else {
    status.active = active.length || undefined;
  }
  await writeStatus(ctx.client, job, status);
}

/** The pair of conditions a finished job gets: the criterion first, then the terminal condition. */
function terminalConditions(existing: Condition[] | undefined, complete: boolean, now: string): Condition[] {
  const [criterion, terminal, reason, message] = complete
    ? ['SuccessCriteriaMet', 'Complete', 'CompletionsReached', 'Reached expected number of succeeded pods']
    : ['FailureTarget', 'Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'];
  const condition = (type: string): Condition => ({ type, status: 'True', lastProbeTime: now, lastTransitionTime: now, reason, message });
  const kept = (existing ?? []).filter((c) => c.type !== criterion && c.type !== terminal);
  return [...kept, findCondition(existing, criterion) ?? condition(criterion), condition(terminal)];
}
