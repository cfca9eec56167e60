/**
 * The VM admitter's preference requirements check (pkg/instancetype/preference/requirements: checker.go, cpu.go,
 * memory.go, arch.go), run on the template once the instancetype and preference are applied and the defaults set:
 * the first unmet CPU, memory or architecture requirement is one FieldValueNotFound cause,
 * "failure checking preference requirements: ..." on the conflicting fields (vms-admitter.go).
 */
import { parseQuantity } from '../../../kube/quantity.js';
import type { ApplicableSpec, InstancetypeSpec, PreferenceSpec } from '../../controller/instancetype/instancetype-apply.js';
import { cause, type Cause } from './responses.js';

interface Requirements {
  cpu?: { guest?: number };
  memory?: { guest?: string };
  architecture?: string;
}

type Cpu = { cores?: number; sockets?: number; threads?: number };
interface Unmet {
  fields: string[];
  message: string;
}

const CPU_PATH = 'spec.template.spec.domain.cpu';

export function preferenceRequirementCauses(
  instancetype: InstancetypeSpec | undefined,
  preference: PreferenceSpec | undefined,
  spec: ApplicableSpec,
): Cause[] {
  const requirements = preference?.requirements as Requirements | undefined;
  if (!requirements) return [];
  const unmet =
    (requirements.cpu ? cpuUnmet(requirements.cpu.guest ?? 0, instancetype, preference, spec) : undefined) ??
    (requirements.memory ? memoryUnmet(requirements.memory.guest ?? '0', instancetype, spec) : undefined) ??
    (requirements.architecture !== undefined ? archUnmet(requirements.architecture, spec) : undefined);
  if (!unmet) return [];
  return [cause('FieldValueNotFound', `failure checking preference requirements: ${unmet.message}`, unmet.fields.join(', '))];
}

function cpuUnmet(
  required: number,
  instancetype: InstancetypeSpec | undefined,
  preference: PreferenceSpec | undefined,
  spec: ApplicableSpec,
): Unmet | undefined {
  if (instancetype) {
    const guest = instancetype.cpu?.guest ?? 0;
    return guest < required
      ? {
          fields: ['spec.instancetype'],
          message: `insufficient CPU resources of ${guest} vCPU provided by instance type, preference requires ${required} vCPU`,
        }
      : undefined;
  }
  const cpu = (spec.domain as { cpu?: Cpu } | undefined)?.cpu;
  if (!cpu) return { fields: [CPU_PATH], message: `no CPU resources provided by VirtualMachine, preference requires ${required} vCPU` };
  const { cores = 0, sockets = 0, threads = 0 } = cpu;
  const insufficient = (provided: number, as: string, fields: string[]): Unmet | undefined =>
    provided < required
      ? {
          fields: fields.map((f) => `${CPU_PATH}.${f}`),
          message: `insufficient CPU resources of ${provided} vCPU provided by VirtualMachine, preference requires ${required} vCPU provided as ${as}`,
        }
      : undefined;
  switch (preference?.cpu?.preferredCPUTopology ?? 'sockets') {
    case 'preferThreads':
    case 'threads':
      return insufficient(threads, 'threads', ['threads']);
    case 'preferCores':
    case 'cores':
      return insufficient(cores, 'cores', ['cores']);
    case 'preferSockets':
    case 'sockets':
      return insufficient(sockets, 'sockets', ['sockets']);
    case 'preferAny':
    case 'any':
      return insufficient(cores * sockets * threads, 'cores, sockets and threads', ['cores', 'sockets', 'threads']);
    case 'preferSpread':
    case 'spread': {
      const across = preference?.cpu?.spreadOptions?.across ?? 'SocketsCores';
      if (across === 'CoresThreads') return insufficient(cores * threads, across, ['cores', 'threads']);
      if (across === 'SocketsCoresThreads') return insufficient(sockets * cores * threads, across, ['sockets', 'cores', 'threads']);
      return insufficient(sockets * cores, across, ['sockets', 'cores']);
    }
    default:
      return undefined;
  }
}

function memoryUnmet(required: string, instancetype: InstancetypeSpec | undefined, spec: ApplicableSpec): Unmet | undefined {
  let provided = '0Mi';
  let fields = ['spec.template.spec.domain.memory'];
  let by = 'VirtualMachine';
  if (instancetype) {
    provided = instancetype.memory?.guest ?? '0';
    fields = ['spec.instancetype'];
    by = 'instance type';
  }
  const guest = (spec.domain as { memory?: { guest?: string } } | undefined)?.memory?.guest;
  if (guest !== undefined) provided = guest;
  return parseQuantity(provided) < parseQuantity(required)
    ? { fields, message: `insufficient Memory resources of ${provided} provided by ${by}, preference requires ${required}` }
    : undefined;
}

function archUnmet(required: string, spec: ApplicableSpec): Unmet | undefined {
  const requested = (spec as { architecture?: string }).architecture ?? '';
  return requested !== required
    ? {
        fields: ['spec.template.spec.architecture'],
        message: `preference requires architecture ${required} but ${requested} is being requested`,
      }
    : undefined;
}
