/**
 * Simulation timings as data, not code (as KWOK's stages): how long each
 * simulated step takes, in milliseconds, with a jitter fraction applied from
 * the seeded random source. `instant` is the default for tests.
 */

export interface SimulationProfile {
  name: string;
  /** Fraction (0..1) of random spread added to every delay. */
  jitter: number;
  /** Image pull and container start, from binding to Running. */
  podStartMs: number;
  /** From Running to Ready when the pod has a readiness probe (its initialDelaySeconds counts on top when `probeDelays`). */
  readinessMs: number;
  /** Whether probes wait their initialDelaySeconds, as on a real node; `instant` skips them so tests need not. */
  probeDelays: boolean;
  /** Kubelet node status and lease heartbeat interval. */
  nodeHeartbeatMs: number;
  /** Container shutdown after SIGTERM (bounded by the pod's grace period). */
  containerStopMs: number;
  /** A Job pod's run time before it Succeeds. */
  jobRunMs: number;
  /** The namespace controller's discovery pass before it deletes a terminating namespace's content. */
  namespaceDiscoveryMs: number;
  /** virt-handler's SyncVMI until the domain runs: from a Scheduled VMI to Running. */
  vmiBootMs: number;
  /** From the domain running until the guest agent (when the guest has one) connects. */
  guestAgentConnectMs: number;
  /** From the ACPI power-button signal until the guest has powered off. */
  guestShutdownMs: number;
  /** A live migration's memory transfer, from the source starting it (VMIM Running) until the guest runs on the target. */
  migrationMs: number;
  /** CDI's importer (or clone) transfer, from its pod running until the claim is populated. */
  dataImportMs: number;
}

const profiles: Record<string, SimulationProfile> = {
  instant: {
    name: 'instant',
    jitter: 0,
    podStartMs: 0,
    readinessMs: 0,
    probeDelays: false,
    nodeHeartbeatMs: 10_000,
    containerStopMs: 0,
    jobRunMs: 0,
    namespaceDiscoveryMs: 2_000,
    vmiBootMs: 0,
    guestAgentConnectMs: 0,
    guestShutdownMs: 0,
    migrationMs: 0,
    dataImportMs: 0,
  },
  realistic: {
    name: 'realistic',
    jitter: 0.2,
    podStartMs: 2_000,
    readinessMs: 1_000,
    probeDelays: true,
    nodeHeartbeatMs: 10_000,
    containerStopMs: 1_000,
    jobRunMs: 5_000,
    namespaceDiscoveryMs: 3_000,
    vmiBootMs: 4_000,
    guestAgentConnectMs: 25_000,
    guestShutdownMs: 6_000,
    migrationMs: 8_000,
    dataImportMs: 20_000,
  },
};

export function builtinProfile(name: string): SimulationProfile | undefined {
  return profiles[name];
}

export const profileNames = Object.keys(profiles);
