/**
 * `--insecure-http` is an explicit opt-out, like kube-apiserver's old
 * insecure port: no TLS, and requests without credentials are a superuser
 * (system:unsecured in system:masters). So it listens on loopback only.
 */
import { isIP } from 'node:net';

export const INSECURE_HTTP_WARNING =
  'warning: --insecure-http serves plain HTTP on a loopback address: no TLS, and every request without credentials acts as ' +
  "system:unsecured (system:masters), as kube-apiserver's old insecure port did";

/** Loopback: localhost, 127.0.0.0/8, ::1 (bracketed or not), ::ffff:127.x. */
export function isLoopbackHost(host: string): boolean {
  const bare = host
    .trim()
    .replace(/^\[(.*)\]$/, '$1')
    .toLowerCase();
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || /^::ffff:127\./.test(bare);
  return false;
}

export function checkInsecureHost(host: string): void {
  if (!isLoopbackHost(host)) {
    throw new Error(
      `--insecure-http listens only on a loopback address (127.0.0.1, ::1 or localhost), not "${host}": ` +
        'plain HTTP has no TLS and serves requests without credentials as a superuser; ' +
        'drop --insecure-http to serve HTTPS on other addresses',
    );
  }
}
