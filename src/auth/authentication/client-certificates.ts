/**
 * Client certificate authentication, as kube-apiserver's x509 authenticator
 * with --client-ca-file: a certificate the cluster CA signed, valid now and
 * usable for client auth, is the user named by its CN in the groups named by
 * its O entries, with the certificate's SHA-256 as the credential ID.
 * TLS asks for a certificate but does not require one (kube's
 * RequestClientCert): one the CA did not sign is refused here, with a 401.
 */
import type { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { AuthenticationError, type Authenticated } from './authenticator.js';

const CLIENT_AUTH_USAGE = '1.3.6.1.5.5.7.3.2';
const ANY_USAGE = '2.5.29.37.0';

/** Node's X509Certificate.subject lines ("CN=alice\nO=devs"), values unescaped (\\, and \\HH hex bytes). */
export function subjectAttributes(subject: string): Array<[string, string]> {
  return subject.split('\n').flatMap((line) => {
    const at = line.indexOf('=');
    return at <= 0 ? [] : [[line.slice(0, at), unescapeValue(line.slice(at + 1))] as [string, string]];
  });
}

function unescapeValue(value: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const hex = value[i] === '\\' ? /^[0-9A-Fa-f]{2}/.exec(value.slice(i + 1)) : null;
    if (hex) {
      bytes.push(parseInt(hex[0], 16));
      i += 2;
    } else {
      const char = value[i] === '\\' && i + 1 < value.length ? value[++i]! : value[i]!;
      bytes.push(...Buffer.from(char, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function refusal(socket: TLSSocket): string {
  const reason = String(socket.authorizationError ?? '');
  if (reason === 'CERT_HAS_EXPIRED' || reason === 'CERT_NOT_YET_VALID') return 'x509: certificate has expired or is not yet valid';
  return 'x509: certificate signed by unknown authority';
}

/** The user of a verified client certificate; undefined without one (or without a CN); throws for one the CA did not sign. */
export function userOfCertificate(
  certificate: X509Certificate,
  socket: Pick<TLSSocket, 'authorized' | 'authorizationError'>,
): Authenticated | undefined {
  if (!socket.authorized) throw new AuthenticationError(refusal(socket as TLSSocket));
  const usages = certificate.keyUsage;
  if (usages && !usages.includes(CLIENT_AUTH_USAGE) && !usages.includes(ANY_USAGE)) {
    throw new AuthenticationError('x509: certificate specifies an incompatible key usage');
  }
  const attributes = subjectAttributes(certificate.subject);
  const username = attributes.find(([key]) => key === 'CN')?.[1];
  if (!username) return undefined;
  const groups = attributes.filter(([key]) => key === 'O').map(([, value]) => value);
  const credentialId = `X509SHA256=${certificate.fingerprint256.replaceAll(':', '').toLowerCase()}`;
  return { user: { username, groups, extra: { 'authentication.kubernetes.io/credential-id': [credentialId] } }, audiences: [] };
}

const bySocket = new WeakMap<TLSSocket, { result?: Authenticated; error?: AuthenticationError }>();

/** The client certificate's user for this connection, computed once per TLS connection (a certificate cannot change on it). */
export function authenticateClientCertificate(socket: TLSSocket): Authenticated | undefined {
  let known = bySocket.get(socket);
  if (!known) {
    const certificate = typeof socket.getPeerX509Certificate === 'function' ? socket.getPeerX509Certificate() : undefined;
    try {
      known = { result: certificate ? userOfCertificate(certificate, socket) : undefined };
    } catch (error) {
      if (!(error instanceof AuthenticationError)) throw error;
      known = { error };
    }
    bySocket.set(socket, known);
  }
  if (known.error) throw known.error;
  return known.result;
}
