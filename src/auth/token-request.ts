/**
 * The serviceaccounts/token subresource (TokenRequest), as kube-apiserver's
 * TokenREST: validates the request, resolves the bound object (a Pod, with
 * the node it runs on; a Secret; or a Node), extends the expiry of pod-bound
 * tokens asking for kubelet's 3607 s (warning after the requested time), and
 * signs the token on the emulator's clock.
 */
import { badRequest, conflict, FieldError, invalid, StatusError } from '../api/errors.js';
import type { GenericRegistry } from '../api/registry/registry.js';
import type { KubeObject } from '../api/types.js';
import { rfc3339, type Clock } from '../runtime/clock.js';
import type { SubresourceHandler } from '../server/parts.js';
import type { TypeRegistry } from '../api/type-registry.js';
import type { ServiceAccountTokens } from './authentication/service-account-tokens.js';

const DEFAULT_EXPIRATION_SECONDS = 3600;
const MIN_EXPIRATION_SECONDS = 600;
const MAX_EXPIRATION_SECONDS = 2 ** 32;
/** kubelet's projected-token request; such pod-bound tokens get a year, with a warning after an hour (pkg/serviceaccount). */
const WARN_ONLY_EXPIRATION_SECONDS = 3607;
const EXTENDED_EXPIRATION_SECONDS = 365 * 24 * 3600;

interface BoundObjectRef {
  kind?: string;
  apiVersion?: string;
  name?: string;
  uid?: string;
}

interface TokenRequestBody {
  metadata?: { name?: string; namespace?: string };
  spec?: { audiences?: string[]; expirationSeconds?: number; boundObjectRef?: BoundObjectRef | null };
}

const KIND = 'TokenRequest';
const GROUP = 'authentication.k8s.io';

function validate(expirationSeconds: number): void {
  const errors: FieldError[] = [];
  if (expirationSeconds < MIN_EXPIRATION_SECONDS) {
    errors.push(
      new FieldError(
        'FieldValueInvalid',
        'spec.expirationSeconds',
        `Invalid value: ${expirationSeconds}: may not specify a duration less than 10 minutes`,
      ),
    );
  }
  if (expirationSeconds > MAX_EXPIRATION_SECONDS) {
    errors.push(
      new FieldError(
        'FieldValueInvalid',
        'spec.expirationSeconds',
        `Invalid value: ${expirationSeconds}: may not specify a duration larger than 2^32 seconds`,
      ),
    );
  }
  if (errors.length > 0) throw invalid(KIND, GROUP, '', errors);
}

export function tokenRequestHandler(
  registry: GenericRegistry,
  types: TypeRegistry,
  tokens: ServiceAccountTokens,
  clock: Clock,
): SubresourceHandler {
  const get = (kind: string, namespace: string | undefined, name: string) => registry.get(types.byKind('v1', kind)!, namespace, name);
  const getIfExists = (kind: string, name: string): KubeObject | undefined => {
    try {
      return get(kind, undefined, name);
    } catch (error) {
      if (error instanceof StatusError && error.code === 404) return undefined;
      throw error;
    }
  };
  return async ({ type, namespace = '', name, method, body, admit }) => {
    if (method !== 'POST') throw badRequest('serviceaccounts/token supports only POST (create)');
    const request = (body ?? {}) as TokenRequestBody;
    if (request.metadata?.name && request.metadata.name !== name) {
      throw invalid(KIND, GROUP, name, [
        new FieldError(
          'FieldValueInvalid',
          'metadata.name',
          `Invalid value: "${request.metadata.name}": must match the service account name if specified`,
        ),
      ]);
    }
    if (request.metadata?.namespace && request.metadata.namespace !== namespace) {
      throw invalid(KIND, GROUP, name, [
        new FieldError(
          'FieldValueInvalid',
          'metadata.namespace',
          `Invalid value: "${request.metadata.namespace}": must match the service account namespace if specified`,
        ),
      ]);
    }
    const serviceAccount = registry.get(type, namespace, name);
    const audiences = request.spec?.audiences?.length ? request.spec.audiences : tokens.apiAudiences;
    const requestedSeconds = request.spec?.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
    validate(requestedSeconds);
    const ref = request.spec?.boundObjectRef ?? undefined;
    // Taken before signing, so status.expirationTimestamp is never later than the token's exp.
    const issuedAt = clock.nowMs();
    const spec = {
      apiVersion: 'authentication.k8s.io/v1',
      kind: KIND,
      metadata: { name, namespace, creationTimestamp: rfc3339(new Date(issuedAt)) },
      spec: { audiences, expirationSeconds: requestedSeconds, ...(ref ? { boundObjectRef: ref } : {}) },
    };
    await admit(spec as unknown as KubeObject);

    const bound: { pod?: KubeObject; secret?: KubeObject; node?: KubeObject } = {};
    if (ref) {
      const [group, version] = (ref.apiVersion ?? '').includes('/') ? ref.apiVersion!.split('/') : ['', ref.apiVersion ?? ''];
      const objectName = ref.name ?? '';
      let object: KubeObject;
      if (group === '' && ref.kind === 'Pod') {
        object = bound.pod = get('Pod', namespace, objectName);
        if ((object as { spec?: { serviceAccountName?: string } }).spec?.serviceAccountName !== name) {
          throw badRequest(`cannot bind token for serviceaccount "${name}" to pod running with different serviceaccount name.`);
        }
        const nodeName = (object as { spec?: { nodeName?: string } }).spec?.nodeName;
        // A pod's node goes into the token when it still exists (ServiceAccountTokenPodNodeInfo).
        if (nodeName) bound.node = getIfExists('Node', nodeName);
      } else if (group === '' && ref.kind === 'Node') {
        object = bound.node = get('Node', undefined, objectName);
      } else if (group === '' && ref.kind === 'Secret') {
        object = bound.secret = get('Secret', namespace, objectName);
      } else {
        throw badRequest(`cannot bind token to object of type ${group}/${version}, Kind=${ref.kind ?? ''}`);
      }
      if (ref.uid && ref.uid !== object.metadata.uid) {
        throw conflict(
          { group: '', resource: ref.kind!, name: objectName },
          `the UID in the bound object reference (${ref.uid}) does not match the UID in record. ` +
            'The object might have been deleted and then recreated',
        );
      }
    }
    // Pod-bound tokens asking for kubelet's 3607 s live a year and warn after the hour (--service-account-extend-token-expiration).
    const extended =
      bound.pod !== undefined &&
      requestedSeconds === WARN_ONLY_EXPIRATION_SECONDS &&
      audiences.every((a) => tokens.apiAudiences.includes(a));
    const token = await tokens.issue({
      serviceAccount,
      audiences,
      expirationSeconds: extended ? EXTENDED_EXPIRATION_SECONDS : requestedSeconds,
      ...(extended ? { warnAfterSeconds: requestedSeconds } : {}),
      ...bound,
    });
    return { ...spec, status: { token, expirationTimestamp: rfc3339(new Date(issuedAt + requestedSeconds * 1000)) } };
  };
}
