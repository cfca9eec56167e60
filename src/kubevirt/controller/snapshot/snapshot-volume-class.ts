/**
 * Which VolumeSnapshotClass would snapshot a storage class's volumes
 * (getVolumeSnapshotClassName in pkg/storage/snapshot/snapshot.go): the one
 * whose driver is the storage class's provisioner, or among several the one
 * annotated as default. Without the snapshot.storage.k8s.io CRDs there is
 * none, so KubeVirt leaves PVC volumes out of snapshots. Read through the client: an informer on a kind that may never
 * exist would hold its controller back from syncing.
 */
import type { KubeObject } from '../../../api/types.js';
import type { Client } from '../../../client/client.js';
import type { Informer } from '../../../runtime/informer.js';
import { statusCode } from '../errors.js';
import { VOLUME_SNAPSHOT_CLASS_REF } from './snapshot-common.js';

const DEFAULT_CLASS_ANNOTATION = 'snapshot.storage.kubernetes.io/is-default-class';

export class VolumeSnapshotClasses {
  constructor(
    private readonly client: Client,
    private readonly storageClasses: Informer,
  ) {}

  /** The class name, '' when there is none; throws (as KubeVirt errors) when several match and none is default. */
  async classFor(storageClassName: string | undefined): Promise<string> {
    const storageClass = storageClassName ? this.storageClasses.getByName(undefined, storageClassName) : undefined;
    if (!storageClass) return '';
    const provisioner = (storageClass as KubeObject & { provisioner?: string }).provisioner;
    const matches = (await this.list()).filter((vsc) => (vsc as KubeObject & { driver?: string }).driver === provisioner);
    if (matches.length <= 1) return matches[0]?.metadata.name ?? '';
    const preferred = matches.find((vsc) => vsc.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] !== undefined);
    if (preferred) return preferred.metadata.name ?? '';
    throw new Error(`${matches.length} matching VolumeSnapshotClasses for ${storageClassName}`);
  }

  private async list(): Promise<KubeObject[]> {
    try {
      return (await this.client.list(VOLUME_SNAPSHOT_CLASS_REF)).items;
    } catch (err) {
      if (statusCode(err) === 404) return [];
      throw err;
    }
  }
}
