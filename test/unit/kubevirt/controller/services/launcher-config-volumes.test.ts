import t from 'tap';
import { clusterConfig } from '../../../../../src/kubevirt/controller/cluster-config.js';
import { renderLauncherPod } from '../../../../../src/kubevirt/controller/services/launcher-pod.js';
import type { VirtualMachineInstance } from '../../../../../src/kubevirt/controller/types.js';

t.test("the launcher pod mounts the VMI's Secrets and ConfigMaps as virt-controller's VolumeRenderer names them", async (t) => {
  const vmi: VirtualMachineInstance = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'v', namespace: 'ns', uid: 'u' },
    spec: {
      domain: { memory: { guest: '1Gi' } },
      volumes: [
        { name: 'root', persistentVolumeClaim: { claimName: 'disk' } },
        { name: 'cloudinit', cloudInitNoCloud: { secretRef: { name: 'userdata' }, networkDataSecretRef: { name: 'netdata' } } },
        { name: 'app-config', configMap: { name: 'settings', optional: true } },
        { name: 'creds', secret: { secretName: 'app-secret' } },
      ],
      accessCredentials: [
        { sshPublicKey: { source: { secret: { secretName: 'keys' } }, propagationMethod: { qemuGuestAgent: { users: ['fedora'] } } } },
        { userPassword: { source: { secret: { secretName: 'passwords' } }, propagationMethod: { qemuGuestAgent: {} } } },
      ],
    },
  };
  const volumes = renderLauncherPod(vmi, clusterConfig(undefined, undefined), 0).spec.volumes ?? [];
  const named = volumes.filter((v) => !('emptyDir' in v));
  // Order: config volumes (withVMIConfigVolumes), the VMI's volumes (withVMIVolumes), then access credentials.
  t.same(named, [
    { name: 'app-config', configMap: { name: 'settings', optional: true } },
    { name: 'creds', secret: { secretName: 'app-secret' } },
    { name: 'root', persistentVolumeClaim: { claimName: 'disk' } },
    { name: 'cloudinit-udata', secret: { secretName: 'userdata' } },
    { name: 'cloudinit-ndata', secret: { secretName: 'netdata' } },
    { name: 'keys-access-cred', secret: { secretName: 'keys' } },
    { name: 'passwords-access-cred', secret: { secretName: 'passwords' } },
  ]);
});
