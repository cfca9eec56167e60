/**
 * kube-apiserver's ValidatingAdmissionPolicy plugin: every binding whose
 * policy exists and whose policy and binding match the request is evaluated
 * (per param object when the policy has a paramKind); failures act as the
 * binding's validationActions say: Deny refuses the request with kube's
 * message and the validation's reason, Warn adds a `Warning` header, Audit is
 * accepted (the emulator keeps no audit log). Policies and bindings are read
 * through informers; a compile error in a policy is a failure under its
 * failurePolicy, as kube treats a policy it cannot compile.
 */
import { jsonToCel } from '../../api/cel/values.js';
import { CelAuthorizer, type AuthorizeFn } from '../../api/cel/library-authz.js';
import { compilePolicy } from '../../api/cel/policy.js';
import { forbidden, StatusError, type StatusReason } from '../../api/errors.js';
import { labelSelectorToString } from '../../api/selectors/label-selector.js';
import type { KubeObject, ResourceType } from '../../api/types.js';
import { serviceAccountUser } from '../../auth/user.js';
import type { Client } from '../../client/client.js';
import type { Informer, SharedInformerFactory } from '../../runtime/informer.js';
import type { AdmissionAttributes, AdmissionChain, ValidatingPlugin } from '../chain.js';
import { ShapeMemo } from '../shape-memo.js';
import { equivalentTypes, isExemptFromWebhooks } from '../webhooks/matching.js';
import { evaluatePolicy, type PolicyFailure } from './evaluate.js';
import { matchesResources, mayMatchResources } from './matching.js';
import { admissionRequestOf } from './request.js';
import { runPolicyStatus, type PolicyStatusOptions } from './status.js';
import type { ParamRef, ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from './types.js';

const ADMISSION_V1 = 'admissionregistration.k8s.io/v1';

export interface PolicyAdmissionOptions extends Pick<PolicyStatusOptions, 'customSchema' | 'logger'> {
  informers: SharedInformerFactory;
  /** Reads param objects and namespaces the informers have not seen. */
  client: Client;
  resourceTypes: () => readonly ResourceType[];
  /** The server's authorizer, for the `authorizer` variable: the request's user, or a named service account. */
  authorize: (user: AdmissionAttributes['user'], attributes: Parameters<AuthorizeFn>[1]) => ReturnType<AuthorizeFn>;
}

const NO_PARAMS = Symbol('no params found');

interface Candidate {
  binding: ValidatingAdmissionPolicyBinding;
  policy: ValidatingAdmissionPolicy;
}

const reasonCodes: Record<string, number> = { Forbidden: 403, Unauthorized: 401, RequestEntityTooLarge: 413, Invalid: 422 };

export class ValidatingAdmissionPolicyPlugin implements ValidatingPlugin {
  readonly name = 'ValidatingAdmissionPolicy';
  private readonly policies: Informer<ValidatingAdmissionPolicy>;
  private readonly bindings: Informer<ValidatingAdmissionPolicyBinding>;
  private readonly namespaces: Informer;
  /** The bindings in name order, kept until one changes: every write asks for them. */
  private sortedBindings: readonly ValidatingAdmissionPolicyBinding[] | undefined;
  /**
   * Per request shape (type, then operation, subresource and scope), the bindings, in name order, with a policy
   * whose resource rules and theirs may concern it (resource names, exclusions and selectors are still asked per
   * request); kept for one list of served types, until a policy or binding changes. Most writes concern none.
   */
  private shapes: { types: readonly ResourceType[]; byShape: ShapeMemo<readonly Candidate[]> } | undefined;

  constructor(private readonly options: PolicyAdmissionOptions) {
    this.policies = options.informers.informerFor({ apiVersion: ADMISSION_V1, kind: 'ValidatingAdmissionPolicy' });
    this.bindings = options.informers.informerFor({ apiVersion: ADMISSION_V1, kind: 'ValidatingAdmissionPolicyBinding' });
    this.namespaces = options.informers.informerFor({ apiVersion: 'v1', kind: 'Namespace' });
    const forgetBindings = (): void => {
      this.sortedBindings = undefined;
      this.shapes = undefined;
    };
    this.bindings.addEventHandler({ onAdd: forgetBindings, onUpdate: forgetBindings, onDelete: forgetBindings });
    const forgetPolicies = (): void => {
      this.shapes = undefined;
    };
    this.policies.addEventHandler({ onAdd: forgetPolicies, onUpdate: forgetPolicies, onDelete: forgetPolicies });
    runPolicyStatus(this.policies, options);
  }

  handles(attributes: AdmissionAttributes): boolean {
    return !isExemptFromWebhooks(attributes.type) && this.candidates(attributes).length > 0;
  }

  /** The bindings (with their policies) whose resource rules may concern requests of this shape. */
  private candidates(attributes: AdmissionAttributes): readonly Candidate[] {
    const types = this.options.resourceTypes();
    if (this.shapes?.types !== types) this.shapes = { types, byShape: new ShapeMemo() };
    return this.shapes.byShape.get(attributes, (shape) => {
      const equivalents = equivalentTypes(types, shape.type);
      this.sortedBindings ??= [...this.bindings.list()].sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
      return this.sortedBindings.flatMap((binding) => {
        // Validation refuses a binding without a policy name or a policy without a spec; stored state is not trusted to hold it.
        const policy = binding.spec?.policyName ? this.policies.getByName(undefined, binding.spec.policyName) : undefined;
        if (!policy?.spec) return [];
        const concerned =
          mayMatchResources(policy.spec.matchConstraints, shape, equivalents) &&
          mayMatchResources(binding.spec.matchResources, shape, equivalents);
        return concerned ? [{ binding, policy }] : [];
      });
    });
  }

  async validate(attributes: AdmissionAttributes): Promise<void> {
    if (isExemptFromWebhooks(attributes.type)) return;
    const candidates = this.candidates(attributes);
    if (candidates.length === 0) return;
    const equivalents = equivalentTypes(this.options.resourceTypes(), attributes.type);
    const namespaceLabels = (ns: string) => this.namespace(ns).then((n) => n?.metadata.labels ?? {});
    for (const { binding, policy } of candidates) {
      if (!(await matchesResources(policy.spec.matchConstraints, attributes, equivalents, namespaceLabels))) continue;
      if (!(await matchesResources(binding.spec.matchResources, attributes, equivalents, namespaceLabels))) continue;
      const failures = await this.evaluate(policy, binding, attributes);
      this.act(policy, binding, failures, attributes);
    }
  }

  private async evaluate(
    policy: ValidatingAdmissionPolicy,
    binding: ValidatingAdmissionPolicyBinding,
    attributes: AdmissionAttributes,
  ): Promise<PolicyFailure[]> {
    const failClosed = policy.spec.failurePolicy !== 'Ignore';
    const compiled = compilePolicy(policy.spec);
    if (compiled.errors.length) {
      const detail = compiled.errors.map((e) => `${e.field}: ${e.message}`).join(', ');
      return failClosed ? [{ message: `failed to compile: ${detail}`, reason: 'Invalid' }] : [];
    }
    const params = await this.params(policy, binding.spec.paramRef, attributes);
    if (params === NO_PARAMS)
      return failClosed ? [{ message: 'no params found for policy binding with `Deny` parameterNotFoundAction', reason: 'Invalid' }] : [];
    const namespace = attributes.namespace ? await this.namespace(attributes.namespace) : undefined;
    const context = {
      object: jsonToCel(attributes.object ?? null),
      oldObject: jsonToCel(attributes.oldObject ?? null),
      request: jsonToCel(admissionRequestOf(attributes)),
      namespaceObject: jsonToCel(namespace ?? null),
      authorizer: new CelAuthorizer((serviceAccount, a) =>
        this.options.authorize(serviceAccount ? serviceAccountUser(serviceAccount.namespace, serviceAccount.name) : attributes.user, a),
      ),
    };
    return params.flatMap((param) => evaluatePolicy(compiled, { ...context, params: jsonToCel(param) }, failClosed) ?? []);
  }

  /** The param objects for this binding: [null] without a paramKind, NO_PARAMS when none exist and the binding denies then. */
  private async params(
    policy: ValidatingAdmissionPolicy,
    ref: ParamRef | undefined,
    attributes: AdmissionAttributes,
  ): Promise<Array<KubeObject | null> | typeof NO_PARAMS> {
    const kind = policy.spec.paramKind;
    if (!kind?.apiVersion || !kind.kind || !ref) return [null];
    const type = this.options
      .resourceTypes()
      .find((t) => (t.group ? `${t.group}/${t.version}` : t.version) === kind.apiVersion && t.kind === kind.kind);
    const namespace = type?.namespaced ? (ref.namespace ?? attributes.namespace) : undefined;
    const kindRef = { apiVersion: kind.apiVersion, kind: kind.kind };
    let found: KubeObject[] = [];
    if (type && (!type.namespaced || namespace)) {
      if (ref.name) {
        found = await this.options.client.get(kindRef, namespace, ref.name).then(
          (o) => [o],
          () => [],
        );
      } else {
        const list = await this.options.client.list(kindRef, {
          namespace,
          labelSelector: labelSelectorToString(ref.selector) || undefined,
        });
        found = list.items;
      }
    }
    if (found.length) return found;
    return ref.parameterNotFoundAction === 'Deny' ? NO_PARAMS : [];
  }

  private async namespace(name: string): Promise<KubeObject | undefined> {
    return (
      this.namespaces.getByName(undefined, name) ??
      (await this.options.client.get({ apiVersion: 'v1', kind: 'Namespace' }, undefined, name).catch(() => undefined))
    );
  }

  private act(
    policy: ValidatingAdmissionPolicy,
    binding: ValidatingAdmissionPolicyBinding,
    failures: PolicyFailure[],
    attributes: AdmissionAttributes,
  ): void {
    if (!failures.length) return;
    const actions = binding.spec.validationActions ?? [];
    const [policyName, bindingName] = [policy.metadata.name, binding.metadata.name];
    if (actions.includes('Warn'))
      for (const f of failures)
        attributes.warnings.push(
          `Validation failed for ValidatingAdmissionPolicy '${policyName}' with binding '${bindingName}': ${f.message}`,
        );
    if (!actions.includes('Deny')) return;
    const [first] = failures;
    const message = `ValidatingAdmissionPolicy '${policyName}' with binding '${bindingName}' denied request: ${first.message}`;
    const base = forbidden({ group: attributes.type.group, resource: attributes.type.plural, name: attributes.name }, message);
    throw new StatusError(reasonCodes[first.reason] ?? 422, first.reason as StatusReason, base.message, {
      ...base.details,
      causes: [{ message }],
    });
  }
}

/** Adds the plugin to the chain, after the validating plugins added before (kube runs it just before the validating webhooks). */
export function registerPolicyAdmission(chain: AdmissionChain, options: PolicyAdmissionOptions): ValidatingAdmissionPolicyPlugin {
  const plugin = new ValidatingAdmissionPolicyPlugin(options);
  chain.addValidating(plugin);
  return plugin;
}
