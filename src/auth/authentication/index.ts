/**
 * The cluster's authentication, assembled from the data directory: the
 * static token file (a random kubernetes-admin token), kubernetes-admin's
 * client certificate signed by the cluster CA, and the ServiceAccount
 * signing key. All are made on first use and kept (0600), so credentials
 * differ per data directory and survive restarts on the same one.
 */
import type { Clock } from '../../runtime/clock.js';
import { loadOrCreateClientCertificate, type CertificateAuthority, type CertificateKeyPair } from '../../pki/certificates.js';
import { adminUser, SYSTEM_MASTERS } from '../user.js';
import { tokenUnion } from './authenticator.js';
import { RequestAuthenticator } from './request-authenticator.js';
import { loadOrCreateSigningKey } from './service-account-key.js';
import { SERVICE_ACCOUNT_ISSUER, ServiceAccountTokens, type ObjectLookup } from './service-account-tokens.js';
import { loadOrCreateStaticTokens } from './static-tokens.js';

export { RequestAuthenticator } from './request-authenticator.js';
export { ServiceAccountTokens, SERVICE_ACCOUNT_ISSUER } from './service-account-tokens.js';

/** Where kubernetes-admin's client certificate is kept in the data directory. */
export const ADMIN_CERTIFICATE_DIRECTORY = 'admin';

export interface AuthenticationOptions {
  dataDir: string;
  clock: Clock;
  lookup: ObjectLookup;
  /**
   * The cluster CA, which signs client certificates; absent when serving plain HTTP,
   * where requests without credentials are system:unsecured.
   */
  ca?: CertificateAuthority;
}

export interface ClusterAuthentication {
  authenticator: RequestAuthenticator;
  serviceAccountTokens: ServiceAccountTokens;
  /** kubernetes-admin's static bearer token (tokens.csv in the data directory). */
  adminToken: string;
  /** kubernetes-admin's client certificate, as kind's kubeconfig carries it; absent without a CA. */
  adminCertificate?: CertificateKeyPair;
}

export async function loadAuthentication(options: AuthenticationOptions): Promise<ClusterAuthentication> {
  const apiAudiences = [SERVICE_ACCOUNT_ISSUER];
  const [staticTokens, signingKey, adminCertificate] = await Promise.all([
    loadOrCreateStaticTokens(options.dataDir, apiAudiences),
    loadOrCreateSigningKey(options.dataDir),
    options.ca
      ? loadOrCreateClientCertificate(options.dataDir, ADMIN_CERTIFICATE_DIRECTORY, options.ca, adminUser.username, [SYSTEM_MASTERS])
      : undefined,
  ]);
  const serviceAccountTokens = new ServiceAccountTokens(signingKey, options.clock, options.lookup, apiAudiences);
  const authenticator = new RequestAuthenticator({
    tokens: tokenUnion([staticTokens.authenticate, serviceAccountTokens.authenticate]),
    apiAudiences,
    insecure: !options.ca,
  });
  return { authenticator, serviceAccountTokens, adminToken: staticTokens.adminToken, adminCertificate };
}
