/**
 * virt-api's own discovery documents for subresources.kubevirt.io
 * (pkg/virt-api/api.go composeSubresources): the APIResourceList of each
 * version, the APIGroup (with virt-api's singular-name quirk), and the
 * root paths.
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

/** virt-api's own /apis/subresources.kubevirt.io; its `name` really is the singular "subresource.kubevirt.io". */
export function apiGroup() {
  const versions = SUBRESOURCE_VERSIONS.map((version) => ({ groupVersion: `${SUBRESOURCE_GROUP}/${version}`, version }));
  return {
    kind: 'APIGroup',
    apiVersion: 'v1',
    name: 'subresource.kubevirt.io',
    versions,
    preferredVersion: versions[0],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '' }],
  };
}

export function apiGroupList() {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [apiGroup()] };
}

export function rootPaths() {
  const paths = ['/apis', '/openapi/v2'];
  for (const version of SUBRESOURCE_VERSIONS) paths.push(`/apis/${SUBRESOURCE_GROUP}`, `/apis/${SUBRESOURCE_GROUP}/${version}`);
  return { paths };
}
