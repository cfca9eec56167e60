/**
 * ControllerRevisions of DaemonSets and StatefulSets (pkg/controller/history):
 * one per distinct pod template, named `<owner>-<hash>`, holding the
 * template as a patch, numbered by revision; a template that comes back
 * (rollback) gets the next number again.
 */
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../../api/types.js';
import type { Client } from '../../client/client.js';
import { CONTROLLER_REVISION, type PodTemplateSpec } from './objects.js';
import { isAlreadyExists, isControlledBy, newControllerRef } from '../../kube/owners.js';
import { computeHash } from './template-hash.js';

interface ControllerRevision extends KubeObject {
  data?: unknown;
  revision: number;
}

type Owner = KubeObject & { spec: { template: PodTemplateSpec }; status?: Record<string, unknown> };

/** The revision data: the template as a strategic-merge patch that replaces it. */
const revisionData = (owner: Owner) => ({ spec: { template: { ...structuredClone(owner.spec.template), $patch: 'replace' } } });

/** Makes sure the owner's current template has the newest ControllerRevision; answers its hash (the controller-revision-hash label). */
export async function syncRevision(client: Client, owner: Owner): Promise<string> {
  const data = revisionData(owner);
  const collisionCount = owner.status?.collisionCount as number | undefined;
  const hash = computeHash(data, collisionCount);
  const revisions = (await client.list<ControllerRevision>(CONTROLLER_REVISION, { namespace: owner.metadata.namespace })).items.filter(
    (r) => isControlledBy(r, owner),
  );
  const newest = Math.max(0, ...revisions.map((r) => r.revision));
  const current = revisions.find((r) => isDeepStrictEqual(r.data, data));
  if (current) {
    if (current.revision < newest) await client.update<ControllerRevision>({ ...current, revision: newest + 1 });
    return current.metadata.labels?.['controller-revision-hash'] ?? hash;
  }
  const labels = { ...owner.spec.template.metadata?.labels, 'controller-revision-hash': hash };
  try {
    await client.create<ControllerRevision>({
      ...CONTROLLER_REVISION,
      metadata: {
        name: `${owner.metadata.name}-${hash}`,
        namespace: owner.metadata.namespace,
        labels,
        ownerReferences: [newControllerRef(owner)],
      },
      data,
      revision: newest + 1,
    });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
  return hash;
}
