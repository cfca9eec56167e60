/**
 * SHA-256 digests (hex) of the short strings the simulation derives identities from (image IDs and sizes, container
 * disk checksums, MAC addresses), remembered: the same few strings come back at every status a component computes.
 * Forgotten all at once past a bound, so strings that differ every time (one per VMI) cannot grow it.
 */
import { createHash } from 'node:crypto';

const digests = new Map<string, string>();
const MAX_DIGESTS = 4096;

export function sha256Hex(text: string): string {
  let digest = digests.get(text);
  if (digest === undefined) {
    if (digests.size >= MAX_DIGESTS) digests.clear();
    digest = createHash('sha256').update(text).digest('hex');
    digests.set(text, digest);
  }
  return digest;
}
