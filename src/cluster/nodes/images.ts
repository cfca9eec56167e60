/**
 * Container image references as containerd reports them: "nginx" is
 * docker.io/library/nginx:latest, and an image's ID is its repository with
 * a sha256 digest. Digests and sizes are derived from the reference, so the
 * same image has the same ID on every node and every run.
 */
import { sha256Hex } from '../../kube/sha256.js';

/** The registry host of a reference's first component, if it names one (has a dot or a port, or is localhost). */
const hasRegistry = (first: string): boolean => first.includes('.') || first.includes(':') || first === 'localhost';

/** "nginx" -> "docker.io/library/nginx:latest"; "quay.io/x/y@sha256:..." stays. */
export function normalizeImage(image: string): string {
  const parts = image.split('/');
  let name = image;
  if (parts.length === 1) name = `docker.io/library/${image}`;
  else if (!hasRegistry(parts[0])) name = `docker.io/${image}`;
  if (name.includes('@')) return name;
  const lastPart = name.slice(name.lastIndexOf('/') + 1);
  return lastPart.includes(':') ? name : `${name}:latest`;
}

/** The repository without tag or digest: "docker.io/library/nginx". */
export function imageRepository(image: string): string {
  const normalized = normalizeImage(image);
  const at = normalized.indexOf('@');
  if (at >= 0) return normalized.slice(0, at);
  const colon = normalized.lastIndexOf(':');
  return colon > normalized.lastIndexOf('/') ? normalized.slice(0, colon) : normalized;
}

/** "docker.io/library/nginx@sha256:<64 hex>", the digest taken from the reference when it has one. */
export function imageID(image: string): string {
  const normalized = normalizeImage(image);
  const at = normalized.indexOf('@');
  if (at >= 0) return normalized;
  return `${imageRepository(image)}@sha256:${sha256Hex(normalized)}`;
}

/** A plausible image size in bytes (20 to 220 MB), fixed per reference. */
export const imageSizeBytes = (image: string): number =>
  20_000_000 + (parseInt(sha256Hex(`size:${normalizeImage(image)}`).slice(0, 8), 16) % 200_000_000);

/** Whether the image is nginx (its logs look like nginx's). */
export const isNginx = (image: string): boolean => /(^|\/)nginx(-unprivileged)?$/.test(imageRepository(image));

/** The Always default of an image without a tag or with :latest, as the API server applies it. */
export function effectivePullPolicy(image: string, policy: string | undefined): string {
  if (policy) return policy;
  const normalized = normalizeImage(image);
  return normalized.endsWith(':latest') ? 'Always' : 'IfNotPresent';
}
