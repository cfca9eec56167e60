/**
 * Feature gates as `featuregate.IsEnabled` decides them: listed in
 * featureGates → on, in disabledFeatureGates → off, otherwise GA and Beta
 * gates are on and Alpha gates off. Only the gates that change what the
 * operator deploys are named here.
 */
export type GateStage = 'Alpha' | 'Beta' | 'GA';

const GATE_STAGES: Record<string, GateStage> = {
  Template: 'Beta',
  ExternalNetResourceInjection: 'Beta',
  OptOutRoleAggregation: 'Beta',
  DecentralizedLiveMigration: 'Alpha',
  ContainerPathVolumes: 'Alpha',
  Plugins: 'Alpha',
  VMStatsCollector: 'Alpha',
  ConfigurableHypervisor: 'Alpha',
  VMExport: 'GA',
};

export interface KubeVirtSpec {
  imageTag?: string;
  imageRegistry?: string;
  imagePullPolicy?: string;
  uninstallStrategy?: string;
  infra?: { replicas?: number };
  certificateRotateStrategy?: {
    selfSigned?: { ca?: { duration?: string; renewBefore?: string }; server?: { duration?: string; renewBefore?: string } };
  };
  configuration?: {
    developerConfiguration?: { featureGates?: string[]; disabledFeatureGates?: string[] };
    roleAggregationStrategy?: string;
    virtTemplateDeployment?: { enabled?: boolean };
    commonInstancetypesDeployment?: { enabled?: boolean };
    architectureConfiguration?: { defaultArchitecture?: string };
  };
  [field: string]: unknown;
}

export function isGateEnabled(spec: KubeVirtSpec, gate: string): boolean {
  const developer = spec.configuration?.developerConfiguration;
  if (developer?.featureGates?.includes(gate)) return true;
  if (developer?.disabledFeatureGates?.includes(gate)) return false;
  const stage = GATE_STAGES[gate] ?? 'Alpha';
  return stage !== 'Alpha';
}
