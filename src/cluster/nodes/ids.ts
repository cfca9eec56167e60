/** Random identifiers (container IDs, machine IDs, UUIDs) from the seeded source, so runs repeat. */
import type { SeededRandom } from '../../runtime/seeded-random.js';

export function randomHex(random: SeededRandom, length: number): string {
  const words: string[] = [];
  for (let digits = 0; digits < length; digits += 8)
    words.push(
      Math.floor(random.next() * 0x1_0000_0000)
        .toString(16)
        .padStart(8, '0'),
    );
  // Joined once, so the ID is one flat string rather than a tree of its pieces kept in every status that holds it.
  return words.join('').slice(0, length);
}

/** A version 4 UUID. */
export function randomUuid(random: SeededRandom): string {
  const h = randomHex(random, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
}
