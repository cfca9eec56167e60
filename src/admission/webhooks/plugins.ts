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
   * Per webhook list and equivalents list (both replaced when configurations or types change), the webhooks whose
   * rules concern one shape of request, in call order: every write asks, and the rules answer the same for the same shape.
   */
  private readonly ruleMatches = new WeakMap<
    readonly ConfiguredWebhook[],
    WeakMap<readonly ResourceType[], Map<string, readonly RuleMatch[]>>
  >();

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
    const { type, operation, subresource, namespace } = attributes;
    const webhooks = this.webhooks();
    const equivalents = equivalentTypes(this.options.resourceTypes(), type);
    let byEquivalents = this.ruleMatches.get(webhooks);
    if (!byEquivalents) this.ruleMatches.set(webhooks, (byEquivalents = new WeakMap()));
    let byShape = byEquivalents.get(equivalents);
    if (!byShape) byEquivalents.set(equivalents, (byShape = new Map()));
    const shape = `${operation} ${type.group}/${type.version}/${type.plural}/${subresource ?? ''} ${namespace ? 'namespaced' : ''}`;
    let matches = byShape.get(shape);
    if (!matches) {
      matches = webhooks.flatMap(({ webhook }) => {
        const invocation = matchRules(webhook, attributes, equivalents);
        return invocation ? [{ webhook, invocation }] : [];
      });
      byShape.set(shape, matches);
    }
    return matches;
  }

  /** Whether a webhook whose rules match concerns this request: its object selector, match conditions and namespace selector. */
  async admits(webhook: Webhook, attributes: AdmissionAttributes): Promise<boolean> {
    if (!matchObjectSelector(webhook, attributes) || !matchConditions(webhook, attributes)) return false;
    const subject = namespaceSelectorSubject(webhook, attributes);
    if (!subject) return true;
    const labels = 'fromObject' in subject ? (subject.fromObject.metadata.labels ?? {}) : await this.namespaceLabels(subject.namespace);
    return namespaceLabelsMatch(webhook, labels);
  }

  call(webhook: Webhook, attributes: AdmissionAttributes, invocation: Invocation, mutating: boolean): Promise<KubeObject | undefined> {
    return callWebhook(webhook, attributes, invocation, this.deps, mutating);
  }

  private async namespaceLabels(namespace: string): Promise<Record<string, string>> {
    const cached = this.namespaces.getByName(undefined, namespace);
    if (cached) return cached.metadata.labels ?? {};
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

  async mutate(attributes: AdmissionAttributes): Promise<KubeObject | undefined> {
    if (isExemptFromWebhooks(attributes.type)) return attributes.object;
    let current = attributes;
    // reinvocationPolicy IfNeeded: a webhook whose output a later webhook changed runs once more.
    const ifNeeded: Array<{ match: RuleMatch; output: KubeObject | undefined }> = [];
    for (const match of this.source.candidates(attributes)) {
      current = await this.invoke(match, current);
      if (match.webhook.reinvocationPolicy === 'IfNeeded') ifNeeded.push({ match, output: current.object });
    }
    for (const entry of ifNeeded) if (entry.output !== current.object) current = await this.invoke(entry.match, current);
    return current.object;
  }

  private async invoke({ webhook, invocation }: RuleMatch, attributes: AdmissionAttributes): Promise<AdmissionAttributes> {
    if (!(await this.source.admits(webhook, attributes))) return attributes;
    try {
      const patched = await this.source.call(webhook, attributes, invocation, true);
      return patched ? { ...attributes, object: patched } : attributes;
    } catch (err) {
      if (!(err instanceof CallingWebhookError)) throw err;
      const failure = failedCall(webhook, err);
      if (failure) throw failure;
      return attributes;
    }
  }
}

export class ValidatingWebhookPlugin implements ValidatingPlugin {
  readonly name = 'ValidatingAdmissionWebhook';

  constructor(private readonly source: WebhookSource) {}

  /** All matching webhooks are called at once, as the apiserver does; the first failure in webhook order is the answer. */
  async validate(attributes: AdmissionAttributes): Promise<void> {
    if (isExemptFromWebhooks(attributes.type)) return;
    const outcomes = await Promise.all(
      this.source.candidates(attributes).map(async ({ webhook, invocation }) => {
        if (!(await this.source.admits(webhook, attributes))) return undefined;
        try {
          await this.source.call(webhook, attributes, invocation, false);
          return undefined;
        } catch (err) {
          if (err instanceof CallingWebhookError) return failedCall(webhook, err);
          return err;
        }
      }),
    );
    const failure = outcomes.find((outcome) => outcome !== undefined);
    if (failure) throw failure;
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
