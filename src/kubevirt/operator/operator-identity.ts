/**
 * What the running virt-operator is: its namespace, version and registry,
 * read from its Deployment as the real operator reads them from its own
 * image and environment (`KUBEVIRT_VERSION`, `VIRT_OPERATOR_IMAGE`). A
 * manifest of another version or registry therefore deploys that version's
 * operands from that registry.
 */
import type { KubeObject } from '../../api/types.js';

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

interface OperatorDeployment extends KubeObject {
  spec?: { template?: { spec?: { containers?: Array<{ name: string; image?: string; env?: EnvVar[] }> } } };
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

export function operatorIdentity(deployment: KubeObject): OperatorIdentity | undefined {
  const containers = (deployment as OperatorDeployment).spec?.template?.spec?.containers ?? [];
  const container = containers.find((c) => c.name === 'virt-operator') ?? containers[0];
  if (!container?.image) return undefined;
  const env = new Map((container.env ?? []).map((variable) => [variable.name, variable.value]));
  const operatorImage = env.get('VIRT_OPERATOR_IMAGE') ?? container.image;
  const image = parseImage(operatorImage);
  const version = env.get('KUBEVIRT_VERSION') ?? image.tag ?? 'latest';
  return { namespace: deployment.metadata.namespace ?? 'kubevirt', version, registry: image.registry, operatorImage };
}
