/**
 * Certificates: the emulator's own CA, the API server's serving certificate,
 * and a generic issuer for components that need their own (virt-operator).
 *
 * All keys are ECDSA P-256 (fast to generate, accepted by Go and Node TLS).
 * The CA and serving pairs persist in the data directory so kubeconfigs
 * written by an earlier run stay valid and a warm start does no signing.
 */
import { createHash, createPrivateKey, KeyObject, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { loadX509, type X509 } from './peculiar-x509.js';

/** A certificate and its private key, both PEM (the key as PKCS#8). */
export interface CertificateKeyPair {
  certPem: string;
  keyPem: string;
}

/** A CA is a pair whose certificate may sign others. */
export type CertificateAuthority = CertificateKeyPair;

/** Usages as certificates.k8s.io names them (KeyUsage strings). */
export type CertificateUsage = 'digital signature' | 'key encipherment' | 'server auth' | 'client auth';

export interface IssueCertificateOptions {
  ca: CertificateAuthority;
  commonName: string;
  /** Subject O= entries; Kubernetes reads them as the client's groups. */
  organizations?: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
  validityDays: number;
  usages: CertificateUsage[];
  /** Defaults to now. Components on a virtual clock pass the clock's time. */
  notBefore?: Date;
}

export interface CreateAuthorityOptions {
  commonName: string;
  validityDays: number;
  notBefore?: Date;
}

export interface ServingCertificates {
  caPem: string;
  certPem: string;
  keyPem: string;
  /** The cluster CA with its key: it also signs client certificates (kubeadm's --client-ca-file is the same CA). */
  ca: CertificateAuthority;
}

const EC_KEY: EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNING: EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const DAY_MS = 24 * 60 * 60 * 1000;

const CA_COMMON_NAME = 'kubevirt-emulator-ca';
const CA_VALIDITY_DAYS = 3650;
const SERVING_COMMON_NAME = 'kube-apiserver';
const SERVING_VALIDITY_DAYS = 365;
/** Replace a stored certificate this long before it expires. */
const RENEW_BEFORE_MS = 30 * DAY_MS;
/** Names in-cluster clients use for the API server, as kubeadm puts them in its certificate. */
const IN_CLUSTER_NAMES = ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'];
const ALWAYS_SERVED_HOSTS = ['localhost', '127.0.0.1', '::1'];

const CLIENT_VALIDITY_DAYS = 365;
const CA_DIRECTORY = 'ca';

const CERT_FILE = 'tls.crt';
const KEY_FILE = 'tls.key';

/** A random 128-bit serial, positive (RFC 5280) and with a non-zero first byte so it keeps all 16 octets in DER. */
function randomSerialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('hex');
}

function addDays(start: Date, days: number): Date {
  return new Date(start.getTime() + days * DAY_MS);
}

async function generateKeyPair(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

function privateKeyPem(key: CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString();
}

async function importSigningKey(keyPem: string): Promise<CryptoKey> {
  const der = createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'der' });
  return webcrypto.subtle.importKey('pkcs8', der, EC_KEY, false, ['sign']);
}

function keyUsageFlags(x509: X509, usages: CertificateUsage[]): number {
  let flags = 0;
  if (usages.includes('digital signature')) flags |= x509.KeyUsageFlags.digitalSignature;
  if (usages.includes('key encipherment')) flags |= x509.KeyUsageFlags.keyEncipherment;
  return flags;
}

function extendedKeyUsages(x509: X509, usages: CertificateUsage[]): string[] {
  const extended: string[] = [];
  if (usages.includes('server auth')) extended.push(x509.ExtendedKeyUsage.serverAuth);
  if (usages.includes('client auth')) extended.push(x509.ExtendedKeyUsage.clientAuth);
  return extended;
}

export async function createCertificateAuthority(options: CreateAuthorityOptions): Promise<CertificateAuthority> {
  const x509 = await loadX509();
  const keys = await generateKeyPair();
  const notBefore = options.notBefore ?? new Date();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(),
    name: [{ CN: [options.commonName] }],
    notBefore,
    notAfter: addDays(notBefore, options.validityDays),
    signingAlgorithm: SIGNING,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: certificate.toString('pem'), keyPem: privateKeyPem(keys.privateKey) };
}

/** What signing with a CA takes from it: its parsed certificate, its imported key and the authority key identifier. */
interface Signer {
  certificate: InstanceType<X509['X509Certificate']>;
  key: CryptoKey;
  authorityKeyIdentifier: InstanceType<X509['AuthorityKeyIdentifierExtension']>;
}

/** Signers of the CAs used last, least recently used first: a few clusters' worth (virt-operator's CAs, the emulator's). */
const signers = new Map<string, Promise<Signer>>();
const REMEMBERED_SIGNERS = 16;

/**
 * The signer of `ca`, made once per process: parsing the CA's certificate and importing its key cost more than
 * the rest of an issue, and virt-operator issues a dozen and more certificates with one CA on each install.
 */
function signerOf(x509: X509, ca: CertificateAuthority): Promise<Signer> {
  const id = `${ca.certPem}\0${ca.keyPem}`;
  let signer = signers.get(id);
  if (signer) signers.delete(id);
  else {
    const certificate = new x509.X509Certificate(ca.certPem);
    signer = Promise.all([importSigningKey(ca.keyPem), x509.AuthorityKeyIdentifierExtension.create(certificate.publicKey)]).then(
      ([key, authorityKeyIdentifier]) => ({ certificate, key, authorityKeyIdentifier }),
    );
    // A CA whose key does not import fails each issue alike; it is not kept.
    signer.catch(() => signers.delete(id));
  }
  signers.set(id, signer);
  if (signers.size > REMEMBERED_SIGNERS) signers.delete(signers.keys().next().value as string);
  return signer;
}

export async function issueCertificate(options: IssueCertificateOptions): Promise<CertificateKeyPair> {
  const x509 = await loadX509();
  const [keys, signer] = await Promise.all([generateKeyPair(), signerOf(x509, options.ca)]);
  const notBefore = options.notBefore ?? new Date();
  const subject = [{ CN: [options.commonName] }, ...(options.organizations ?? []).map((organization) => ({ O: [organization] }))];
  const alternativeNames = [
    ...(options.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(options.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const extended = extendedKeyUsages(x509, options.usages);
  const extensions = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(keyUsageFlags(x509, options.usages), true),
    signer.authorityKeyIdentifier,
    ...(extended.length > 0 ? [new x509.ExtendedKeyUsageExtension(extended)] : []),
    ...(alternativeNames.length > 0 ? [new x509.SubjectAlternativeNameExtension(alternativeNames)] : []),
  ];
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject,
    issuer: signer.certificate.subjectName,
    notBefore,
    notAfter: addDays(notBefore, options.validityDays),
    signingAlgorithm: SIGNING,
    publicKey: keys.publicKey,
    signingKey: signer.key,
    extensions,
  });
  return { certPem: certificate.toString('pem'), keyPem: privateKeyPem(keys.privateKey) };
}

// ---- persistence in the data directory ----

/** Wall-clock time on purpose: TLS peers check validity against real time, not the simulation's clock. */
function expiresSoon(certificate: X509Certificate): boolean {
  return new Date(certificate.validTo).getTime() - Date.now() < RENEW_BEFORE_MS;
}

function matchesKey(certificate: X509Certificate, keyPem: string): boolean {
  return certificate.checkPrivateKey(createPrivateKey(keyPem));
}

function isUsableAuthority(pair: CertificateKeyPair): boolean {
  const certificate = new X509Certificate(pair.certPem);
  return certificate.ca && !expiresSoon(certificate) && matchesKey(certificate, pair.keyPem);
}

function isUsableLeafOf(ca: CertificateAuthority): (pair: CertificateKeyPair) => boolean {
  const authority = new X509Certificate(ca.certPem);
  return (pair) => {
    const certificate = new X509Certificate(pair.certPem);
    return certificate.verify(authority.publicKey) && !expiresSoon(certificate) && matchesKey(certificate, pair.keyPem);
  };
}

async function readPair(directory: string): Promise<CertificateKeyPair | undefined> {
  try {
    const [certPem, keyPem] = await Promise.all([
      readFile(join(directory, CERT_FILE), 'utf8'),
      readFile(join(directory, KEY_FILE), 'utf8'),
    ]);
    return { certPem, keyPem };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function isUsable(pair: CertificateKeyPair, check: (pair: CertificateKeyPair) => boolean): boolean {
  try {
    return check(pair);
  } catch {
    return false; // unparsable PEM: treat like a missing pair and replace it
  }
}

/**
 * Writes the pair into a staging directory and renames it into place, so
 * another emulator starting at the same time reads either nothing or a
 * complete pair. When that other process published first, its pair wins.
 * `replacing` removes a stale pair first (a race there costs at most one
 * extra certificate, never a broken one).
 */
async function publishPair(directory: string, pair: CertificateKeyPair, replacing: boolean): Promise<CertificateKeyPair> {
  const staging = await mkdtemp(`${directory}.staging-`);
  try {
    await writeFile(join(staging, CERT_FILE), pair.certPem, { mode: 0o644 });
    await writeFile(join(staging, KEY_FILE), pair.keyPem, { mode: 0o600 });
    if (replacing) await rm(directory, { recursive: true, force: true });
    await rename(staging, directory);
    return pair;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const published = code === 'ENOTEMPTY' || code === 'EEXIST' ? await readPair(directory) : undefined;
    if (published) return published;
    throw error;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function loadOrCreatePair(
  directory: string,
  check: (pair: CertificateKeyPair) => boolean,
  create: () => Promise<CertificateKeyPair>,
): Promise<CertificateKeyPair> {
  const stored = await readPair(directory);
  if (stored && isUsable(stored, check)) return stored;
  // A directory missing one of its files is stale too.
  const replacing = stored !== undefined || existsSync(directory);
  return publishPair(directory, await create(), replacing);
}

interface ServingNames {
  dnsNames: string[];
  ipAddresses: string[];
}

/** Splits hosts into DNS names and IPs (accepting "[::1]"), adding the loopback names and in-cluster names. */
function servingNames(hosts: string[]): ServingNames {
  const dnsNames = new Set(IN_CLUSTER_NAMES);
  const ipAddresses = new Set<string>();
  for (const host of [...ALWAYS_SERVED_HOSTS, ...hosts]) {
    const bare = host
      .trim()
      .replace(/^\[(.*)\]$/, '$1')
      .toLowerCase();
    if (bare === '') continue;
    if (isIP(bare)) ipAddresses.add(bare);
    else dnsNames.add(bare);
  }
  return { dnsNames: [...dnsNames].sort(), ipAddresses: [...ipAddresses].sort() };
}

/** One stored serving pair per distinct name set, so emulators on different hosts share a data directory. */
function servingDirectoryName(names: ServingNames): string {
  const digest = createHash('sha256').update(JSON.stringify(names)).digest('hex');
  return `serving-${digest.slice(0, 16)}`;
}

/**
 * The CA (created once, then reused) and a serving certificate for `hosts`
 * plus localhost, 127.0.0.1 and ::1 (reused while valid for the same names).
 */
export async function loadOrCreateCertificates(dataDir: string, hosts: string[]): Promise<ServingCertificates> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const ca = await loadOrCreatePair(join(dataDir, CA_DIRECTORY), isUsableAuthority, () =>
    createCertificateAuthority({ commonName: CA_COMMON_NAME, validityDays: CA_VALIDITY_DAYS }),
  );
  const names = servingNames(hosts);
  const serving = await loadOrCreatePair(join(dataDir, servingDirectoryName(names)), isUsableLeafOf(ca), () =>
    issueCertificate({
      ca,
      commonName: SERVING_COMMON_NAME,
      ...names,
      validityDays: SERVING_VALIDITY_DAYS,
      usages: ['digital signature', 'server auth'],
    }),
  );
  return { caPem: ca.certPem, certPem: serving.certPem, keyPem: serving.keyPem, ca };
}

/** The cluster CA of a data directory an emulator has run with, or undefined when there is none. */
export async function readCertificateAuthority(dataDir: string): Promise<CertificateAuthority | undefined> {
  const ca = await readPair(join(dataDir, CA_DIRECTORY));
  return ca && isUsable(ca, isUsableAuthority) ? ca : undefined;
}

/** A client certificate (CN = user, O = groups) signed by the cluster CA, valid for `validityDays` (default a year, as kubeadm's). */
export function issueClientCertificate(ca: CertificateAuthority, user: string, groups: string[], validityDays = CLIENT_VALIDITY_DAYS) {
  const usages: CertificateUsage[] = ['digital signature', 'key encipherment', 'client auth'];
  return issueCertificate({ ca, commonName: user, organizations: groups, validityDays, usages });
}

/** A client certificate kept in `<dataDir>/<directoryName>` and reused while the CA still verifies it and it is not about to expire. */
export async function loadOrCreateClientCertificate(
  dataDir: string,
  directoryName: string,
  ca: CertificateAuthority,
  user: string,
  groups: string[],
): Promise<CertificateKeyPair> {
  return loadOrCreatePair(join(dataDir, directoryName), isUsableLeafOf(ca), () => issueClientCertificate(ca, user, groups));
}
