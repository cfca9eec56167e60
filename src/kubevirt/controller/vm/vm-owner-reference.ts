/**
 * The controller reference virt-controller stamps on what a VirtualMachine owns (its VMI, start
 * ControllerRevisions, instancetype revisions, DataVolumes): always kubevirt.io/v1, whichever version the VM was
 * read in, as KubeVirt builds it from its v1 type.
 */
import type { OwnerReference } from '../../../api/types.js';
import { newControllerRef } from '../../../kube/owners.js';
import type { VirtualMachine } from '../types.js';

export const vmControllerRef = (vm: VirtualMachine): OwnerReference =>
  newControllerRef({ ...vm, apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine' });
