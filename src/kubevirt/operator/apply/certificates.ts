/**
 * virt-operator's certificates (components/secrets.go, apply/certificates.go,
 * pkg/certificates/triple): three self-signed ECDSA P-256 CAs, leaf
 * certificates signed by kubevirt-ca, their rotation deadlines, and the CA
 * bundle that webhooks and APIServices carry.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { KubeObject } from '../../../api/types.js';
import {
  createCertificateAuthority,
  issueCertificate,
  type CertificateAuthority,
  type CertificateUsage,
} from '../../../pki/certificates.js';
import type { KubeVirtSpec } from '../feature-gates.js';
import { memoizeByText } from '../memo.js';

export const DURATION_ANNOTATION = 'kubevirt.io/duration';
export const CA_SECRET = 'kubevirt-ca';
const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
const MAX_BUNDLE_CERTIFICATES = 50;

/** The subject each CA Secret is made for (triple.NewCA(name)). */
const CA_NAMES: Record<string, string> = {
  'kubevirt-ca': 'kubevirt.io',
  'kubevirt-export-ca': 'export.kubevirt.io',
  'kubevirt-backup-ca': 'backup.kubevirt.io',
};

/** Client certificates: Secret name → CN. */
const CLIENT_CERTIFICATES: Record<string, string> = {
  'kubevirt-virt-handler-certs': 'kubevirt.io:system:client:virt-handler',
  'kubevirt-virt-handler-migration-client-certs': 'kubevirt.io:system:client:migration',
  'kubevirt-virt-handler-vsock-client-certs': 'kubevirt.io:system:client:vsock',
  'kubevirt-virt-handler-monitoring-client-certs': 'kubevirt.io:system:client:monitoring',
  'kubevirt-synchronization-controller-certs': 'kubevirt.io:system:client:virt-synchronization-controller',
};

/** Server certificates: Secret name → the service they are for, and a CN that is not the DNS one. */
const SERVER_CERTIFICATES: Record<string, { service: string; commonName?: string }> = {
  'kubevirt-virt-api-certs': { service: 'virt-api' },
  'kubevirt-controller-certs': { service: 'virt-controller' },
  'kubevirt-exportproxy-certs': { service: 'virt-exportproxy' },
  'kubevirt-operator-certs': { service: 'kubevirt-operator-webhook' },
  'kubevirt-virt-handler-server-certs': { service: 'virt-handler', commonName: 'kubevirt.io:system:node:virt-handler' },
  'kubevirt-synchronization-controller-server-certs': {
    service: 'virt-synchronization-controller',
    commonName: 'kubevirt.io:system:node:virt-synchronization-controller',
  },
  'kubevirt-virt-template-api-certs': { service: 'virt-template-api-service' },
  'kubevirt-virt-template-webhook-certs': { service: 'virt-template-webhook-service' },
  'kubevirt-virt-template-controller-metrics-certs': { service: 'virt-template-controller-manager-metrics-service' },
};

export const isCaSecret = (name: string): boolean => name in CA_NAMES;
export const isCertificateSecret = (name: string): boolean =>
  isCaSecret(name) || name in CLIENT_CERTIFICATES || name in SERVER_CERTIFICATES;

/** Parses Go durations as the spec writes them ("168h", "24h0m0s", "90m"). */
export function parseGoDuration(text: string): number {
  let total = 0;
  const pattern = /(\d+(?:\.\d+)?)(h|ms|m|s)/g;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    const unit = { h: HOUR_MS, m: 60_000, s: 1000, ms: 1 }[match[2] as 'h' | 'm' | 's' | 'ms'];
    total += Number(match[1]) * unit;
  }
  return total;
}

/** Go's time.Duration.String() for whole seconds: "168h0m0s". */
export function formatGoDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60)}m${seconds % 60}s`;
}

export interface CertificatePolicy {
  caDurationMs: number;
  caRenewBeforeMs: number;
  serverDurationMs: number;
  serverRenewBeforeMs: number;
}

/** Defaults 7d and 24h, renewBefore 20 % of each; spec.certificateRotateStrategy.selfSigned overrides. */
export function certificatePolicy(spec: KubeVirtSpec): CertificatePolicy {
  const selfSigned = spec.certificateRotateStrategy?.selfSigned;
  const caDurationMs = selfSigned?.ca?.duration ? parseGoDuration(selfSigned.ca.duration) : 7 * DAY_MS;
  const serverDurationMs = selfSigned?.server?.duration ? parseGoDuration(selfSigned.server.duration) : DAY_MS;
  return {
    caDurationMs,
    caRenewBeforeMs: selfSigned?.ca?.renewBefore ? parseGoDuration(selfSigned.ca.renewBefore) : caDurationMs * 0.2,
    serverDurationMs,
    serverRenewBeforeMs: selfSigned?.server?.renewBefore ? parseGoDuration(selfSigned.server.renewBefore) : serverDurationMs * 0.2,
  };
}

interface SecretObject extends KubeObject {
  data?: Record<string, string>;
}

const decode = (value: string | undefined): string => (value ? Buffer.from(value, 'base64').toString('utf8') : '');
const encode = (value: string): string => Buffer.from(value, 'utf8').toString('base64');

/** How many certificates, keys and pairs of them the parsed facts are kept for: a few clusters' worth. */
const REMEMBERED = 512;

interface Validity {
  notBeforeMs: number;
  notAfterMs: number;
}

/** A certificate's validity period, or undefined when it does not parse. */
const validityOf = memoizeByText((pem): Validity | undefined => {
  try {
    const certificate = new X509Certificate(pem);
    return { notBeforeMs: new Date(certificate.validFrom).getTime(), notAfterMs: new Date(certificate.validTo).getTime() };
  } catch {
    return undefined;
  }
}, REMEMBERED);

const keyParses = memoizeByText((pem) => {
  try {
    createPrivateKey(pem);
    return true;
  } catch {
    return false;
  }
}, REMEMBERED);

/** The key and certificate a Secret holds, or undefined when it holds none that parse. */
export function pairOf(secret: KubeObject | undefined): CertificateAuthority | undefined {
  const data = (secret as SecretObject | undefined)?.data;
  const certPem = decode(data?.['tls.crt']);
  const keyPem = decode(data?.['tls.key']);
  if (!certPem || !keyPem || !validityOf(certPem) || !keyParses(keyPem)) return undefined;
  return { certPem, keyPem };
}

/** kubevirt.io's Secrets hold SEC1 ("EC PRIVATE KEY") keys; tls.ts issues PKCS#8. */
const sec1 = (keyPem: string): string => createPrivateKey(keyPem).export({ type: 'sec1', format: 'pem' }).toString();
/** Go's pem.Encode ends every block with a newline; bundles are concatenations of such blocks. */
const pemBlock = (pem: string): string => (pem.endsWith('\n') ? pem : `${pem}\n`);

export interface CertificateResult {
  secret: KubeObject;
  pair: CertificateAuthority;
  /** When the certificate must be renewed; the operator looks again then. */
  renewAt: Date;
}

/**
 * The Secret as it should be: the template's metadata with the existing
 * certificate if it is still good, a new one otherwise. `ca` is the signing
 * CA (kubevirt-ca) for leaf certificates; CAs sign themselves.
 */
export async function reconcileCertificate(
  template: KubeObject,
  existing: KubeObject | undefined,
  ca: CertificateAuthority | undefined,
  policy: CertificatePolicy,
  now: Date,
): Promise<CertificateResult> {
  const name = template.metadata.name ?? '';
  const isCa = isCaSecret(name);
  const durationMs = isCa ? policy.caDurationMs : policy.serverDurationMs;
  // The export and backup CAs use the server renewBefore (apply/certificates.go).
  const renewBeforeMs = name === CA_SECRET ? policy.caRenewBeforeMs : policy.serverRenewBeforeMs;
  const duration = formatGoDuration(durationMs);
  const current = pairOf(existing);
  const renewAt = current && renewalDeadline(current, ca, renewBeforeMs, policy);
  const stillGood =
    current &&
    renewAt &&
    existing?.metadata.annotations?.[DURATION_ANNOTATION] === duration &&
    now < renewAt &&
    (isCa || signedBy(current, ca));
  const pair = stillGood ? current : await issue(name, template.metadata.namespace ?? '', ca, durationMs, now);
  const secret: SecretObject = {
    ...template,
    metadata: { ...template.metadata, annotations: { ...template.metadata.annotations, [DURATION_ANNOTATION]: duration } },
    data: { 'tls.crt': encode(pair.certPem), 'tls.key': encode(pair.keyPem) },
  };
  return { secret, pair, renewAt: renewalDeadline(pair, ca, renewBeforeMs, policy) };
}

/** notAfter of a certificate that parsed before (pairOf, issue); NaN otherwise. */
const notAfterOf = (pem: string): number => validityOf(pem)?.notAfterMs ?? NaN;

function renewalDeadline(
  pair: CertificateAuthority,
  ca: CertificateAuthority | undefined,
  renewBeforeMs: number,
  policy: CertificatePolicy,
): Date {
  const notAfter = notAfterOf(pair.certPem);
  let deadline = notAfter - renewBeforeMs;
  if (ca && ca.certPem !== pair.certPem) {
    // A CA expiring before the certificate brings the deadline forward (caNotAfter - caRenewBefore/2).
    const caNotAfter = notAfterOf(ca.certPem);
    if (caNotAfter < notAfter) deadline = Math.min(deadline, caNotAfter - policy.caRenewBeforeMs / 2);
  }
  return new Date(deadline);
}

/** Certificate and CA PEMs joined by a NUL, which PEM never holds. */
const PAIR_SEPARATOR = '\0';

const issuedBy = memoizeByText((certificateThenCa) => {
  const [certificatePem, caPem] = certificateThenCa.split(PAIR_SEPARATOR);
  const certificate = new X509Certificate(certificatePem);
  const authority = new X509Certificate(caPem);
  return certificate.checkIssued(authority) && certificate.verify(authority.publicKey);
}, REMEMBERED);

const signedBy = (pair: CertificateAuthority, ca: CertificateAuthority | undefined): boolean =>
  ca !== undefined && issuedBy(`${pair.certPem}${PAIR_SEPARATOR}${ca.certPem}`);

async function issue(
  name: string,
  namespace: string,
  ca: CertificateAuthority | undefined,
  durationMs: number,
  now: Date,
): Promise<CertificateAuthority> {
  if (isCaSecret(name)) {
    const created = await createCertificateAuthority({
      commonName: `${CA_NAMES[name]}@${Math.floor(now.getTime() / 1000)}`,
      validityDays: durationMs / DAY_MS,
      notBefore: now,
    });
    return { certPem: pemBlock(created.certPem), keyPem: sec1(created.keyPem) };
  }
  if (!ca) throw new Error(`cannot issue ${name}: the CA is missing`);
  // triple.NewSignedCert: NotBefore is the CA's NotBefore, NotAfter is now + duration.
  const notBefore = new Date(new X509Certificate(ca.certPem).validFrom);
  const validityDays = (now.getTime() + durationMs - notBefore.getTime()) / DAY_MS;
  const client = CLIENT_CERTIFICATES[name];
  const server = SERVER_CERTIFICATES[name];
  if (!client && !server) throw new Error(`no certificate is known for secret ${name}`);
  const usages: CertificateUsage[] = ['digital signature', 'key encipherment', client ? 'client auth' : 'server auth'];
  const dnsNames = server
    ? [
        server.service,
        `${server.service}.${namespace}`,
        `${server.service}.${namespace}.svc`,
        `${server.service}.${namespace}.svc.cluster.local`,
      ]
    : undefined;
  const commonName = client ?? server?.commonName ?? `${server!.service}.${namespace}.pod.cluster.local`;
  const issued = await issueCertificate({
    ca: { certPem: ca.certPem, keyPem: ca.keyPem },
    commonName,
    dnsNames,
    usages,
    validityDays,
    notBefore,
  });
  return { certPem: pemBlock(issued.certPem), keyPem: sec1(issued.keyPem) };
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g;

/**
 * kubevirt-ca's ca-bundle: the current CA first, then earlier CAs still
 * valid and within the overlap window, then valid external CAs (at most 50).
 */
export function caBundle(currentCa: string, previousBundle: string, externalBundle: string, overlapMs: number, now: Date): string {
  const valid = (pem: string): Validity | undefined => {
    const validity = validityOf(pem);
    return validity && validity.notAfterMs > now.getTime() ? validity : undefined;
  };
  const certificates = [pemBlock(currentCa)];
  for (const pem of previousBundle.match(PEM_BLOCK) ?? []) {
    const validity = valid(pem);
    if (validity && !certificates.includes(pemBlock(pem)) && now.getTime() - validity.notBeforeMs < overlapMs)
      certificates.push(pemBlock(pem));
  }
  for (const pem of externalBundle.match(PEM_BLOCK) ?? [])
    if (valid(pem) && !certificates.includes(pemBlock(pem))) certificates.push(pemBlock(pem));
  return certificates.slice(0, MAX_BUNDLE_CERTIFICATES).join('');
}
