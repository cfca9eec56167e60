/**
 * The serviceaccounts/token subresource (TokenRequest): a signed JWT with the
 * claims kube-apiserver's token issuer writes, so `kubectl create token`
 * and clients that mint projected tokens get a well-formed answer. The key
 * lives for the process; nothing outside the emulator verifies these tokens.
 */
import { createSign, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { badRequest } from '../api/errors.js';
import { rfc3339, type Clock } from '../runtime/clock.js';
import type { GenericRegistry } from '../api/registry/registry.js';
import type { SubresourceHandler } from '../server/parts.js';

const issuer = 'https://kubernetes.default.svc.cluster.local';
const defaultExpirationSeconds = 3600;
const minExpirationSeconds = 600;

interface TokenRequestSpec {
  audiences?: string[];
  expirationSeconds?: number;
  boundObjectRef?: { kind?: string; apiVersion?: string; name?: string; uid?: string };
}

const base64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

export function tokenRequestHandler(registry: GenericRegistry, clock: Clock): SubresourceHandler {
  let key: KeyObject | undefined;
  return async ({ type, namespace, name, method, body }) => {
    if (method !== 'POST') throw badRequest('serviceaccounts/token supports only POST (create)');
    const serviceAccount = registry.get(type, namespace, name);
    const spec = ((body as { spec?: TokenRequestSpec } | undefined)?.spec ?? {}) as TokenRequestSpec;
    const expirationSeconds = Math.max(spec.expirationSeconds ?? defaultExpirationSeconds, minExpirationSeconds);
    const audiences = spec.audiences?.length ? spec.audiences : [issuer];
    const now = Math.floor(clock.nowMs() / 1000);
    const claims = {
      aud: audiences,
      exp: now + expirationSeconds,
      iat: now,
      iss: issuer,
      jti: randomUUID(),
      nbf: now,
      sub: `system:serviceaccount:${namespace}:${name}`,
      'kubernetes.io': { namespace, serviceaccount: { name, uid: serviceAccount.metadata.uid } },
    };
    key ??= generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const signingInput = `${base64url({ alg: 'ES256', typ: 'JWT' })}.${base64url(claims)}`;
    const signature = createSign('SHA256').update(signingInput).sign({ key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    return {
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { name, namespace, creationTimestamp: null },
      spec: { audiences, expirationSeconds, boundObjectRef: spec.boundObjectRef ?? null },
      status: { token: `${signingInput}.${signature}`, expirationTimestamp: rfc3339(new Date((now + expirationSeconds) * 1000)) },
    };
  };
}
