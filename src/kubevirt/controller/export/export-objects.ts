/**
 * The objects a VirtualMachineExport brings along
 * (pkg/storage/export/export/export.go, links.go): the token Secret
 * `export-token-<name>`, the exporter pod and Service `virt-export-<name>`
 * (the pod runs no server here), and the status links with the URL shapes
 * the export server would serve.
 */
import type { KubeObject } from '../../../api/types.js';
import type { SeededRandom } from '../../../runtime/seeded-random.js';
import type { Claim } from '../snapshot/snapshot-common.js';
import { newControllerRef } from '../../../kube/owners.js';

export const EXPORT_SERVICE_LABEL = 'kubevirt.io.virt-export-service';

/** naming.GetName: `virt-export-<name>`, shortened to a DNS-1035 label. */
export const exporterName = (exportName: string): string => {
  const name = `virt-export-${exportName}`;
  return name.length <= 63 ? name : name.slice(0, 63).replace(/-+$/, '');
};

export const tokenSecretName = (exportName: string): string => `export-token-${exportName}`;

export function tokenSecret(vmExport: KubeObject, random: SeededRandom): KubeObject {
  let token = '';
  for (let i = 0; i < 20; i++) token += Math.floor(random.next() * 36).toString(36);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: tokenSecretName(vmExport.metadata.name ?? ''),
      namespace: vmExport.metadata.namespace,
      ownerReferences: [newControllerRef(vmExport)],
    },
    type: 'Opaque',
    data: { token: Buffer.from(token).toString('base64') },
  } as KubeObject;
}

export function exporterService(vmExport: KubeObject): KubeObject {
  const name = exporterName(vmExport.metadata.name ?? '');
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace: vmExport.metadata.namespace,
      labels: { [EXPORT_SERVICE_LABEL]: name },
      ownerReferences: [newControllerRef(vmExport)],
    },
    spec: { ports: [{ name: 'export', port: 443, protocol: 'TCP', targetPort: 8443 }], selector: { [EXPORT_SERVICE_LABEL]: name } },
  } as KubeObject;
}

/** The exporter pod: the export server image beside virt-launcher's, each PVC mounted, the token secret as a volume. */
export function exporterPod(vmExport: KubeObject, claims: readonly Claim[], launcherImage: string, tokenSecret: string): KubeObject {
  const name = exporterName(vmExport.metadata.name ?? '');
  const image = launcherImage.replace(/virt-launcher/, 'virt-exportserver');
  const volumes = claims.map((claim) => ({
    name: claim.metadata.name ?? '',
    persistentVolumeClaim: { claimName: claim.metadata.name ?? '' },
  }));
  const mounts = claims
    .filter((c) => c.spec?.volumeMode !== 'Block')
    .map((claim) => ({ name: claim.metadata.name ?? '', mountPath: `/export-volumes/${claim.metadata.name ?? ''}` }));
  const devices = claims
    .filter((c) => c.spec?.volumeMode === 'Block')
    .map((claim) => ({ name: claim.metadata.name ?? '', devicePath: `/dev/export-volumes/${claim.metadata.name ?? ''}` }));
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: vmExport.metadata.namespace,
      labels: { [EXPORT_SERVICE_LABEL]: name },
      ownerReferences: [newControllerRef(vmExport)],
    },
    spec: {
      restartPolicy: 'Never',
      containers: [
        {
          name: 'exporter',
          image,
          imagePullPolicy: 'IfNotPresent',
          args: ['--v', '3'],
          ports: [{ name: 'exporter', containerPort: 8443, protocol: 'TCP' }],
          readinessProbe: { httpGet: { path: '/exportready', port: 8443, scheme: 'HTTPS' } },
          ...(mounts.length ? { volumeMounts: mounts } : {}),
          ...(devices.length ? { volumeDevices: devices } : {}),
          resources: { requests: { cpu: '100m', memory: '200M' }, limits: { cpu: '1', memory: '1024Mi' } },
        },
      ],
      volumes: [...volumes, { name: 'token', secret: { secretName: tokenSecret } }],
    },
  } as KubeObject;
}

export interface ExportLinks {
  internal: {
    cert: string;
    volumes?: Array<{ name: string; formats: Array<{ format: string; url: string }> }>;
    manifests?: Array<{ type: string; url: string }>;
  };
}

/** Raw and gzip images for KubeVirt disk content, a directory and tarball otherwise (CDI's content-type annotation). */
function formatsOf(base: string, claim: Claim): Array<{ format: string; url: string }> {
  const contentType = claim.metadata.annotations?.['cdi.kubevirt.io/storage.contentType'];
  const path = `${base}/volumes/${claim.metadata.name ?? ''}`;
  if (claim.spec?.volumeMode === 'Block' || contentType === undefined || contentType === '' || contentType === 'kubevirt') {
    return [
      { format: 'raw', url: `${path}/disk.img` },
      { format: 'gzip', url: `${path}/disk.img.gz` },
    ];
  }
  return [
    { format: 'dir', url: `${path}/dir` },
    { format: 'tar.gz', url: `${path}/disk.tar.gz` },
  ];
}

export function internalLinks(vmExport: KubeObject, claims: readonly Claim[], cert: string, withManifests: boolean): ExportLinks {
  const base = `https://${exporterName(vmExport.metadata.name ?? '')}.${vmExport.metadata.namespace ?? ''}.svc`;
  return {
    internal: {
      cert,
      ...(claims.length ? { volumes: claims.map((claim) => ({ name: claim.metadata.name ?? '', formats: formatsOf(base, claim) })) } : {}),
      ...(withManifests
        ? {
            manifests: [
              { type: 'all', url: `${base}/internal/manifests/all` },
              { type: 'auth-header-secret', url: `${base}/internal/manifests/secret` },
            ],
          }
        : {}),
    },
  };
}
