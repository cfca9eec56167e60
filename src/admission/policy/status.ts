/**
 * kube's ValidatingAdmissionPolicy status controller: once per generation it
 * type-checks the policy's expressions against the schema of each kind its
 * matchConstraints name exactly (no wildcards) and writes
 * `status.typeChecking.expressionWarnings` and `status.observedGeneration`.
 * Kinds without a structural schema here (built-ins) are not checked.
 */
import { typeCheckWarnings } from '../../api/cel/policy.js';
import type { CrdSchemaNode } from '../../api/crd/crd-types.js';
import { apiVersionOf, type ResourceType } from '../../api/types.js';
import type { Client } from '../../client/client.js';
import type { Informer } from '../../runtime/informer.js';
import type { Logger } from '../../runtime/logger.js';
import type { ValidatingAdmissionPolicy } from './types.js';

export interface PolicyStatusOptions {
  client: Client;
  resourceTypes: () => readonly ResourceType[];
  /** The structural schema of a custom resource type (its CRD version's openAPIV3Schema). */
  customSchema: (type: ResourceType) => CrdSchemaNode | undefined;
  logger?: Logger;
}

const exact = (values: string[] | undefined): string[] => (values ?? []).filter((v) => v !== '*' && !v.includes('/'));

function matchedKinds(policy: ValidatingAdmissionPolicy, options: PolicyStatusOptions) {
  const kinds = new Map<string, { apiVersion: string; kind: string; schema: CrdSchemaNode }>();
  for (const rule of policy.spec.matchConstraints?.resourceRules ?? []) {
    for (const type of options.resourceTypes()) {
      const named =
        exact(rule.apiGroups).includes(type.group) &&
        exact(rule.apiVersions).includes(type.version) &&
        exact(rule.resources).includes(type.plural);
      const schema = named && type.custom ? options.customSchema(type) : undefined;
      if (schema)
        kinds.set(`${type.group}/${type.version}/${type.kind}`, {
          apiVersion: apiVersionOf(type.group, type.version),
          kind: type.kind,
          schema,
        });
    }
  }
  return [...kinds.values()];
}

async function writeStatus(policy: ValidatingAdmissionPolicy, options: PolicyStatusOptions): Promise<void> {
  const generation = policy.metadata.generation ?? 1;
  if ((policy.status as { observedGeneration?: number } | undefined)?.observedGeneration === generation) return;
  const warnings = typeCheckWarnings(policy.spec, matchedKinds(policy, options));
  const status = { observedGeneration: generation, typeChecking: warnings.length ? { expressionWarnings: warnings } : {} };
  const ref = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy' };
  await options.client.patch(ref, undefined, policy.metadata.name ?? '', 'merge', { status }, { subresource: 'status' });
}

/** Keeps every policy's status up to date with its generation. */
export function runPolicyStatus(policies: Informer<ValidatingAdmissionPolicy>, options: PolicyStatusOptions): void {
  const sync = (policy: ValidatingAdmissionPolicy): void => {
    writeStatus(policy, options).catch((err: unknown) => options.logger?.error(`status of policy ${policy.metadata.name}`, err));
  };
  policies.addEventHandler({ onAdd: sync, onUpdate: (_old, policy) => sync(policy) });
}
