/**
 * {virtualmachines,virtualmachineinstances}/{name}/evacuate/cancel
 * (pkg/virt-api/rest/evacuate_cancel.go): removes status.evacuationNodeName
 * of the VMI (guarded by a JSON-patch test of the node the caller names)
 * unless the node still carries the drain taint. 200, empty.
 */
import { StatusError, badRequest, internalError } from '../../../api/errors.js';
import type { Client } from '../../../client/client.js';
import { NODE_REF, VMI_REF } from '../../controller/constants.js';
import type { VirtualMachineInstance } from '../../controller/types.js';

/** KubeVirt's default migrations.nodeDrainTaintKey. */
const NODE_DRAIN_TAINT_KEY = 'kubevirt.io/drain';

export interface EvacuateCancelOptions {
  evacuationNodeName?: string;
  dryRun?: string[];
}

interface Node {
  metadata: { name?: string };
  spec?: { taints?: Array<{ key: string; value?: string; effect: string }> };
}

export async function cancelEvacuation(
  client: Client,
  vmi: VirtualMachineInstance,
  options: EvacuateCancelOptions | undefined,
): Promise<void> {
  const evacuationNode = (vmi.status?.evacuationNodeName as string | undefined) ?? '';
  const nodeName = evacuationNode || vmi.status?.nodeName || '';
  const node = (await client.get(NODE_REF, undefined, nodeName).catch((err: unknown) => {
    throw internalError(err instanceof StatusError ? err.message : String(err));
  })) as Node;
  if ((node.spec?.taints ?? []).some((t) => t.key === NODE_DRAIN_TAINT_KEY && t.effect === 'NoSchedule')) {
    throw badRequest(`Node "${node.metadata.name}" has NodeDrainTaintKey "${NODE_DRAIN_TAINT_KEY}:NoSchedule"`);
  }
  if (!evacuationNode) return;
  if (!options) throw badRequest('No body');
  const path = '/status/evacuationNodeName';
  try {
    await client.patch(
      VMI_REF,
      vmi.metadata.namespace,
      vmi.metadata.name!,
      'json',
      [
        { op: 'test', path, value: options.evacuationNodeName ?? '' },
        { op: 'remove', path },
      ],
      {
        dryRun: options.dryRun?.includes('All') ?? false,
      },
    );
  } catch (err) {
    throw internalError(err instanceof Error ? err.message : String(err));
  }
}
