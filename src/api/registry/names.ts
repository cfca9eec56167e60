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

/** A version-4 UUID drawn from the seeded source, so simulated runs repeat. */
export function generateUid(random: SeededRandom): string {
  const hex: string[] = [];
  for (let i = 0; i < 32; i++) hex.push(Math.floor(random.next() * 16).toString(16));
  hex[12] = '4';
  hex[16] = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  for (const dash of [20, 16, 12, 8]) hex.splice(dash, 0, '-');
  // One join makes one flat string; slices glued by a template would be kept as a tree of string pieces, ten
  // times the size, in every object that holds the uid.
  return hex.join('');
}
