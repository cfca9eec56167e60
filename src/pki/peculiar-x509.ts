/**
 * Loads @peculiar/x509 on first use, ready to sign with Node's webcrypto.
 *
 * Loaded lazily because importing it costs about 0.1 s, and a start that
 * finds its certificates already on disk never needs it (node:crypto is
 * enough to check them). Its dependency tsyringe needs the Reflect metadata
 * API, which `reflect-metadata` provides.
 */
import { webcrypto } from 'node:crypto';

export type X509 = typeof import('@peculiar/x509');

let loaded: Promise<X509> | undefined;

export function loadX509(): Promise<X509> {
  loaded ??= (async () => {
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto as Crypto);
    return x509;
  })();
  return loaded;
}
