/**
 * The root CA certificate publisher (pkg/controller/certificates/rootcacertpublisher):
 * every active namespace holds the ConfigMap `kube-root-ca.crt` whose
 * `ca.crt` is the cluster CA, so pods can verify the API server.
 */
import type { KubeObject } from '../../api/types.js';
import { Controller } from '../../runtime/controller.js';
import type { ComponentContext } from '../../runtime/component-context.js';
import { CONFIG_MAP, NAMESPACE } from '../workloads/objects.js';
import { isAlreadyExists } from '../../kube/owners.js';

export const ROOT_CA_CONFIG_MAP = 'kube-root-ca.crt';

const DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

/**
 * Stands in when the emulator serves plain HTTP and has no CA: a
 * syntactically valid PEM block that verifies nothing.
 */
export const PLACEHOLDER_CA_PEM =
  '-----BEGIN CERTIFICATE-----\nTk8gQ0E6IGt1YmV2aXJ0LWVtdWxhdG9yIHNlcnZlcyBwbGFpbiBIVFRQ\n-----END CERTIFICATE-----\n';

export function rootCaPublisher(ctx: ComponentContext, caPem: string = PLACEHOLDER_CA_PEM): Controller {
  const namespaces = ctx.informers.informerFor(NAMESPACE);
  const configMaps = ctx.informers.informerFor(CONFIG_MAP, { fieldSelector: `metadata.name=${ROOT_CA_CONFIG_MAP}` });
  const controller = new Controller({
    name: 'root-ca-cert-publisher',
    clock: ctx.clock,
    logger: ctx.logger,
    async reconcile(namespace) {
      const ns = namespaces.get(namespace);
      if (!ns || ns.metadata.deletionTimestamp) return;
      const existing = configMaps.getByName(namespace, ROOT_CA_CONFIG_MAP);
      const data = { 'ca.crt': caPem };
      const annotations = { 'kubernetes.io/description': DESCRIPTION };
      if (!existing) {
        try {
          await ctx.client.create({ ...CONFIG_MAP, metadata: { name: ROOT_CA_CONFIG_MAP, namespace, annotations }, data });
        } catch (err) {
          if (!isAlreadyExists(err)) throw err;
        }
      } else if ((existing.data as Record<string, string> | undefined)?.['ca.crt'] !== caPem) {
        await ctx.client.update<KubeObject>({
          ...existing,
          metadata: { ...existing.metadata, annotations: { ...existing.metadata.annotations, ...annotations } },
          data,
        });
      }
    },
  });
  return controller.watch(namespaces).watch(configMaps, (cm) => [cm.metadata.namespace ?? '']);
}
