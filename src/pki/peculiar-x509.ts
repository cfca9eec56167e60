/**
 * Loads @peculiar/x509 on first use, ready to sign with Node's webcrypto
 * (x509-library.ts).
 *
 * Loaded lazily because importing it costs about 0.1 s, and a start that
 * finds its certificates already on disk never needs it (node:crypto is
 * enough to check them).
 */
export type X509 = typeof import('@peculiar/x509');

let loaded: Promise<X509> | undefined;

export function loadX509(): Promise<X509> {
  loaded ??= import('./x509-library.js').then((library) => library.x509);
  return loaded;
}
