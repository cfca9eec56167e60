/**
 * virt-api's own discovery documents for subresources.kubevirt.io
 * (pkg/virt-api/api.go composeSubresources): the APIResourceList of each
 * version. /apis and /apis/subresources.kubevirt.io are the aggregator's
 * (built from the APIServices), so virt-api's own versions of them, with
 * their singular-name quirk, never reach a client.
 */

export const SUBRESOURCE_GROUP = 'subresources.kubevirt.io';
export const SUBRESOURCE_VERSIONS = ['v1', 'v1alpha3'] as const;

/** The listed names, in virt-api's order; some routes exist without being listed (VM addvolume, memorydump, ...). */
const LISTED_RESOURCES = [
  'expand-vm-spec',
  'virtualmachineinstances/vnc',
  'virtualmachineinstances/vnc/screenshot',
  'virtualmachineinstances/console',
  'virtualmachineinstances/portforward',
  'virtualmachineinstances/backup',
  'virtualmachineinstances/redefine-checkpoint',
  'virtualmachineinstances/pause',
  'virtualmachineinstances/unpause',
  'virtualmachineinstances/freeze',
  'virtualmachineinstances/unfreeze',
  'virtualmachineinstances/reset',
  'virtualmachineinstances/softreboot',
  'virtualmachines/start',
  'virtualmachines/stop',
  'virtualmachines/restart',
  'virtualmachines/migrate',
  'virtualmachines/expand-spec',
  'virtualmachines/objectgraph',
  'virtualmachines/evacuate/cancel',
  'virtualmachineinstances/guestosinfo',
  'virtualmachineinstances/userlist',
  'virtualmachineinstances/filesystemlist',
  'virtualmachineinstances/addvolume',
  'virtualmachineinstances/removevolume',
  'virtualmachineinstances/objectgraph',
  'virtualmachineinstances/sev/fetchcertchain',
  'virtualmachineinstances/sev/querylaunchmeasurement',
  'virtualmachineinstances/sev/setupsession',
  'virtualmachineinstances/sev/injectlaunchsecret',
  'virtualmachineinstances/evacuate/cancel',
];

/** Every key Go writes for an APIResource is present (name, singularName, namespaced, kind, verbs), as clients expect. */
export function resourceList(version: string) {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: `${SUBRESOURCE_GROUP}/${version}`,
    resources: LISTED_RESOURCES.map((name) => ({ name, singularName: '', namespaced: true, kind: '', verbs: [] })),
  };
}
