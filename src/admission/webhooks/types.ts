/**
 * The wire shapes of dynamic admission: admissionregistration.k8s.io/v1
 * webhook configurations as stored, and admission.k8s.io/v1 AdmissionReview
 * as a webhook server receives and answers it.
 */
import type { StatusCause } from '../../api/errors.js';
import type { GroupVersionKind, GroupVersionResource, KubeObject } from '../../api/types.js';
import type { LabelSelectorObject } from '../../api/selectors/label-selector.js';

export interface RuleWithOperations {
  operations?: string[];
  apiGroups?: string[];
  apiVersions?: string[];
  resources?: string[];
  /** "Cluster", "Namespaced" or "*" (the default). */
  scope?: string;
}

export interface ServiceReference {
  namespace: string;
  name: string;
  path?: string;
  port?: number;
}

export interface Webhook {
  name: string;
  clientConfig: { service?: ServiceReference; url?: string; caBundle?: string };
  rules?: RuleWithOperations[];
  failurePolicy?: 'Fail' | 'Ignore';
  matchPolicy?: 'Exact' | 'Equivalent';
  namespaceSelector?: LabelSelectorObject;
  objectSelector?: LabelSelectorObject;
  sideEffects?: 'None' | 'NoneOnDryRun' | 'Some' | 'Unknown';
  timeoutSeconds?: number;
  admissionReviewVersions?: string[];
  /** Mutating webhooks only. */
  reinvocationPolicy?: 'Never' | 'IfNeeded';
  matchConditions?: Array<{ name: string; expression: string }>;
}

export interface WebhookConfiguration extends KubeObject {
  webhooks?: Webhook[];
}

export interface AdmissionUserInfo {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  resource: GroupVersionResource;
  subResource?: string;
  requestKind?: GroupVersionKind;
  requestResource?: GroupVersionResource;
  requestSubResource?: string;
  name?: string;
  namespace?: string;
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  userInfo: AdmissionUserInfo;
  object?: KubeObject | null;
  oldObject?: KubeObject | null;
  dryRun?: boolean;
  /** CreateOptions, UpdateOptions or DeleteOptions of meta.k8s.io/v1. */
  options?: Record<string, unknown> | null;
}

/** The `status` of a response: a metav1.Status without kind and apiVersion, all optional. */
export interface AdmissionResult {
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[] };
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: AdmissionResult;
  /** Base64 of a JSON Patch (RFC 6902). */
  patch?: string;
  patchType?: 'JSONPatch';
  auditAnnotations?: Record<string, string>;
  warnings?: string[];
}

export interface AdmissionReview {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  request?: AdmissionRequest;
  response?: AdmissionResponse;
}
