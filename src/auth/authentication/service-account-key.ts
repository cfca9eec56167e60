/**
 * The key that signs ServiceAccount tokens (kubeadm's sa.key): ECDSA P-256,
 * made once per data directory, owner-only. Another data directory means
 * another key, so a token of one emulator never authenticates at another.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { loadOrCreatePrivateFile } from './private-files.js';

export const SIGNING_KEY_FILE = 'sa.key';

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** kube's key ID: the unpadded base64url SHA-256 of the public key's DER (PKIX). */
  keyId: string;
  algorithm: 'ES256';
}

function isEcP256PrivateKey(pem: string): boolean {
  try {
    const key = createPrivateKey(pem);
    return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  } catch {
    return false;
  }
}

export function signingKeyFromPem(pem: string): SigningKey {
  const privateKey = createPrivateKey(pem);
  const publicKey = createPublicKey(privateKey);
  const keyId = createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64url');
  return { privateKey, publicKey, keyId, algorithm: 'ES256' };
}

export async function loadOrCreateSigningKey(dataDir: string): Promise<SigningKey> {
  const pem = await loadOrCreatePrivateFile(join(dataDir, SIGNING_KEY_FILE), isEcP256PrivateKey, () =>
    generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  );
  return signingKeyFromPem(pem);
}
