/**
 * What the running virt-operator is: its namespace, version and registry,
 * read from the pod that leads as the real operator reads them from its own
 * image and environment (`KUBEVIRT_VERSION`, `VIRT_OPERATOR_IMAGE`). A
 * manifest of another version or registry therefore deploys that version's
 * operands from that registry, once a pod of it leads.
 */
import type { KubeObject } from '../../api/types.js';
import { isPodReady, type Pod } from '../../kube/pods.js';

export interface OperatorIdentity {
  namespace: string;
  /** Version of the operator binary, e.g. v1.9.0-rc.2. */
  version: string;
  /** Registry of the operator image, e.g. quay.io/kubevirt. */
  registry: string;
  operatorImage: string;
}

interface EnvVar {
  name: string;
  value?: string;
}

interface ContainerSpec {
  name: string;
  image?: string;
  env?: EnvVar[];
}

/** A Deployment (its pod template) or a pod. */
interface OperatorWorkload extends KubeObject {
  spec?: { containers?: ContainerSpec[]; template?: { spec?: { containers?: ContainerSpec[] } } };
}

/** Splits `registry/name:tag` (or `@digest`) into its registry and tag. */
export function parseImage(image: string): { registry: string; name: string; tag?: string } {
  const digestAt = image.indexOf('@');
  const withoutDigest = digestAt < 0 ? image : image.slice(0, digestAt);
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', lastSlash + 1);
  const repository = colon < 0 ? withoutDigest : withoutDigest.slice(0, colon);
  const tag = colon < 0 ? undefined : withoutDigest.slice(colon + 1);
  const nameSlash = repository.lastIndexOf('/');
  return { registry: nameSlash < 0 ? '' : repository.slice(0, nameSlash), name: repository.slice(nameSlash + 1), tag };
}

/** The identity of a virt-operator Deployment or pod. */
export function operatorIdentity(workload: KubeObject): OperatorIdentity | undefined {
  const spec = (workload as OperatorWorkload).spec;
  const containers = spec?.template?.spec?.containers ?? spec?.containers ?? [];
  const container = containers.find((c) => c.name === 'virt-operator') ?? containers[0];
  if (!container?.image) return undefined;
  const env = new Map((container.env ?? []).map((variable) => [variable.name, variable.value]));
  const operatorImage = env.get('VIRT_OPERATOR_IMAGE') ?? container.image;
  const image = parseImage(operatorImage);
  const version = env.get('KUBEVIRT_VERSION') ?? image.tag ?? 'latest';
  return { namespace: workload.metadata.namespace ?? 'kubevirt', version, registry: image.registry, operatorImage };
}

/**
 * The pod holding the leader lease: the oldest Ready one that is not
 * terminating. Leadership passes on only when the leader goes, so during a
 * rollout of another operator version the old pods lead until the
 * Deployment controller removes them.
 */
export function leaderPod(pods: readonly Pod[]): Pod | undefined {
  const candidates = pods.filter((pod) => !pod.metadata.deletionTimestamp && isPodReady(pod));
  const age = (pod: Pod): string => `${pod.metadata.creationTimestamp ?? ''}/${pod.metadata.name ?? ''}`;
  return candidates.sort((a, b) => age(a).localeCompare(age(b)))[0];
}
