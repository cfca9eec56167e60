/**
 * kube-controller-manager's housekeeping controllers: namespace deletion,
 * garbage collection, every namespace's default ServiceAccount and its
 * kube-root-ca.crt ConfigMap, the token Secrets of ServiceAccounts. They act only through the client.
 */
import { builtinResourceTypes } from '../../api/builtin-types.js';
import { apiVersionOf } from '../../api/types.js';
import type { Component } from '../../runtime/component.js';
import { asController, asIdentity, type ComponentContext } from '../../runtime/component-context.js';
import { DEFAULT_GC_KINDS, GarbageCollector } from './garbage-collector.js';
import { namespaceController, type NamespacedKind } from './namespace-controller.js';
import { PLACEHOLDER_CA_PEM, rootCaPublisher } from './root-ca-publisher.js';
import { serviceAccountTokensController, type LegacyTokenSigner } from './serviceaccount-tokens-controller.js';
import { serviceAccountsController } from './serviceaccounts-controller.js';

export type { NamespacedKind } from './namespace-controller.js';

export interface HousekeepingOptions {
  /**
   * Every namespaced kind currently served (built-in and CRD) that can be
   * listed and deleted; the namespace controller empties each of them.
   * Without it, the built-in kinds only.
   */
  namespacedKinds?: () => NamespacedKind[];
  /** The cluster CA published as `ca.crt` in every namespace's kube-root-ca.crt; a placeholder PEM without it (plain-HTTP emulators have no CA). */
  rootCaPem?: string;
  /** Signs legacy ServiceAccount tokens; with it, the token controller fills kubernetes.io/service-account-token Secrets. */
  signLegacyToken?: LegacyTokenSigner;
}

export function housekeepingComponents(ctx: ComponentContext, options: HousekeepingOptions = {}): Component[] {
  return [
    namespaceController(asController(ctx, 'namespace-controller'), { namespacedKinds: options.namespacedKinds ?? builtinNamespacedKinds }),
    new GarbageCollector(asController(ctx, 'generic-garbage-collector'), DEFAULT_GC_KINDS).controller,
    serviceAccountsController(asController(ctx, 'service-account-controller')),
    rootCaPublisher(asController(ctx, 'root-ca-cert-publisher'), options.rootCaPem),
    // kube-controller-manager runs the token controller on its own credentials, not a controller ServiceAccount.
    ...(options.signLegacyToken
      ? [
          serviceAccountTokensController(
            asIdentity(ctx, { component: 'kube-controller-manager' }),
            options.signLegacyToken,
            options.rootCaPem ?? PLACEHOLDER_CA_PEM,
          ),
        ]
      : []),
  ];
}

let builtinKinds: NamespacedKind[] | undefined;

/** The built-in namespaced kinds that can be listed and deleted (the table is built once). */
function builtinNamespacedKinds(): NamespacedKind[] {
  builtinKinds ??= builtinResourceTypes()
    .filter((type) => type.namespaced && type.verbs.includes('list') && type.verbs.includes('delete'))
    .map((type) => ({ apiVersion: apiVersionOf(type.group, type.version), kind: type.kind, plural: type.plural }));
  return builtinKinds;
}
