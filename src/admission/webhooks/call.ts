/**
 * One webhook call as kube-apiserver makes it (webhook/mutating and
 * validating dispatchers): the AdmissionReview v1 request, the Service
 * resolved to its in-process server, the timeout, the checks on the
 * response, and the errors in the apiserver's words: a transport failure is
 * an ErrCallingWebhook ("failed calling webhook ...") that failurePolicy may
 * ignore, a denial is "admission webhook ... denied the request".
 */
import { badRequest, StatusError, type StatusReason } from '../../api/errors.js';
import { applyDecodedJsonPatch, decodeJsonPatch, type Operation } from '../../api/patch/json-patch.js';
import type { JsonObject } from '../../api/patch/json.js';
import type { GroupVersionKind, GroupVersionResource, KubeObject, ResourceType } from '../../api/types.js';
import { apiVersionOf } from '../../api/types.js';
import type { Clock } from '../../runtime/clock.js';
import type { Logger } from '../../runtime/logger.js';
import type { AdmissionAttributes } from '../chain.js';
import { andThen, type MaybePromise } from '../maybe-async.js';
import type { WebhookBackends, WebhookHandler } from './backends.js';
import { decodedPatchOf } from './in-process-patch.js';
import type { Invocation } from './matching.js';
import type { UserInfo } from '../../auth/user.js';
import type { AdmissionRequest, AdmissionResponse, AdmissionResult, AdmissionReview, AdmissionUserInfo, Webhook } from './types.js';

/** A failure to talk to the webhook (not a rejection by it); failurePolicy decides what it means. */
export class CallingWebhookError extends Error {
  constructor(
    readonly webhookName: string,
    readonly reason: string,
  ) {
    super(`failed calling webhook "${webhookName}": ${reason}`);
  }
}

/** What the caller needs from the cluster to resolve a Service the way the apiserver's ClusterIP resolver does. */
export interface ServiceLookup {
  /** The Service's spec.clusterIP, or undefined when the Service does not exist. */
  clusterIP(namespace: string, name: string): string | undefined;
}

export interface CallDeps {
  backends: WebhookBackends;
  services: ServiceLookup;
  clock: Clock;
  newUid: () => string;
  /** Where a handler that throws is reported (the caller sees only the failed call, as from a server answering 500). */
  logger?: Logger;
}

const DEFAULT_TIMEOUT_SECONDS = 10;

/** `admission webhook "<name>" denied the request: <message>`, with the webhook's code (at least 400), as ToStatusErr builds it. */
export function denial(webhookName: string, result: AdmissionResult | undefined): StatusError {
  const deniedBy = `admission webhook "${webhookName}" denied the request`;
  const code = result?.code && result.code >= 400 ? result.code : 400;
  const message = result?.message
    ? `${deniedBy}: ${result.message}`
    : result?.reason
      ? `${deniedBy}: ${result.reason}`
      : `${deniedBy} without explanation`;
  return new StatusError(code, (result?.reason ?? '') as StatusReason, message, result?.details);
}

/** The object as the webhook sees it: in the version its rule matched (the object itself when that is its version). */
function presented(obj: KubeObject | undefined, invocation: Invocation): KubeObject | null {
  if (!obj) return null;
  const apiVersion = apiVersionOf(invocation.type.group, invocation.type.version);
  return obj.apiVersion === apiVersion ? obj : { ...obj, apiVersion };
}

/** What the handlers share of every call, frozen: per type, per user and per operation, the same objects each time. */
const requestTypes = new WeakMap<ResourceType, { kind: GroupVersionKind; resource: GroupVersionResource }>();
const userInfos = new WeakMap<UserInfo, AdmissionUserInfo>();
const optionsByOperation = new Map(
  (['CREATE', 'UPDATE', 'DELETE'] as const).map((operation) => {
    const kind = `${operation[0]}${operation.slice(1).toLowerCase()}Options`;
    const options = (dryRun: boolean) => Object.freeze({ apiVersion: 'meta.k8s.io/v1', kind, ...(dryRun ? { dryRun: ['All'] } : {}) });
    return [operation, { dryRun: options(true), write: options(false) }];
  }),
);

function requestTypeOf(type: ResourceType): { kind: GroupVersionKind; resource: GroupVersionResource } {
  let shared = requestTypes.get(type);
  if (!shared) {
    const kind = Object.freeze({ group: type.group, version: type.version, kind: type.kind });
    const resource = Object.freeze({ group: type.group, version: type.version, resource: type.plural });
    requestTypes.set(type, (shared = { kind, resource }));
  }
  return shared;
}

function userInfoOf(user: UserInfo): AdmissionUserInfo {
  let info = userInfos.get(user);
  if (!info) {
    info = Object.freeze({
      username: user.username,
      ...(user.uid ? { uid: user.uid } : {}),
      groups: Object.freeze([...user.groups]) as string[],
    });
    userInfos.set(user, info);
  }
  return info;
}

/** The AdmissionRequest of one call; its parts that repeat between calls are shared, frozen, as handlers only read them. */
export function admissionRequest(uid: string, attributes: AdmissionAttributes, invocation: Invocation): AdmissionRequest {
  const { subresource } = attributes;
  const requestType = requestTypeOf(attributes.type);
  const options = optionsByOperation.get(attributes.operation as 'CREATE');
  // Members in the order of the Go struct's fields, as a server receiving the JSON would see them.
  const request = { uid, kind: invocation.kind, resource: invocation.resource } as AdmissionRequest;
  if (subresource) request.subResource = subresource;
  request.requestKind = requestType.kind;
  request.requestResource = requestType.resource;
  if (subresource) request.requestSubResource = subresource;
  request.name = attributes.name ?? attributes.object?.metadata.name;
  request.namespace = attributes.namespace;
  request.operation = attributes.operation;
  request.userInfo = userInfoOf(attributes.user);
  request.object = presented(attributes.object, invocation);
  request.oldObject = presented(attributes.oldObject, invocation);
  request.dryRun = attributes.dryRun;
  request.options = options ? (attributes.dryRun ? options.dryRun : options.write) : null;
  return request;
}

/** The server answering at the webhook's Service and path, or the transport error a real call would meet. */
function resolve(webhook: Webhook, deps: CallDeps, timeoutSeconds: number): WebhookHandler {
  const url = (): string => urlOf(webhook, timeoutSeconds);
  const service = webhook.clientConfig.service;
  if (!service)
    throw new CallingWebhookError(
      webhook.name,
      `failed to call webhook: Post "${url()}": the emulator calls only webhooks served by a Service`,
    );
  const clusterIP = deps.services.clusterIP(service.namespace, service.name);
  if (clusterIP === undefined)
    throw new CallingWebhookError(webhook.name, `failed to call webhook: Post "${url()}": service "${service.name}" not found`);
  const backend = deps.backends.service(`${service.namespace}/${service.name}`);
  // Nothing listens behind the Service's ClusterIP: kube-proxy rejects the connection.
  if (!backend?.available()) {
    throw new CallingWebhookError(
      webhook.name,
      `failed to call webhook: Post "${url()}": dial tcp ${clusterIP}:${service.port ?? 443}: connect: connection refused`,
    );
  }
  const handler = backend.handler(service.path ?? '/');
  if (!handler) throw new CallingWebhookError(webhook.name, 'failed to call webhook: the server could not find the requested resource');
  return handler;
}

function urlOf(webhook: Webhook, timeoutSeconds: number): string {
  const service = webhook.clientConfig.service;
  const base = service
    ? `https://${service.name}.${service.namespace}.svc:${service.port ?? 443}${service.path ?? ''}`
    : (webhook.clientConfig.url ?? '');
  return `${base}?timeout=${timeoutSeconds}s`;
}

/**
 * The handler's answer. One given at once (the in-process servers' usual case) came before any time could pass,
 * simulated or real, so no deadline can have been missed and none is set; one still pending races the webhook's
 * timeout (simulation time), as a call to a server that takes time (or never answers) does.
 */
function answerOf(
  handler: WebhookHandler,
  review: AdmissionReview,
  webhook: Webhook,
  timeoutSeconds: number,
  deps: CallDeps,
): AdmissionResponse | Promise<AdmissionResponse> {
  let answer: AdmissionResponse | Promise<AdmissionResponse>;
  try {
    answer = handler(review);
  } catch (err) {
    throw serverError(webhook, err, deps);
  }
  return answer instanceof Promise ? withTimeout(answer, webhook, timeoutSeconds, deps) : answer;
}

/** A pending answer under the webhook's timeout (simulation time). */
async function withTimeout(
  answer: Promise<AdmissionResponse>,
  webhook: Webhook,
  timeoutSeconds: number,
  deps: CallDeps,
): Promise<AdmissionResponse> {
  const { clock } = deps;
  let timer: ReturnType<Clock['setTimeout']> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = clock.setTimeout(() => {
      const url = urlOf(webhook, timeoutSeconds);
      reject(new CallingWebhookError(webhook.name, `failed to call webhook: Post "${url}": context deadline exceeded`));
    }, timeoutSeconds * 1000);
  });
  try {
    return await Promise.race([answer, deadline]);
  } catch (err) {
    if (err instanceof CallingWebhookError) throw err;
    throw serverError(webhook, err, deps);
  } finally {
    if (timer !== undefined) clock.clearTimeout(timer);
  }
}

/** A handler that throws is a server answering 500; the request fails (or not) by failurePolicy, the server keeps serving. */
function serverError(webhook: Webhook, err: unknown, deps: CallDeps): CallingWebhookError {
  deps.logger?.error(`webhook "${webhook.name}" handler failed`, err);
  const text = err instanceof Error ? err.message : String(err);
  return new CallingWebhookError(
    webhook.name,
    `failed to call webhook: an error on the server ("${text}") has prevented the request from succeeding`,
  );
}

/** Whether the response carries a patch: operations from a server in this process, or a non-empty `patch`. */
const hasPatch = (response: AdmissionResponse): boolean => decodedPatchOf(response) !== undefined || Boolean(response.patch);

function verifyResponse(webhook: Webhook, uid: string, response: AdmissionResponse | undefined, mutating: boolean): AdmissionResponse {
  const invalidResponse = (why: string) => new CallingWebhookError(webhook.name, `received invalid webhook response: ${why}`);
  if (!response) throw invalidResponse('response was absent');
  if (response.uid !== uid) throw invalidResponse(`expected response.uid="${uid}", got "${response.uid}"`);
  if (hasPatch(response)) {
    if (!mutating) throw invalidResponse('validating webhook may not return response.patch');
    if (!response.patchType) throw invalidResponse('webhook returned response.patch but not response.patchType');
    if (response.patchType !== 'JSONPatch') throw invalidResponse(`webhook returned invalid response.patchType of "${response.patchType}"`);
  }
  return response;
}

/**
 * Calls one webhook: the object after the webhook's patch (mutating) or
 * undefined, at once when the server answers at once; a StatusError for a
 * denial and a CallingWebhookError for a failed call, thrown or rejected.
 */
export function callWebhook(
  webhook: Webhook,
  attributes: AdmissionAttributes,
  invocation: Invocation,
  deps: CallDeps,
  mutating: boolean,
): MaybePromise<KubeObject | undefined> {
  if (attributes.dryRun) {
    if (!webhook.sideEffects) throw new CallingWebhookError(webhook.name, 'Webhook SideEffects is nil');
    if (webhook.sideEffects !== 'None' && webhook.sideEffects !== 'NoneOnDryRun')
      throw badRequest(`admission webhook "${webhook.name}" does not support dry run`);
  }
  const timeoutSeconds = webhook.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  const handler = resolve(webhook, deps, timeoutSeconds);
  const uid = deps.newUid();
  const review: AdmissionReview = {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: admissionRequest(uid, attributes, invocation),
  };
  return andThen(answerOf(handler, review, webhook, timeoutSeconds, deps), (answer) => {
    const response = verifyResponse(webhook, uid, answer, mutating);
    attributes.warnings.push(...(response.warnings ?? []));
    if (!response.allowed) throw denial(webhook.name, response.status);
    if (!mutating || !hasPatch(response)) return undefined;
    const object = attributes.object ? (review.request?.object ?? undefined) : undefined;
    return applyResponsePatch(webhook, response, object, attributes.object?.apiVersion ?? '');
  });
}

/**
 * The mutating dispatcher's patch step (apiserver/pkg/admission/plugin/webhook/mutating/dispatcher.go): the patch
 * decoded with jsonpatch.DecodePatch and applied with Patch.Apply, the same evanphx engine as the API's own JSON
 * patches (src/api/patch/json-patch.ts); an empty patch changes nothing, and any error is an InternalError with
 * evanphx's (or Go's json) message.
 */
function applyResponsePatch(
  webhook: Webhook,
  response: AdmissionResponse,
  object: KubeObject | undefined,
  requestApiVersion: string,
): KubeObject | undefined {
  let operations: Operation[];
  try {
    // A server in this process hands its operations over as they would arrive (in-process-patch.ts).
    operations = decodeJsonPatch(decodedPatchOf(response) ?? JSON.parse(Buffer.from(response.patch ?? '', 'base64').toString('utf8')));
  } catch (err) {
    throw internalError((err as Error).message);
  }
  if (operations.length === 0) return undefined;
  // A non-empty patch with no object to apply it to (a DELETE).
  if (!object)
    throw internalError(`admission webhook "${webhook.name}" attempted to modify the object, which is not supported for this operation`);
  try {
    const patched = applyDecodedJsonPatch(object as unknown as JsonObject, operations) as unknown as KubeObject;
    return { ...patched, apiVersion: requestApiVersion };
  } catch (err) {
    throw internalError((err as Error).message);
  }
}

/** apierrors.NewInternalError: the error's text as the message and the one cause. */
const internalError = (message: string): StatusError =>
  new StatusError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
