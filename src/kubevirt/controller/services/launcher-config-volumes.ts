/**
 * The launcher pod's volumes for the VMI's Secrets and ConfigMaps, as
 * virt-controller's VolumeRenderer adds them (pkg/virt-controller/services/
 * rendervolumes.go): config disks (withVMIConfigVolumes), the cloud-init user
 * and network data Secrets (`<volume>-udata`, `<volume>-ndata`) and the
 * accessCredentials' Secrets (`<secret>-access-cred`). The kubelet mounts them,
 * which is what lets it read them under the Node authorizer.
 */
import type { VirtualMachineInstance, Volume } from '../types.js';

type PodVolume = Record<string, unknown> & { name: string };

interface NameRef {
  name?: string;
}
interface CloudInitSource {
  secretRef?: NameRef;
  networkDataSecretRef?: NameRef;
}
interface AccessCredential {
  sshPublicKey?: { source?: { secret?: { secretName?: string } } };
  userPassword?: { source?: { secret?: { secretName?: string } } };
}

const secretVolume = (name: string, secretName: string, optional?: boolean): PodVolume => ({
  name,
  secret: { secretName, ...(optional === undefined ? {} : { optional }) },
});

/** A `secret` or `configMap` volume of the VMI, mounted for its disk under the volume's own name. */
export function configVolume(volume: Volume): PodVolume | undefined {
  const secret = volume.secret as { secretName?: string; optional?: boolean } | undefined;
  if (secret?.secretName) return secretVolume(volume.name, secret.secretName, secret.optional);
  const configMap = volume.configMap as { name?: string; optional?: boolean } | undefined;
  if (configMap?.name) {
    return {
      name: volume.name,
      configMap: { name: configMap.name, ...(configMap.optional === undefined ? {} : { optional: configMap.optional }) },
    };
  }
  return undefined;
}

/** The user data and network data Secrets a cloudInitNoCloud or cloudInitConfigDrive volume names. */
export function cloudInitSecretVolumes(volume: Volume): PodVolume[] {
  const source = (volume.cloudInitNoCloud ?? volume.cloudInitConfigDrive) as CloudInitSource | undefined;
  const volumes: PodVolume[] = [];
  if (source?.secretRef?.name) volumes.push(secretVolume(`${volume.name}-udata`, source.secretRef.name));
  if (source?.networkDataSecretRef?.name) volumes.push(secretVolume(`${volume.name}-ndata`, source.networkDataSecretRef.name));
  return volumes;
}

/** One Secret volume for each accessCredential that names a Secret. */
export function accessCredentialVolumes(vmi: VirtualMachineInstance): PodVolume[] {
  return ((vmi.spec.accessCredentials ?? []) as AccessCredential[]).flatMap((credential) => {
    const secretName = (credential.sshPublicKey?.source?.secret ?? credential.userPassword?.source?.secret)?.secretName;
    return secretName ? [secretVolume(`${secretName}-access-cred`, secretName)] : [];
  });
}
