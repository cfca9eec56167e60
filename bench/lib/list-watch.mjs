// A list+watch of every VirtualMachine from scratch by @kubernetes/client-node,
// in a process of its own (as a client would be): from before the informer
// starts until its list is in and its watch is open. Prints one JSON line:
// { ms, objects }.
//   node bench/lib/list-watch.mjs <kubeconfig>
import * as k8s from '@kubernetes/client-node';

const kc = new k8s.KubeConfig();
kc.loadFromFile(process.argv[2]);
const custom = kc.makeApiClient(k8s.CustomObjectsApi);
const path = { group: 'kubevirt.io', version: 'v1', plural: 'virtualmachines' };
const informer = k8s.makeInformer(kc, '/apis/kubevirt.io/v1/virtualmachines', () => custom.listClusterCustomObject(path));
const started = performance.now();
// start() resolves once the list is cached and the watch request from its resourceVersion is open.
await informer.start();
const ms = performance.now() - started;
const objects = informer.list().length;
await informer.stop();
process.stdout.write(`${JSON.stringify({ ms, objects })}\n`);
