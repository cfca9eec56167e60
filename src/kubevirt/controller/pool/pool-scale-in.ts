/**
 * Which VMs a VirtualMachinePool removes first when it scales in (pool.go
 * sortVMsBasedOnSortPolicy, filterVMsBasedOnSelectors): sorted by the
 * selection policy's sortPolicy (Random unless set), then narrowed to VMs
 * whose VMI template labels match the policy's label selector and whose VMI
 * template nodeSelector matches its node selector requirements.
 */
import { matchLabelSelector, requirementMatches, type LabelRequirement } from '../../../api/selectors/label-selector.js';
import { indexOfVm, type PoolSelectors, type VirtualMachinePool } from './pool-vm.js';
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
  const selectors = policy?.selectors;
  if (!selectors?.labelSelector && !selectors?.nodeSelectorRequirementMatcher) return ordered;
  const nodeMatcher = selectors.nodeSelectorRequirementMatcher && nodeSelectorMatcher(selectors.nodeSelectorRequirementMatcher);
  return ordered.filter(
    (vm) =>
      (!selectors.labelSelector || matchLabelSelector(selectors.labelSelector, vm.spec.template.metadata?.labels ?? {})) &&
      (!nodeMatcher || nodeMatcher((vm.spec.template.spec.nodeSelector as Record<string, string> | undefined) ?? {})),
  );
}

const NODE_SELECTOR_OPERATORS: Record<string, LabelRequirement['operator']> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
  Gt: 'gt',
  Lt: 'lt',
};

/** nodeSelectorRequirementsAsSelector: the requirements as a label selector over the VM template's nodeSelector. */
function nodeSelectorMatcher(requirements: NonNullable<PoolSelectors['nodeSelectorRequirementMatcher']>) {
  const compiled: LabelRequirement[] = requirements.map((r) => {
    const operator = NODE_SELECTOR_OPERATORS[r.operator];
    if (!operator) throw new Error(`failed to parse node selector from pool: "${r.operator}" is not a valid label selector operator`);
    return { key: r.key, operator, values: r.values ?? [] };
  });
  return (labels: Record<string, string>) => compiled.every((r) => requirementMatches(r, labels));
}
