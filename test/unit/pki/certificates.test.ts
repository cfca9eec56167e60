import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { loadX509 } from '../../../src/pki/peculiar-x509.js';
import { createCertificateAuthority, issueCertificate, loadOrCreateCertificates } from '../../../src/pki/certificates.js';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const YEAR_MS = 365 * 24 * 60 * 60 * 1000;

async function keyUsages(pem: string): Promise<{ ca: boolean | undefined; flags: number }> {
  const x509 = await loadX509();
  const certificate = new x509.X509Certificate(pem);
  return {
    ca: certificate.getExtension(x509.BasicConstraintsExtension)?.ca,
    flags: certificate.getExtension(x509.KeyUsagesExtension)?.usages ?? 0,
  };
}

t.test('first start creates a CA and a serving certificate it signed', async (t) => {
  const dataDir = t.testdir();
  const { caPem, certPem, keyPem } = await loadOrCreateCertificates(dataDir, ['emulator.example', '192.0.2.7']);
  const x509 = await loadX509();
  const ca = new X509Certificate(caPem);
  const leaf = new X509Certificate(certPem);

  t.equal(ca.subject, 'CN=kubevirt-emulator-ca');
  t.ok(ca.ca, 'CA certificate has basicConstraints CA:TRUE');
  t.ok(ca.verify(ca.publicKey), 'CA is self-signed');
  const caLifetime = Date.parse(ca.validTo) - Date.parse(ca.validFrom);
  t.ok(Math.abs(caLifetime - 10 * YEAR_MS) < 5 * 24 * 60 * 60 * 1000, 'CA valid for about 10 years');
  t.equal(ca.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1', 'ECDSA P-256');
  const caUsages = await keyUsages(caPem);
  t.ok(caUsages.flags & x509.KeyUsageFlags.keyCertSign, 'CA may sign certificates');

  t.ok(leaf.verify(ca.publicKey), 'serving certificate verifies with the CA public key');
  t.ok(leaf.checkIssued(ca), 'issuer matches the CA subject');
  t.notOk(leaf.ca);
  t.ok(leaf.checkPrivateKey((await import('node:crypto')).createPrivateKey(keyPem)), 'key matches the certificate');
  t.equal(leaf.checkHost('localhost'), 'localhost');
  t.equal(leaf.checkHost('emulator.example'), 'emulator.example');
  t.equal(leaf.checkIP('127.0.0.1'), '127.0.0.1');
  t.equal(leaf.checkIP('::1'), '::1');
  t.equal(leaf.checkIP('192.0.2.7'), '192.0.2.7');
  t.equal(leaf.checkIP('192.0.2.8'), undefined, 'no other IPs');
  t.match(leaf.subjectAltName, /DNS:kubernetes\.default\.svc/);
  t.same(leaf.keyUsage, [SERVER_AUTH], 'extended key usage is server auth only');
  const leafUsages = await keyUsages(certPem);
  t.equal(leafUsages.ca, false);
  t.ok(leafUsages.flags & x509.KeyUsageFlags.digitalSignature, 'digitalSignature set');
  t.notOk(leafUsages.flags & x509.KeyUsageFlags.keyCertSign, 'leaf cannot sign certificates');

  t.equal((await stat(join(dataDir, 'ca', 'tls.key'))).mode & 0o777, 0o600, 'CA key is private');
});

t.test('later starts reuse the CA, and the serving certificate for the same hosts', async (t) => {
  const dataDir = t.testdir();
  const first = await loadOrCreateCertificates(dataDir, ['127.0.0.1']);
  const started = performance.now();
  const second = await loadOrCreateCertificates(dataDir, ['127.0.0.1']);
  const warmMs = performance.now() - started;
  t.same(second, first, 'same CA, certificate and key');
  t.ok(warmMs < 100, `a warm load takes ${warmMs.toFixed(1)} ms`);

  const otherHost = await loadOrCreateCertificates(dataDir, ['emulator.example']);
  t.equal(otherHost.caPem, first.caPem, 'one CA for all host sets');
  t.not(otherHost.certPem, first.certPem, 'a different host set gets its own certificate');
  t.ok(new X509Certificate(otherHost.certPem).checkHost('emulator.example'));
  t.same(await loadOrCreateCertificates(dataDir, ['127.0.0.1']), first, 'the first host set is still cached');
});

t.test('concurrent first starts agree on one CA', async (t) => {
  const dataDir = t.testdir();
  const results = await Promise.all([1, 2, 3].map(() => loadOrCreateCertificates(dataDir, ['localhost'])));
  t.equal(new Set(results.map((r) => r.caPem)).size, 1);
  for (const result of results) t.ok(new X509Certificate(result.certPem).verify(new X509Certificate(result.caPem).publicKey));
  t.notOk(
    (await readdir(dataDir)).some((name) => name.includes('staging')),
    'no staging directories left',
  );
});

t.test('damaged or foreign stored certificates are replaced', async (t) => {
  const dataDir = t.testdir();
  const original = await loadOrCreateCertificates(dataDir, []);
  const servingDir = (await readdir(dataDir)).find((name) => name.startsWith('serving-'))!;
  await writeFile(join(dataDir, servingDir, 'tls.crt'), 'not a certificate');
  const repaired = await loadOrCreateCertificates(dataDir, []);
  t.equal(repaired.caPem, original.caPem);
  t.ok(new X509Certificate(repaired.certPem).verify(new X509Certificate(repaired.caPem).publicKey));

  const foreignCa = await createCertificateAuthority({ commonName: 'someone-else', validityDays: 30 * 12 });
  await writeFile(join(dataDir, 'ca', 'tls.crt'), foreignCa.certPem);
  const afterCaMismatch = await loadOrCreateCertificates(dataDir, []);
  t.not(afterCaMismatch.caPem, foreignCa.certPem, 'a CA whose key does not match is replaced');
  t.ok(
    new X509Certificate(afterCaMismatch.certPem).verify(new X509Certificate(afterCaMismatch.caPem).publicKey),
    'serving certificate reissued by the new CA',
  );
});

t.test('a TLS client trusting only the CA accepts the serving certificate', async (t) => {
  const { caPem, certPem, keyPem } = await loadOrCreateCertificates(t.testdir(), ['127.0.0.1']);
  const server = createServer({ cert: certPem, key: keyPem }, (_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  for (const servername of ['localhost', undefined]) {
    const authorized = await new Promise<boolean>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, ca: caPem, ...(servername && { servername }) }, () => {
        resolve(socket.authorized);
        socket.end();
      });
      socket.on('error', reject);
    });
    t.ok(authorized, `verified as ${servername ?? '127.0.0.1'}`);
  }
});

t.test('issueCertificate makes client certificates with groups', async (t) => {
  const ca = await createCertificateAuthority({ commonName: 'test-ca', validityDays: 1 });
  const notBefore = new Date('2030-01-01T00:00:00Z');
  const issued = await issueCertificate({
    ca,
    commonName: 'system:serviceaccount:kubevirt:kubevirt-handler',
    organizations: ['system:serviceaccounts', 'system:masters'],
    validityDays: 2,
    usages: ['digital signature', 'key encipherment', 'client auth'],
    notBefore,
  });
  const x509 = await loadX509();
  const leaf = new X509Certificate(issued.certPem);
  t.ok(leaf.verify(new X509Certificate(ca.certPem).publicKey));
  t.equal(leaf.subject, 'CN=system:serviceaccount:kubevirt:kubevirt-handler\nO=system:serviceaccounts\nO=system:masters');
  t.same(leaf.keyUsage, [CLIENT_AUTH]);
  t.equal(leaf.subjectAltName, undefined, 'no SAN extension without names');
  t.equal(Date.parse(leaf.validFrom), notBefore.getTime());
  t.equal(Date.parse(leaf.validTo) - Date.parse(leaf.validFrom), 2 * 24 * 60 * 60 * 1000);
  const { flags } = await keyUsages(issued.certPem);
  t.equal(flags, x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment);
});
