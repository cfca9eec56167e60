/**
 * Which VMs a VirtualMachinePool removes first when it scales in (pool.go
 * sortVMsBasedOnSortPolicy, filterVMsBasedOnSelectors): sorted by the
 * selection policy's sortPolicy (Random unless set), then narrowed to VMs
 * whose VMI template labels match the policy's label selector.
 */
import { matchLabelSelector } from '../../../api/selectors/label-selector.js';
import { indexOfVm, type VirtualMachinePool } from './pool-vm.js';
import type { VirtualMachine } from '../types.js';

type SelectionPolicy = NonNullable<NonNullable<NonNullable<VirtualMachinePool['spec']['scaleInStrategy']>['proactive']>['selectionPolicy']>;

const created = (vm: VirtualMachine): number => Date.parse(vm.metadata.creationTimestamp ?? '') || 0;
const indexOf = (vm: VirtualMachine): number => indexOfVm(vm.metadata.name ?? '');

/** Fisher–Yates with the simulation's seeded random source, so runs repeat. */
function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

export function scaleInOrder(vms: readonly VirtualMachine[], policy: SelectionPolicy | undefined, random: () => number): VirtualMachine[] {
  let ordered: VirtualMachine[];
  switch (policy?.sortPolicy) {
    case 'AscendingOrder':
      ordered = [...vms].sort((a, b) => indexOf(a) - indexOf(b));
      break;
    case 'DescendingOrder':
      ordered = [...vms].sort((a, b) => indexOf(b) - indexOf(a));
      break;
    case 'Newest':
      ordered = [...vms].sort((a, b) => created(b) - created(a));
      break;
    case 'Oldest':
      ordered = [...vms].sort((a, b) => created(a) - created(b));
      break;
    default:
      ordered = shuffled(vms, random);
  }
  const labelSelector = policy?.selectors?.labelSelector;
  return labelSelector ? ordered.filter((vm) => matchLabelSelector(labelSelector, vm.spec.template.metadata?.labels ?? {})) : ordered;
}
