/**
 * The labels and annotations virt-handler keeps on its Node: the node
 * labeller's CPU, machine-type and Hyper-V families for a kind node on an
 * Intel Skylake host, the heartbeat's schedulable/cpumanager labels and
 * timestamp, and the device plugins' extended resources.
 */

export const SCHEDULABLE_LABEL = 'kubevirt.io/schedulable';
export const HEARTBEAT_ANNOTATION = 'kubevirt.io/heartbeat';
export const SKIP_LABELLING_ANNOTATION = 'node-labeller.kubevirt.io/skip-node';
export const HOST_MODEL_LABEL_PREFIX = 'host-model-cpu.node.kubevirt.io/';

/** The host's CPU as libvirt's domain capabilities describe it. */
const HOST_MODEL = 'Skylake-Client-IBRS';
const VENDOR = 'Intel';
/** Usable named models, minus the obsolete ones (486, pentium*, qemu64, Opteron_G1/G2, ...). */
const CPU_MODELS = [
  'Broadwell-noTSX',
  'Broadwell-noTSX-IBRS',
  'Haswell-noTSX',
  'Haswell-noTSX-IBRS',
  'IvyBridge',
  'IvyBridge-IBRS',
  'Nehalem',
  'Nehalem-IBRS',
  'Penryn',
  'SandyBridge',
  'SandyBridge-IBRS',
  'Skylake-Client-noTSX-IBRS',
  'Westmere',
  'Westmere-IBRS',
];
const MIGRATION_MODELS = [...CPU_MODELS, HOST_MODEL];
const CPU_FEATURES = [
  'abm',
  'adx',
  'aes',
  'amd-ssbd',
  'amd-stibp',
  'arat',
  'arch-capabilities',
  'avx',
  'avx2',
  'bmi1',
  'bmi2',
  'clflushopt',
  'erms',
  'f16c',
  'fma',
  'fsgsbase',
  'hypervisor',
  'ibpb',
  'ibrs',
  'invpcid',
  'invtsc',
  'md-clear',
  'movbe',
  'pcid',
  'pclmuldq',
  'pdpe1gb',
  'popcnt',
  'rdctl-no',
  'rdrand',
  'rdseed',
  'rdtscp',
  'skip-l1dfl-vmentry',
  'smap',
  'smep',
  'spec-ctrl',
  'ssbd',
  'sse4.1',
  'sse4.2',
  'ssse3',
  'stibp',
  'tsc_adjust',
  'umip',
  'vme',
  'vmx',
  'x2apic',
  'xsave',
  'xsavec',
  'xsaveopt',
  'xsaves',
];
const HOST_MODEL_REQUIRED_FEATURES = [
  'arch-capabilities',
  'hypervisor',
  'invtsc',
  'md-clear',
  'pdpe1gb',
  'rdctl-no',
  'skip-l1dfl-vmentry',
  'spec-ctrl',
  'ssbd',
  'stibp',
  'tsc_adjust',
  'umip',
  'vmx',
  'xsaves',
];
const HYPERV_FEATURES = [
  'base',
  'frequencies',
  'ipi',
  'reenlightenment',
  'reset',
  'runtime',
  'synic',
  'synictimer',
  'time',
  'tlbflush',
  'vapic',
  'vpindex',
];
const MACHINE_TYPES = ['q35', 'pc-q35-rhel9.6.0', 'pc-q35-rhel9.4.0', 'pc-q35-rhel9.2.0', 'pc-q35-rhel9.0.0', 'pc-q35-rhel8.6.0'];
const TSC_FREQUENCY = '2592000000';

/** The labels virt-handler's node labeller owns (it replaces exactly these families). */
export const LABELLER_PREFIXES = [
  'cpu-model.node.kubevirt.io/',
  'cpu-model-migration.node.kubevirt.io/',
  'cpu-feature.node.kubevirt.io/',
  HOST_MODEL_LABEL_PREFIX,
  'host-model-required-features.node.kubevirt.io/',
  'cpu-vendor.node.kubevirt.io/',
  'cpu-timer.node.kubevirt.io/',
  'hyperv.node.kubevirt.io/',
  'machine-type.node.kubevirt.io/',
  'kubevirt.io/ksm-enabled',
];

const flags = (prefix: string, names: string[]): Record<string, string> =>
  Object.fromEntries(names.map((name) => [`${prefix}${name}`, 'true']));

/** The node labeller's labels for this host. */
export function labellerLabels(): Record<string, string> {
  return {
    ...flags('cpu-model.node.kubevirt.io/', CPU_MODELS),
    ...flags('cpu-model-migration.node.kubevirt.io/', MIGRATION_MODELS),
    ...flags('cpu-feature.node.kubevirt.io/', CPU_FEATURES),
    ...flags(HOST_MODEL_LABEL_PREFIX, [HOST_MODEL]),
    ...flags('host-model-required-features.node.kubevirt.io/', HOST_MODEL_REQUIRED_FEATURES),
    ...flags('cpu-vendor.node.kubevirt.io/', [VENDOR]),
    'cpu-timer.node.kubevirt.io/tsc-frequency': TSC_FREQUENCY,
    'cpu-timer.node.kubevirt.io/tsc-scalable': 'false',
    ...flags('hyperv.node.kubevirt.io/', HYPERV_FEATURES),
    ...flags('machine-type.node.kubevirt.io/', MACHINE_TYPES),
    'kubevirt.io/ksm-enabled': 'false',
  };
}

/** The heartbeat's labels: schedulable, and no static CPU manager on a kind node. */
export function heartbeatLabels(schedulable: boolean): Record<string, string> {
  return { [SCHEDULABLE_LABEL]: String(schedulable), cpumanager: 'false', 'kubevirt.io/cpumanager': 'false' };
}

/** The device plugins' resources, 1000 devices each (--max-devices), as the kubelet lists them. */
export const DEVICE_PLUGIN_RESOURCES: Record<string, string> = {
  'devices.kubevirt.io/kvm': '1k',
  'devices.kubevirt.io/tun': '1k',
  'devices.kubevirt.io/vhost-net': '1k',
};
