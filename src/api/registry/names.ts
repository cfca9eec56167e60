/** Name generation as the apiserver's SimpleNameGenerator does it. */
import type { SeededRandom } from '../../runtime/seeded-random.js';

// Kubernetes leaves out vowels and easily confused characters so names never spell words.
const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
const randomLength = 5;
const maxGeneratedNameLength = 63 - randomLength;

export function generateName(base: string, random: SeededRandom): string {
  const prefix = base.length > maxGeneratedNameLength ? base.slice(0, maxGeneratedNameLength) : base;
  let suffix = '';
  for (let i = 0; i < randomLength; i++) suffix += alphabet[Math.floor(random.next() * alphabet.length)];
  return prefix + suffix;
}

const HEX_CODES = [...'0123456789abcdef'].map((c) => c.charCodeAt(0));
const DASH = '-'.charCodeAt(0);
/** The character codes of the uid being drawn (one uid at a time: nothing here awaits). */
const uidCodes = new Array<number>(36);

/** A version-4 UUID drawn from the seeded source, so simulated runs repeat. */
export function generateUid(random: SeededRandom): string {
  let at = 0;
  for (let i = 0; i < 32; i++) {
    // Every digit takes a draw, the version and variant digits too, so the source moves on by 32 per uid.
    const digit = Math.floor(random.next() * 16);
    if (i === 8 || i === 12 || i === 16 || i === 20) uidCodes[at++] = DASH;
    uidCodes[at++] = HEX_CODES[i === 12 ? 4 : i === 16 ? (digit & 0x3) | 0x8 : digit];
  }
  // One flat string from the codes; pieces glued by `+` or a template would be kept as a tree of string pieces, ten
  // times the size, in every object that holds the uid.
  return String.fromCharCode(...uidCodes);
}
