/**
 * kube-apiserver's MutatingAdmissionWebhook and ValidatingAdmissionWebhook
 * plugins over the in-process admission chain. They read the webhook
 * configurations through informers, so they see what is stored, as the real
 * plugins' configuration managers do, and call the webhooks whose Service has
 * an in-process server (WebhookBackends). Nothing here knows any component.
 */
import { internalError, type StatusError } from '../../api/errors.js';
import type { KubeObject, ResourceType } from '../../api/types.js';
import type { Client } from '../../client/client.js';
import { generateUid } from '../../api/registry/names.js';
import type { Clock } from '../../runtime/clock.js';
import type { Logger } from '../../runtime/logger.js';
import type { Informer, SharedInformerFactory } from '../../runtime/informer.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import type { AdmissionAttributes, AdmissionChain, MutatingPlugin, ValidatingPlugin } from '../chain.js';
import { andThen, inSequence, type MaybePromise } from '../maybe-async.js';
import { ShapeMemo } from '../shape-memo.js';
import type { WebhookBackends } from './backends.js';
import { callWebhook, CallingWebhookError, type CallDeps } from './call.js';
import {
  equivalentTypes,
  isExemptFromWebhooks,
  matchConditions,
  matchObjectSelector,
  matchRules,
  namespaceLabelsMatch,
  namespaceSelectorSubject,
  type Invocation,
} from './matching.js';
import type { Webhook, WebhookConfiguration } from './types.js';

export interface WebhookAdmissionOptions {
  /** Informers over the in-process client (the control plane's factory). */
  informers: SharedInformerFactory;
  /** Reads a namespace the informer has not seen yet, as the real namespace matcher falls back to a live GET. */
  client: Client;
  backends: WebhookBackends;
  clock: Clock;
  /** Request uids come from the seeded source, so runs repeat. */
  random: SeededRandom;
  /** Every served resource type: the versions of one stored resource are equivalent under matchPolicy Equivalent. */
  resourceTypes: () => readonly ResourceType[];
  /** Where webhook handlers that throw are reported. */
  logger?: Logger;
}

interface Service extends KubeObject {
  spec?: { clusterIP?: string };
}

const ADMISSION_V1 = 'admissionregistration.k8s.io/v1';

/** A webhook with the configuration it came from; configurations are called in name order, webhooks in their listed order. */
interface ConfiguredWebhook {
  webhook: Webhook;
  configuration: string;
}

/** A webhook whose rules match a request, with what the request looks like to it (resource, kind, version). */
interface RuleMatch {
  webhook: Webhook;
  invocation: Invocation;
}

class WebhookSource {
  private readonly namespaces: Informer;
  private readonly deps: CallDeps;
  /** The webhooks in call order, kept until a configuration changes: every write asks for them. */
  private ordered: readonly ConfiguredWebhook[] | undefined;
  /**
   * The webhooks whose rules concern a shape of request, in call order, for one webhook list and one list of served
   * types (both replaced when configurations or CRDs change): every write asks, up to twice.
   */
  private ruleMatches:
    | { webhooks: readonly ConfiguredWebhook[]; types: readonly ResourceType[]; byShape: ShapeMemo<readonly RuleMatch[]> }
    | undefined;

  constructor(
    private readonly options: WebhookAdmissionOptions,
    private readonly configurations: Informer<WebhookConfiguration>,
  ) {
    this.namespaces = options.informers.informerFor({ apiVersion: 'v1', kind: 'Namespace' });
    const services = options.informers.informerFor<Service>({ apiVersion: 'v1', kind: 'Service' });
    this.deps = {
      backends: options.backends,
      clock: options.clock,
      newUid: () => generateUid(options.random),
      logger: options.logger,
      services: {
        clusterIP: (namespace, name) => {
          const svc = services.getByName(namespace, name);
          return svc ? (svc.spec?.clusterIP ?? '') : undefined;
        },
      },
    };
    const forget = (): void => {
      this.ordered = undefined;
    };
    configurations.addEventHandler({ onAdd: forget, onUpdate: forget, onDelete: forget });
  }

  private webhooks(): readonly ConfiguredWebhook[] {
    if (!this.ordered) {
      const configurations = [...this.configurations.list()].sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
      this.ordered = configurations.flatMap((c) =>
        (c.webhooks ?? []).map((webhook) => ({ webhook, configuration: c.metadata.name ?? '' })),
      );
    }
    return this.ordered;
  }

  /** The webhooks, in call order, whose rules concern this request's operation, resource, subresource and scope. */
  candidates(attributes: AdmissionAttributes): readonly RuleMatch[] {
    const webhooks = this.webhooks();
    const types = this.options.resourceTypes();
    if (this.ruleMatches?.webhooks !== webhooks || this.ruleMatches.types !== types)
      this.ruleMatches = { webhooks, types, byShape: new ShapeMemo() };
    return this.ruleMatches.byShape.get(attributes, (shape) => {
      const equivalents = equivalentTypes(types, shape.type);
      return webhooks.flatMap(({ webhook }) => {
        const invocation = matchRules(webhook, shape, equivalents);
        return invocation ? [{ webhook, invocation }] : [];
      });
    });
  }

  /**
   * Whether a webhook whose rules match concerns this request: its object selector, match conditions and namespace
   * selector. Answered at once unless the namespace's labels need a live read (a namespace the informer has not seen).
   */
  admits(webhook: Webhook, attributes: AdmissionAttributes): boolean | Promise<boolean> {
    if (!matchObjectSelector(webhook, attributes) || !matchConditions(webhook, attributes)) return false;
    const subject = namespaceSelectorSubject(webhook, attributes);
    if (!subject) return true;
    if ('fromObject' in subject) return namespaceLabelsMatch(webhook, subject.fromObject.metadata.labels ?? {});
    const cached = this.namespaces.getByName(undefined, subject.namespace);
    if (cached) return namespaceLabelsMatch(webhook, cached.metadata.labels ?? {});
    return this.liveNamespaceLabels(subject.namespace).then((labels) => namespaceLabelsMatch(webhook, labels));
  }

  /** Whether any webhook's rules concern requests of this shape (the chain skips the plugin otherwise). */
  concerns(attributes: AdmissionAttributes): boolean {
    return !isExemptFromWebhooks(attributes.type) && this.candidates(attributes).length > 0;
  }

  call(webhook: Webhook, attributes: AdmissionAttributes, invocation: Invocation, mutating: boolean): MaybePromise<KubeObject | undefined> {
    return callWebhook(webhook, attributes, invocation, this.deps, mutating);
  }

  private async liveNamespaceLabels(namespace: string): Promise<Record<string, string>> {
    return (await this.options.client.get({ apiVersion: 'v1', kind: 'Namespace' }, undefined, namespace)).metadata.labels ?? {};
  }
}

/** failurePolicy Fail (the default) turns a failed call into a 500; Ignore lets the request through. */
function failedCall(webhook: Webhook, err: CallingWebhookError): StatusError | undefined {
  if (webhook.failurePolicy === 'Ignore') return undefined;
  return internalError(err.message);
}

export class MutatingWebhookPlugin implements MutatingPlugin {
  readonly name = 'MutatingAdmissionWebhook';

  constructor(private readonly source: WebhookSource) {}

  handles(attributes: AdmissionAttributes): boolean {
    return this.source.concerns(attributes);
  }

  mutate(attributes: AdmissionAttributes): MaybePromise<KubeObject | undefined> {
    if (isExemptFromWebhooks(attributes.type)) return attributes.object;
    // reinvocationPolicy IfNeeded: a webhook whose output a later webhook changed runs once more.
    const ifNeeded: Array<{ match: RuleMatch; output: KubeObject | undefined }> = [];
    const calls = this.source.candidates(attributes).map(
      (match) => (current: AdmissionAttributes) =>
        andThen(this.invoke(match, current), (next) => {
          if (match.webhook.reinvocationPolicy === 'IfNeeded') ifNeeded.push({ match, output: next.object });
          return next;
        }),
    );
    const reinvocations = (current: AdmissionAttributes) =>
      inSequence(
        current,
        ifNeeded.map(
          (entry) => (latest: AdmissionAttributes) => (entry.output !== latest.object ? this.invoke(entry.match, latest) : latest),
        ),
      );
    return andThen(andThen(inSequence(attributes, calls), reinvocations), (current) => current.object);
  }

  private invoke({ webhook, invocation }: RuleMatch, attributes: AdmissionAttributes): MaybePromise<AdmissionAttributes> {
    const patched = (object: KubeObject | undefined): AdmissionAttributes => (object ? { ...attributes, object } : attributes);
    const failed = (err: unknown): AdmissionAttributes => {
      if (!(err instanceof CallingWebhookError)) throw err;
      const failure = failedCall(webhook, err);
      if (failure) throw failure;
      return attributes;
    };
    return andThen(this.source.admits(webhook, attributes), (admitted) => {
      if (!admitted) return attributes;
      try {
        const answer = this.source.call(webhook, attributes, invocation, true);
        return answer instanceof Promise ? answer.then(patched, failed) : patched(answer);
      } catch (err) {
        return failed(err);
      }
    });
  }
}

export class ValidatingWebhookPlugin implements ValidatingPlugin {
  readonly name = 'ValidatingAdmissionWebhook';

  constructor(private readonly source: WebhookSource) {}

  handles(attributes: AdmissionAttributes): boolean {
    return this.source.concerns(attributes);
  }

  /** All matching webhooks are called at once, as the apiserver does; the first failure in webhook order is the answer. */
  validate(attributes: AdmissionAttributes): MaybePromise<void> {
    if (isExemptFromWebhooks(attributes.type)) return;
    const outcomes = this.source.candidates(attributes).map(({ webhook, invocation }) =>
      andThen(this.source.admits(webhook, attributes), (admitted) => {
        if (!admitted) return undefined;
        // A failed call is a failure by failurePolicy; a denial (or any other error) is the outcome as it is.
        const failure = (err: unknown): unknown => (err instanceof CallingWebhookError ? failedCall(webhook, err) : err);
        try {
          const answer = this.source.call(webhook, attributes, invocation, false);
          return answer instanceof Promise ? answer.then(() => undefined, failure) : undefined;
        } catch (err) {
          return failure(err);
        }
      }),
    );
    const firstFailure = (settled: unknown[]): void => {
      const failure = settled.find((outcome) => outcome !== undefined);
      if (failure) throw failure;
    };
    return outcomes.some((outcome) => outcome instanceof Promise) ? Promise.all(outcomes).then(firstFailure) : firstFailure(outcomes);
  }
}

/**
 * Adds the two webhook plugins to the chain: mutating webhooks run after the
 * mutating plugins added before, validating webhooks after the validating
 * ones, as in kube-apiserver's plugin order.
 */
export function registerWebhookAdmission(
  chain: AdmissionChain,
  options: WebhookAdmissionOptions,
): { mutating: MutatingWebhookPlugin; validating: ValidatingWebhookPlugin } {
  const mutatingConfigs = options.informers.informerFor<WebhookConfiguration>({
    apiVersion: ADMISSION_V1,
    kind: 'MutatingWebhookConfiguration',
  });
  const validatingConfigs = options.informers.informerFor<WebhookConfiguration>({
    apiVersion: ADMISSION_V1,
    kind: 'ValidatingWebhookConfiguration',
  });
  const mutating = new MutatingWebhookPlugin(new WebhookSource(options, mutatingConfigs));
  const validating = new ValidatingWebhookPlugin(new WebhookSource(options, validatingConfigs));
  chain.addMutating(mutating);
  chain.addValidating(validating);
  return { mutating, validating };
}
