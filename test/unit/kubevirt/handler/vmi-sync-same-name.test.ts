/**
 * A VMI deleted and created again under its name on another node (a pool's restart, a VM started anew): the old VMI's
 * domain may still be on its first node, oldest under the name, when the new node's handler syncs the new VMI. That
 * handler must read the new VMI's own domain (by uid), not take the old one for it and report a Running VMI without a
 * domain as Failed.
 */
import t from 'tap';
import type { Client } from '../../../../src/client/client.js';
import type { Node } from '../../../../src/kube/nodes.js';
import type { Pod } from '../../../../src/kube/pods.js';
import { DomainRegistry } from '../../../../src/kubevirt/handler/domains.js';
import { guestOfImage } from '../../../../src/kubevirt/handler/guest-os.js';
import type { NodeChanges } from '../../../../src/kubevirt/handler/node-routing.js';
import { VmiSync } from '../../../../src/kubevirt/handler/vmi-sync.js';
import type { VirtualMachineInstance } from '../../../../src/kubevirt/handler/vmi-types.js';
import { VirtualClock } from '../../../../src/runtime/clock.js';
import type { ComponentContext } from '../../../../src/runtime/component-context.js';
import type { EventSource, Informer } from '../../../../src/runtime/informer.js';
import { silentLogger } from '../../../../src/runtime/logger.js';
import { SeededRandom } from '../../../../src/runtime/seeded-random.js';
import { builtinProfile } from '../../../../src/simulation/profile.js';

const KEY = 'default/pool-vm-0';

t.test("a VMI re-created on another node is synced with its own domain, not its predecessor's", async (t) => {
  const clock = new VirtualClock(0);
  const domains = new DomainRegistry(clock, new SeededRandom(1), builtinProfile('realistic')!);
  const guest = guestOfImage('quay.io/kubevirt/cirros-container-disk-demo:v1.9.0-rc.2');
  // The old VMI's domain, still on node-a: node-a's handler has not seen the deletion yet.
  domains.define('uid-old', KEY, 'pod-old', 'node-a', guest);
  // The new VMI runs on node-b, whose handler defined its domain on an earlier sync.
  domains.define('uid-new', KEY, 'pod-new', 'node-b', guest);

  const vmi: VirtualMachineInstance = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'pool-vm-0', namespace: 'default', uid: 'uid-new' },
    spec: { domain: { devices: {} } },
    status: { phase: 'Running', nodeName: 'node-b' },
  };
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'virt-launcher-pool-vm-0-b', namespace: 'default', uid: 'pod-new', labels: { 'kubevirt.io/created-by': 'uid-new' } },
    spec: { nodeName: 'node-b', containers: [{ name: 'compute' }] },
    status: { phase: 'Running', containerStatuses: [{ name: 'compute', state: { running: {} } }] },
  } as unknown as Pod;

  const written: VirtualMachineInstance[] = [];
  let reconciled = 0;
  const client = {
    update: async (object: VirtualMachineInstance) => {
      written.push(object);
      return object;
    },
    create: async (object: unknown) => object,
    patch: async () => ({}),
  } as unknown as Client;
  const source = <T>(objects: T[]): EventSource => ({
    addEventHandler: (handlers) => {
      for (const object of objects) handlers.onAdd?.(object as never);
      return { remove: () => undefined } as never;
    },
    waitForSync: async () => true,
  });
  const changes: NodeChanges = { vmis: source([vmi]) as never, launcherPods: source([]) as never, subscribeDomains: () => () => undefined };
  const sync = new VmiSync({
    ctx: { client, clock, logger: silentLogger } as unknown as ComponentContext,
    nodeName: 'node-b',
    vmis: { get: (key: string) => (key === KEY ? vmi : undefined) } as unknown as Informer<VirtualMachineInstance>,
    launcherPods: { byIndex: () => [pod] } as unknown as Informer<Pod>,
    nodes: {
      getByName: () => {
        reconciled++;
        return { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-b' } } as Node;
      },
    } as unknown as Informer<Node>,
    domains,
    changes,
  });
  await sync.start();
  for (let turn = 0; turn < 100 && reconciled === 0; turn++) await new Promise(setImmediate);
  await sync.stop();

  t.equal(reconciled, 1, 'the VMI was synced');
  t.same(
    written.map((w) => w.status?.phase),
    ['Running'],
    'its status is written from its own domain: still Running (Failed without a domain)',
  );
  t.ok(domains.get('uid-old') && domains.get('uid-new'), "node-b's handler leaves node-a's domain to node-a's handler");
});
