/**
 * The parts of the KubeVirt CR's configuration virt-api's admitters read
 * (pkg/virt-config), with KubeVirt v1.9's defaults, and the feature gates as
 * featuregate.IsEnabled decides them.
 */
import type { KubeObject } from '../../../api/types.js';

/** Stages of the gates admission looks at (pkg/virt-config/featuregate): GA and Beta are on unless disabled, Alpha off unless enabled. */
const GATE_STAGES: Record<string, 'Alpha' | 'Beta' | 'GA'> = {
  Snapshot: 'Beta',
  DeclarativeHotplugVolumes: 'Beta',
  HostDisk: 'Alpha',
  HostDevices: 'Alpha',
  Sidecar: 'Alpha',
  DownwardMetrics: 'Alpha',
  VSOCK: 'Alpha',
  ExperimentalIgnitionSupport: 'Alpha',
  DecentralizedLiveMigration: 'Alpha',
  Root: 'Alpha',
  VMExport: 'GA',
  LiveMigration: 'GA',
};

export interface AdmissionConfig {
  /** The namespace KubeVirt is installed in: its service accounts are the privileged ones. */
  installNamespace: string;
  defaultArchitecture: string;
  cpuModel: string;
  evictionStrategy: string;
  /** network.defaultNetworkInterface: bridge (default), masquerade or slirp. */
  defaultNetworkInterface: string;
  permitBridgeInterfaceOnPodNetwork: boolean;
  vmRolloutStrategy: string;
  maxHotplugRatio: number;
  maximumCpuSockets?: number;
  maximumGuestMemory?: string;
  isGateEnabled(gate: string): boolean;
  /** supportContainerResources: the requests and limits set for one kind of support container (virtiofs, ...). */
  supportContainerResources(type: string): SupportContainerResources;
}

export interface SupportContainerResources {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

interface KubeVirtConfiguration {
  developerConfiguration?: { featureGates?: string[]; disabledFeatureGates?: string[] };
  architectureConfiguration?: { defaultArchitecture?: string };
  cpuModel?: string;
  evictionStrategy?: string;
  network?: { defaultNetworkInterface?: string; permitBridgeInterfaceOnPodNetwork?: boolean };
  vmRolloutStrategy?: string;
  liveUpdateConfiguration?: { maxHotplugRatio?: number; maxCpuSockets?: number; maxGuest?: string };
  supportContainerResources?: Array<{ type?: string; resources?: SupportContainerResources }>;
}

export const DEFAULT_INSTALL_NAMESPACE = 'kubevirt';

/** The configuration of the cluster's KubeVirt CR (undefined before one exists: all defaults). */
export function admissionConfig(kubevirt: KubeObject | undefined): AdmissionConfig {
  const configuration = ((kubevirt?.spec as { configuration?: KubeVirtConfiguration } | undefined)?.configuration ??
    {}) as KubeVirtConfiguration;
  const developer = configuration.developerConfiguration ?? {};
  return {
    installNamespace: kubevirt?.metadata.namespace ?? DEFAULT_INSTALL_NAMESPACE,
    defaultArchitecture: configuration.architectureConfiguration?.defaultArchitecture ?? 'amd64',
    cpuModel: configuration.cpuModel ?? 'host-model',
    evictionStrategy: configuration.evictionStrategy ?? 'None',
    defaultNetworkInterface: configuration.network?.defaultNetworkInterface ?? 'bridge',
    permitBridgeInterfaceOnPodNetwork: configuration.network?.permitBridgeInterfaceOnPodNetwork ?? true,
    vmRolloutStrategy: configuration.vmRolloutStrategy ?? 'LiveUpdate',
    maxHotplugRatio: configuration.liveUpdateConfiguration?.maxHotplugRatio ?? 4,
    maximumCpuSockets: configuration.liveUpdateConfiguration?.maxCpuSockets,
    maximumGuestMemory: configuration.liveUpdateConfiguration?.maxGuest,
    isGateEnabled(gate) {
      if (developer.featureGates?.includes(gate)) return true;
      if (developer.disabledFeatureGates?.includes(gate)) return false;
      return (GATE_STAGES[gate] ?? 'Alpha') !== 'Alpha';
    },
    supportContainerResources: (type) => configuration.supportContainerResources?.find((c) => c.type === type)?.resources ?? {},
  };
}

/** KubeVirt's own service accounts (pkg/virt-api/webhooks/serviceaccounts.go): their writes pass the user-facing restrictions. */
export function isKubeVirtServiceAccount(username: string, config: AdmissionConfig): boolean {
  const prefix = `system:serviceaccount:${config.installNamespace}:`;
  return ['kubevirt-apiserver', 'kubevirt-controller', 'kubevirt-handler', 'kubevirt-synchronization-controller'].some(
    (sa) => username === prefix + sa,
  );
}
