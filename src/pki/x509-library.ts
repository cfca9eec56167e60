/**
 * @peculiar/x509, set to sign with Node's webcrypto. Imported only through
 * loadX509 (peculiar-x509.ts), on first use. Its dependency tsyringe needs the
 * Reflect metadata API, which `reflect-metadata` provides: imported first.
 *
 * Static imports in a module of their own, rather than import() of the package,
 * so that a bundler can bundle the library (the test build does:
 * scripts/build-tests.mjs): a CommonJS package loaded by Node file by file
 * costs about three times its bundled copy.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as Crypto);

export { x509 };
