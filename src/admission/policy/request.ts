/**
 * The `request` variable of admission CEL: the AdmissionRequest a webhook
 * would receive (kind, resource, subResource, name, namespace, operation,
 * userInfo with extra, dryRun, options), objects left to `object`/`oldObject`.
 */
import type { AdmissionAttributes } from '../chain.js';

export function admissionRequestOf(attributes: AdmissionAttributes): Record<string, unknown> {
  const type = attributes.type;
  const kind = { group: type.group, version: type.version, kind: type.kind };
  const resource = { group: type.group, version: type.version, resource: type.plural };
  const operationOptions: Record<string, string> = { CREATE: 'CreateOptions', UPDATE: 'UpdateOptions', DELETE: 'DeleteOptions' };
  const options = operationOptions[attributes.operation];
  return {
    kind,
    resource,
    subResource: attributes.subresource ?? '',
    requestKind: kind,
    requestResource: resource,
    requestSubResource: attributes.subresource ?? '',
    name: attributes.name ?? '',
    namespace: attributes.namespace ?? '',
    operation: attributes.operation,
    userInfo: {
      username: attributes.user.username,
      uid: attributes.user.uid ?? '',
      groups: attributes.user.groups,
      extra: attributes.user.extra ?? {},
    },
    dryRun: attributes.dryRun,
    options: options ? { kind: options, apiVersion: 'meta.k8s.io/v1' } : null,
  };
}
