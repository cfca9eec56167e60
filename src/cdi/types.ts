/**
 * CDI's API as its controllers read it (kubevirt.io/containerized-data-importer-api,
 * pkg/apis/core/v1beta1) and the PVC annotations its controllers talk through
 * (pkg/controller/common/util.go of CDI v1.64.0): the DataVolume controller
 * writes the import source onto the claim, the import controller answers with
 * the importer pod's phase and running condition, and the DataVolume status
 * is derived from those.
 */
import type { KubeObject } from '../api/types.js';

export const DATA_VOLUME = { apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataVolume' } as const;
export const DATA_SOURCE = { apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataSource' } as const;
export const STORAGE_PROFILE = { apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'StorageProfile' } as const;
export const CDI = { apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'CDI' } as const;

const API_GROUP = 'cdi.kubevirt.io';
export const ANN_POD_PHASE = `${API_GROUP}/storage.pod.phase`;
export const ANN_POD_RESTARTS = `${API_GROUP}/storage.pod.restarts`;
export const ANN_RUNNING_CONDITION = `${API_GROUP}/storage.condition.running`;
export const ANN_RUNNING_MESSAGE = `${API_GROUP}/storage.condition.running.message`;
export const ANN_RUNNING_REASON = `${API_GROUP}/storage.condition.running.reason`;
export const ANN_CONTENT_TYPE = `${API_GROUP}/storage.contentType`;
export const ANN_SOURCE = `${API_GROUP}/storage.import.source`;
export const ANN_ENDPOINT = `${API_GROUP}/storage.import.endpoint`;
export const ANN_IMPORT_POD = `${API_GROUP}/storage.import.importPodName`;
export const ANN_CLONE_REQUEST = 'k8s.io/CloneRequest';
export const ANN_CLONE_OF = `${API_GROUP}/storage.cloneOf`;
export const ANN_USE_POPULATOR = `${API_GROUP}/storage.usePopulator`;
export const ANN_PREALLOCATION_REQUESTED = `${API_GROUP}/storage.preallocation.requested`;
export const ANN_CREATED_FOR_DATA_VOLUME = `${API_GROUP}/createdForDataVolume`;
/** KubeVirt's request to adopt an existing claim of the same name instead of refusing it (ErrResourceExists). */
export const ANN_ALLOW_CLAIM_ADOPTION = `${API_GROUP}/allowClaimAdoption`;

export interface ImportSource {
  http?: { url: string };
  s3?: { url: string };
  gcs?: { url: string };
  registry?: { url?: string; imageStream?: string };
  imageio?: { url: string };
  vddk?: { url: string };
  blank?: object;
  pvc?: { namespace?: string; name: string };
  snapshot?: { namespace?: string; name: string };
  upload?: object;
}

export interface DataVolumeCondition {
  type: 'Bound' | 'Ready' | 'Running';
  status: 'True' | 'False' | 'Unknown';
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface DataVolumeStatus {
  claimName?: string;
  phase?: string;
  progress?: string;
  restartCount?: number;
  conditions?: DataVolumeCondition[];
}

export interface DataVolume extends KubeObject {
  spec: {
    source?: ImportSource;
    sourceRef?: { kind: string; namespace?: string; name: string };
    pvc?: Record<string, unknown>;
    storage?: Record<string, unknown>;
    contentType?: string;
    preallocation?: boolean;
    priorityClassName?: string;
  };
  status?: DataVolumeStatus;
}

export interface DataSource extends KubeObject {
  spec: { source?: { pvc?: { namespace?: string; name: string }; snapshot?: { namespace?: string; name: string } } };
}
