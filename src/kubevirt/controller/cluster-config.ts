/**
 * What virt-controller takes from its own Deployment and the KubeVirt CR:
 * the launcher image (its `--launcher-image` argument) and the cluster
 * configuration that shapes launcher pods (pkg/virt-config defaults).
 */
import type { KubeObject } from '../../api/types.js';

export const DEFAULT_LAUNCHER_IMAGE = 'quay.io/kubevirt/virt-launcher:v1.9.0-rc.2';

export interface ClusterConfig {
  launcherImage: string;
  /** developerConfiguration.useEmulation: no /dev/kvm, so no kvm or vhost-net device requests. */
  useEmulation: boolean;
  /** developerConfiguration.cpuAllocationRatio (default 10): pod CPU request = vCPUs / ratio. */
  cpuAllocationRatio: number;
  /** developerConfiguration.memoryOvercommit (default 100 %). */
  memoryOvercommit: number;
  /** developerConfiguration.nodeSelectors: added to every launcher pod. */
  nodeSelectors: Record<string, string>;
  /**
   * The Beta gate ExternalNetResourceInjection (on unless disabled): an
   * external webhook adds the device resources of secondary networks, so the
   * VMI controller does not read NetworkAttachmentDefinitions.
   */
  externalNetResourceInjection: boolean;
  /**
   * The VM controller carries hotplug volumes of the VM template to the running VMI: DeclarativeHotplugVolumes (Beta)
   * on and the deprecated HotplugVolumes gate off (vm.go handleDeclarativeVolumeHotplug).
   */
  declarativeHotplug: boolean;
}

interface DeveloperConfiguration {
  useEmulation?: boolean;
  cpuAllocationRatio?: number;
  memoryOvercommit?: number;
  nodeSelectors?: Record<string, string>;
  featureGates?: string[];
  disabledFeatureGates?: string[];
}

/** A Beta gate: on unless listed in disabledFeatureGates (and not also enabled). */
const betaGateEnabled = (dev: DeveloperConfiguration, gate: string): boolean =>
  Boolean(dev.featureGates?.includes(gate)) || !dev.disabledFeatureGates?.includes(gate);

function launcherImageOf(deployment: KubeObject | undefined): string | undefined {
  const spec = deployment?.spec as { template?: { spec?: { containers?: Array<{ args?: string[] }> } } } | undefined;
  const args = spec?.template?.spec?.containers?.[0]?.args ?? [];
  const at = args.indexOf('--launcher-image');
  return at >= 0 ? args[at + 1] : undefined;
}

/** The configuration of the first KubeVirt CR (there is one per cluster) and the virt-controller Deployment. */
export function clusterConfig(controllerDeployment: KubeObject | undefined, kubevirt: KubeObject | undefined): ClusterConfig {
  const spec = kubevirt?.spec as { configuration?: { developerConfiguration?: DeveloperConfiguration } } | undefined;
  const dev = spec?.configuration?.developerConfiguration ?? {};
  return {
    launcherImage: launcherImageOf(controllerDeployment) ?? DEFAULT_LAUNCHER_IMAGE,
    useEmulation: dev.useEmulation ?? false,
    cpuAllocationRatio: dev.cpuAllocationRatio && dev.cpuAllocationRatio > 0 ? dev.cpuAllocationRatio : 10,
    memoryOvercommit: dev.memoryOvercommit && dev.memoryOvercommit > 0 ? dev.memoryOvercommit : 100,
    nodeSelectors: dev.nodeSelectors ?? {},
    externalNetResourceInjection: betaGateEnabled(dev, 'ExternalNetResourceInjection'),
    declarativeHotplug: betaGateEnabled(dev, 'DeclarativeHotplugVolumes') && !dev.featureGates?.includes('HotplugVolumes'),
  };
}
