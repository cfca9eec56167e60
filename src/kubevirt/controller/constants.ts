/** Kinds, labels, annotations, finalizers and reasons of KubeVirt's virt-controller (kubevirt.io/api/core/v1, pkg/controller). */
import type { KindRef } from '../../client/client.js';

export const VM_REF: KindRef = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine' };
export const VMI_REF: KindRef = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance' };
export const KUBEVIRT_REF: KindRef = { apiVersion: 'kubevirt.io/v1', kind: 'KubeVirt' };
export const POD_REF: KindRef = { apiVersion: 'v1', kind: 'Pod' };
export const NODE_REF: KindRef = { apiVersion: 'v1', kind: 'Node' };
export const PVC_REF: KindRef = { apiVersion: 'v1', kind: 'PersistentVolumeClaim' };
export const DEPLOYMENT_REF: KindRef = { apiVersion: 'apps/v1', kind: 'Deployment' };
export const CONTROLLER_REVISION_REF: KindRef = { apiVersion: 'apps/v1', kind: 'ControllerRevision' };
export const DAEMONSET_REF: KindRef = { apiVersion: 'apps/v1', kind: 'DaemonSet' };

/** Label selector of virt-controller's own Deployment and pods (the gate reads them). */
export const VIRT_CONTROLLER_SELECTOR = 'kubevirt.io=virt-controller';
export const VIRT_HANDLER_SELECTOR = 'kubevirt.io=virt-handler';

export const LABEL_APP = 'kubevirt.io';
export const LABEL_CREATED_BY = 'kubevirt.io/created-by';
export const LABEL_NODE_NAME = 'kubevirt.io/nodeName';
export const LABEL_VM_NAME = 'vm.kubevirt.io/name';
export const LABEL_VMI_ID = 'vmi.kubevirt.io/id';
export const LABEL_SCHEDULABLE = 'kubevirt.io/schedulable';
export const LABEL_OUTDATED_LAUNCHER = 'kubevirt.io/outdatedLauncherImage';

export const ANNOTATION_LATEST_API = 'kubevirt.io/latest-observed-api-version';
export const ANNOTATION_STORAGE_API = 'kubevirt.io/storage-observed-api-version';
export const ANNOTATION_VM_GENERATION = 'kubevirt.io/vm-generation';
export const ANNOTATION_DOMAIN = 'kubevirt.io/domain';
export const ANNOTATION_MEMORY_OVERHEAD = 'kubevirt.io/memory-overhead-bytes';
export const ANNOTATION_MIGRATION_TRANSPORT_UNIX = 'kubevirt.io/migrationTransportUnix';
export const ANNOTATION_HEARTBEAT = 'kubevirt.io/heartbeat';

export const FINALIZER_VM_CONTROLLER = 'kubevirt.io/virtualMachineControllerFinalize';
export const FINALIZER_VMI = 'kubevirt.io/foregroundDeleteVirtualMachine';
export const FINALIZER_VMI_LEGACY = 'foregroundDeleteVirtualMachine';
export const FINALIZER_ORPHAN = 'orphan';

/** The launcher pod's readiness gate, kept True by the VMI controller unless the VMI is paused. */
export const POD_CONDITION_UNPAUSED = 'kubevirt.io/virtual-machine-unpaused';
