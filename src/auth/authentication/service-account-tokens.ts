/**
 * ServiceAccount tokens as kube-apiserver issues and checks them
 * (pkg/serviceaccount): bound tokens from the TokenRequest API (issuer
 * https://kubernetes.default.svc.cluster.local, audiences, expiry, bound to a
 * Pod, Secret or Node) and legacy tokens the token controller writes into
 * Secrets (issuer kubernetes/serviceaccount, no expiry). Checked on every use
 * against the emulator's clock and the objects they name, with kube's
 * leeway and messages.
 */
import { randomUUID } from 'node:crypto';
import type { KubeObject } from '../../api/types.js';
import type { Clock } from '../../runtime/clock.js';
import { serviceAccountGroups, serviceAccountUsername, type UserInfo } from '../user.js';
import { AuthenticationError, goQuotedList, type Authenticated, type TokenAuthenticator } from './authenticator.js';
import type { SigningKey } from './service-account-key.js';

/** jose, loaded when the first token is signed or checked: about 70 ms of CPU a process that never sees one saves. */
let jose: Promise<typeof import('jose')> | undefined;
const loadJose = (): Promise<typeof import('jose')> => {
  jose ??= import('jose');
  return jose;
};

export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
export const LEGACY_ISSUER = 'kubernetes/serviceaccount';
/** go-jose's jwt.DefaultLeeway, which kube allows on exp, nbf and iat, and after a bound object's deletion. */
const LEEWAY_SECONDS = 60;
/** Tokens whose signature was checked, so a client's repeated requests verify once (claims are still checked every time). */
const VERIFIED_CACHE_SIZE = 10_000;

/** The extras a bound token's user carries (k8s.io/apiserver/pkg/authentication/serviceaccount). */
export const EXTRA = {
  podName: 'authentication.kubernetes.io/pod-name',
  podUid: 'authentication.kubernetes.io/pod-uid',
  nodeName: 'authentication.kubernetes.io/node-name',
  nodeUid: 'authentication.kubernetes.io/node-uid',
  credentialId: 'authentication.kubernetes.io/credential-id',
} as const;

export type BoundResource = 'serviceaccounts' | 'pods' | 'secrets' | 'nodes';

/** Reads an object as the apiserver's getters do; nodes are cluster-scoped (namespace ''). */
export type ObjectLookup = (resource: BoundResource, namespace: string, name: string) => KubeObject | undefined;

interface Ref {
  name: string;
  uid: string;
}

interface KubernetesClaim {
  namespace: string;
  node?: Ref;
  pod?: Ref;
  secret?: Ref;
  serviceaccount: Ref;
  warnafter?: number;
}

export interface BoundTokenSpec {
  serviceAccount: KubeObject;
  audiences: string[];
  expirationSeconds: number;
  /** Set for pod-bound tokens whose expiry the apiserver extended: past it, the token is stale but still accepted. */
  warnAfterSeconds?: number;
  pod?: KubeObject;
  secret?: KubeObject;
  node?: KubeObject;
}

const LEGACY_CLAIM = {
  namespace: 'kubernetes.io/serviceaccount/namespace',
  secretName: 'kubernetes.io/serviceaccount/secret.name',
  serviceAccountName: 'kubernetes.io/serviceaccount/service-account.name',
  serviceAccountUid: 'kubernetes.io/serviceaccount/service-account.uid',
} as const;

type Payload = Record<string, unknown>;

const refOf = (object: KubeObject): Ref => ({ name: object.metadata.name ?? '', uid: object.metadata.uid ?? '' });
const seconds = (ms: number): number => Math.floor(ms / 1000);
const deletedBefore = (object: KubeObject, cutoffSeconds: number): boolean =>
  object.metadata.deletionTimestamp !== undefined && seconds(Date.parse(object.metadata.deletionTimestamp)) < cutoffSeconds;

export class ServiceAccountTokens {
  private readonly verified = new Map<string, Payload>();

  constructor(
    private readonly key: SigningKey,
    private readonly clock: Clock,
    private readonly lookup: ObjectLookup,
    /** kube-apiserver's --api-audiences, which default to the issuer. */
    readonly apiAudiences: string[] = [SERVICE_ACCOUNT_ISSUER],
  ) {}

  /** A bound token (kube's token.Claims): iat and nbf now on the emulator's clock. */
  async issue(spec: BoundTokenSpec): Promise<string> {
    const now = seconds(this.clock.nowMs());
    const { namespace = '', name = '' } = spec.serviceAccount.metadata;
    const kubernetes: KubernetesClaim = { namespace, serviceaccount: refOf(spec.serviceAccount) };
    if (spec.node) kubernetes.node = refOf(spec.node);
    if (spec.pod) kubernetes.pod = refOf(spec.pod);
    else if (spec.secret) kubernetes.secret = refOf(spec.secret);
    if (spec.warnAfterSeconds) kubernetes.warnafter = now + spec.warnAfterSeconds;
    // Keys in the order Go's encoding of kube's claim maps gives them (sorted).
    return this.sign({
      aud: spec.audiences,
      exp: now + spec.expirationSeconds,
      iat: now,
      iss: SERVICE_ACCOUNT_ISSUER,
      jti: randomUUID(),
      'kubernetes.io': sortedKeys(kubernetes),
      nbf: now,
      sub: serviceAccountUsername(namespace, name),
    });
  }

  /** A legacy token for a Secret of type kubernetes.io/service-account-token (kube's LegacyClaims): no audience, no expiry. */
  async issueLegacy(serviceAccount: KubeObject, secret: KubeObject): Promise<string> {
    const namespace = serviceAccount.metadata.namespace ?? '';
    return this.sign({
      iss: LEGACY_ISSUER,
      [LEGACY_CLAIM.namespace]: namespace,
      [LEGACY_CLAIM.secretName]: secret.metadata.name,
      [LEGACY_CLAIM.serviceAccountName]: serviceAccount.metadata.name,
      [LEGACY_CLAIM.serviceAccountUid]: serviceAccount.metadata.uid ?? '',
      sub: serviceAccountUsername(namespace, serviceAccount.metadata.name ?? ''),
    });
  }

  /** The public key as a JSON Web Key Set, as /openid/v1/jwks serves it. */
  jwks(): { keys: Record<string, unknown>[] } {
    const { kty, crv, x, y } = this.key.publicKey.export({ format: 'jwk' });
    return { keys: [{ use: 'sig', kty, kid: this.key.keyId, crv, alg: this.key.algorithm, x, y }] };
  }

  /** Both issuers' tokens, as kube's two JWT authenticators (bound and legacy) together. */
  readonly authenticate: TokenAuthenticator = async (token, requestedAudiences) => {
    const issuer = await unverifiedIssuer(token);
    if (issuer !== SERVICE_ACCOUNT_ISSUER && issuer !== LEGACY_ISSUER) return undefined;
    const payload = await this.verifiedPayload(token);
    if (!payload) return undefined;
    const tokenAudiences = audiencesOf(payload);
    const claimed = tokenAudiences.length > 0 ? tokenAudiences : this.apiAudiences;
    const audiences = claimed.filter((audience) => requestedAudiences.includes(audience));
    if (audiences.length === 0) {
      throw new AuthenticationError(
        `token audiences ${goQuotedList(claimed)} is invalid for the target audiences ${goQuotedList(requestedAudiences)}`,
      );
    }
    const user = issuer === LEGACY_ISSUER ? this.validateLegacy(token, payload) : this.validateBound(payload);
    return { user, audiences } satisfies Authenticated;
  };

  private async sign(claims: Payload): Promise<string> {
    const header = { alg: this.key.algorithm, kid: this.key.keyId };
    const { CompactSign } = await loadJose();
    return new CompactSign(new TextEncoder().encode(JSON.stringify(claims))).setProtectedHeader(header).sign(this.key.privateKey);
  }

  /** The payload once its signature checks; undefined for a token that does not parse as a JWS of ours. */
  private async verifiedPayload(token: string): Promise<Payload | undefined> {
    const cached = this.verified.get(token);
    if (cached) return cached;
    let payload: Payload;
    const { compactVerify, errors: joseErrors } = await loadJose();
    try {
      const { payload: bytes } = await compactVerify(token, this.key.publicKey, { algorithms: [this.key.algorithm] });
      payload = JSON.parse(new TextDecoder().decode(bytes)) as Payload;
    } catch (error) {
      if (error instanceof joseErrors.JWSSignatureVerificationFailed)
        throw new AuthenticationError('go-jose/go-jose: error in cryptographic primitive');
      return undefined;
    }
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.clear();
    this.verified.set(token, payload);
    return payload;
  }

  /** kube's bound-token validator: time claims, then the ServiceAccount and the bound object still there with their uids. */
  private validateBound(payload: Payload): UserInfo {
    const now = seconds(this.clock.nowMs());
    checkTimes(payload, now);
    const claim = (payload['kubernetes.io'] ?? {}) as Partial<KubernetesClaim>;
    const namespace = claim.namespace ?? '';
    const accountRef = claim.serviceaccount ?? { name: '', uid: '' };
    const invalidIfDeletedBefore = now - LEEWAY_SECONDS;
    const account = this.lookup('serviceaccounts', namespace, accountRef.name);
    if (!account) throw new AuthenticationError(`serviceaccounts "${accountRef.name}" not found`);
    if (deletedBefore(account, invalidIfDeletedBefore))
      throw new AuthenticationError(`service account ${namespace}/${accountRef.name} has been deleted`);
    if (account.metadata.uid !== accountRef.uid) {
      throw new AuthenticationError(`service account UID (${account.metadata.uid}) does not match claim (${accountRef.uid})`);
    }
    const extra: Record<string, string[]> = {};
    if (claim.secret) this.checkBoundObject('secrets', namespace, claim.secret, invalidIfDeletedBefore, 'secret');
    if (claim.pod) {
      this.checkBoundObject('pods', namespace, claim.pod, invalidIfDeletedBefore, 'pod');
      extra[EXTRA.podName] = [claim.pod.name];
      extra[EXTRA.podUid] = [claim.pod.uid];
    } else if (claim.node) {
      this.checkBoundObject('nodes', '', claim.node, invalidIfDeletedBefore, 'node');
    }
    if (typeof payload.jti === 'string' && payload.jti !== '') extra[EXTRA.credentialId] = [`JTI=${payload.jti}`];
    if (claim.node) {
      extra[EXTRA.nodeName] = [claim.node.name];
      if (claim.node.uid) extra[EXTRA.nodeUid] = [claim.node.uid];
    }
    return {
      username: serviceAccountUsername(namespace, accountRef.name),
      uid: accountRef.uid,
      groups: serviceAccountGroups(namespace),
      ...(Object.keys(extra).length > 0 ? { extra } : {}),
    };
  }

  private checkBoundObject(resource: BoundResource, namespace: string, ref: Ref, invalidIfDeletedBefore: number, noun: string): void {
    const object = this.lookup(resource, namespace, ref.name);
    if (!object || deletedBefore(object, invalidIfDeletedBefore))
      throw new AuthenticationError('service account token has been invalidated');
    if (object.metadata.uid !== ref.uid) {
      throw new AuthenticationError(`${noun} UID (${object.metadata.uid}) does not match service account ${noun} ref claim (${ref.uid})`);
    }
  }

  /** kube's legacy validator: the Secret still holds this very token, the ServiceAccount still exists with its uid. */
  private validateLegacy(token: string, payload: Payload): UserInfo {
    const text = (key: string): string => (typeof payload[key] === 'string' ? (payload[key] as string) : '');
    const subject = text('sub');
    const namespace = text(LEGACY_CLAIM.namespace);
    const secretName = text(LEGACY_CLAIM.secretName);
    const accountName = text(LEGACY_CLAIM.serviceAccountName);
    const accountUid = text(LEGACY_CLAIM.serviceAccountUid);
    if (!subject) throw new AuthenticationError('sub claim is missing');
    if (!namespace) throw new AuthenticationError('namespace claim is missing');
    if (!secretName) throw new AuthenticationError('secretName claim is missing');
    if (!accountName) throw new AuthenticationError('serviceAccountName claim is missing');
    if (!accountUid) throw new AuthenticationError('serviceAccountUID claim is missing');
    if (subject !== serviceAccountUsername(namespace, accountName)) throw new AuthenticationError('sub claim is invalid');
    const secret = this.lookup('secrets', namespace, secretName);
    if (!secret || secret.metadata.deletionTimestamp || secret.metadata.labels?.['kubernetes.io/legacy-token-invalid-since']) {
      throw new AuthenticationError('token has been invalidated');
    }
    const stored = (secret as { data?: Record<string, string> }).data?.token;
    if (stored === undefined || Buffer.from(stored, 'base64').toString('utf8') !== token)
      throw new AuthenticationError("token does not match server's copy");
    const account = this.lookup('serviceaccounts', namespace, accountName);
    if (!account) throw new AuthenticationError(`serviceaccounts "${accountName}" not found`);
    if (account.metadata.deletionTimestamp) throw new AuthenticationError(`service account ${namespace}/${accountName} has been deleted`);
    if (account.metadata.uid !== accountUid)
      throw new AuthenticationError(`service account UID (${account.metadata.uid}) does not match claim (${accountUid})`);
    return { username: subject, uid: accountUid, groups: serviceAccountGroups(namespace) };
  }
}

/** go-jose's Claims.Validate with its default leeway, and the messages kube maps its errors to. */
function checkTimes(payload: Payload, now: number): void {
  const time = (key: string): number | undefined => (typeof payload[key] === 'number' ? (payload[key] as number) : undefined);
  const notBefore = time('nbf');
  const expiry = time('exp');
  const issuedAt = time('iat');
  if (notBefore !== undefined && now + LEEWAY_SECONDS < notBefore) throw new AuthenticationError('service account token is not valid yet');
  if (expiry !== undefined && now - LEEWAY_SECONDS > expiry) throw new AuthenticationError('service account token has expired');
  if (issuedAt !== undefined && now + LEEWAY_SECONDS < issuedAt) {
    throw new AuthenticationError('service account token claims could not be validated due to unexpected validation error');
  }
}

async function unverifiedIssuer(token: string): Promise<string | undefined> {
  const { decodeJwt } = await loadJose();
  try {
    const { iss } = decodeJwt(token);
    return iss;
  } catch {
    return undefined;
  }
}

function audiencesOf(payload: Payload): string[] {
  const aud = payload.aud;
  if (typeof aud === 'string') return [aud];
  return Array.isArray(aud) ? aud.filter((value): value is string => typeof value === 'string') : [];
}

function sortedKeys<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b))) as T;
}
