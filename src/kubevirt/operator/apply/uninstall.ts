/**
 * `DeleteAll` of virt-operator (apply/delete.go): the CRDs first (which takes
 * their custom resources with them), then every other operand kind in the
 * operator's order with grace period 0, then the kubevirt.io labels of the
 * nodes and the install strategy ConfigMaps. Each pass answers whether
 * everything is gone; the caller comes back until it is.
 */
import type { KubeObject } from '../../../api/types.js';
import type { Client } from '../../../client/client.js';
import type { Informer } from '../../../runtime/informer.js';
import type { ManagedCache } from './managed-cache.js';
import type { ObjectApplier } from './object-applier.js';
import { CONFIGMAP_REF, CRD_REF, MANAGED_KINDS, NODE_REF } from '../refs.js';
import { listStrategyConfigMaps } from '../install-strategy/strategy-configmap.js';

const isOperand = (obj: KubeObject): boolean =>
  obj.metadata.labels?.['app.kubernetes.io/managed-by'] === 'virt-operator' &&
  obj.metadata.labels?.['kubevirt.io/install-strategy'] === undefined;

export class Uninstaller {
  constructor(
    private readonly client: Client,
    private readonly applier: ObjectApplier,
    private readonly cache: ManagedCache,
    private readonly schedulableNodes: Informer,
  ) {}

  /** One pass; true once every operand, node label and strategy ConfigMap is gone. */
  async deleteAll(namespace: string): Promise<boolean> {
    const crds = this.cache.list(CRD_REF).filter(isOperand);
    if (crds.length > 0) {
      for (const crd of crds) if (!crd.metadata.deletionTimestamp) await this.applier.delete(CRD_REF, crd);
      return false;
    }
    let pending = false;
    for (const ref of MANAGED_KINDS) {
      for (const obj of this.cache.list(ref).filter(isOperand)) {
        pending = true;
        if (!obj.metadata.deletionTimestamp) await this.applier.delete(ref, obj, 0);
      }
    }
    if (pending) return false;
    await this.removeNodeLabels();
    for (const configMap of await listStrategyConfigMaps(this.client, namespace)) await this.applier.delete(CONFIGMAP_REF, configMap);
    return true;
  }

  private async removeNodeLabels(): Promise<void> {
    for (const node of this.schedulableNodes.list()) {
      const labels = Object.keys(node.metadata.labels ?? {}).filter((key) => key.startsWith('kubevirt.io/'));
      if (labels.length === 0) continue;
      await this.client.patch(NODE_REF, undefined, node.metadata.name ?? '', 'merge', {
        metadata: { labels: Object.fromEntries(labels.map((key) => [key, null])) },
      });
    }
  }
}
