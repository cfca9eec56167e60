/**
 * NodePort and LoadBalancer Services get node ports as kube-apiserver allocates them
 * (pkg/registry/core/service/storage/alloc.go, portallocator): 30000-32767, one per
 * service port number, requested ports refused when taken or out of range, kept
 * across updates that leave them out, released when the type no longer needs them.
 */
import t from 'tap';
import { withEmulator, type EmulatorFixture } from '../../helpers/cluster.js';

const servicePorts = async (kubectl: EmulatorFixture['kubectl'], name: string): Promise<number[]> => {
  const got = await kubectl(['get', 'service', name, '-o', 'jsonpath={.spec.ports[*].nodePort}']);
  if (got.code !== 0) throw new Error(got.stderr);
  return got.stdout.trim() ? got.stdout.trim().split(' ').map(Number) : [];
};

const serviceYaml = (name: string, type: string, ports: string, extra = '') => `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: default}
spec:
  type: ${type}
  selector: {app: ${name}}
  ports: ${ports}
${extra}`;

t.test('kubectl create service nodeport and loadbalancer get ports from 30000-32767', async (t) => {
  const { kubectl } = await withEmulator(t, { insecureHttp: true });
  const created = await kubectl(['create', 'service', 'nodeport', 'web', '--tcp=80:8080,443:8443']);
  t.equal(created.code, 0, created.stderr);
  const ports = await servicePorts(kubectl, 'web');
  t.equal(ports.length, 2, `two node ports: ${ports}`);
  for (const port of ports) t.ok(port >= 30000 && port <= 32767, `${port} in 30000-32767`);
  t.not(ports[0], ports[1], 'distinct ports');
  const table = await kubectl(['get', 'service', 'web', '--no-headers']);
  t.match(table.stdout, `80:${ports[0]}/TCP,443:${ports[1]}/TCP`, 'kubectl get shows port:nodePort');

  const lb = await kubectl(['create', 'service', 'loadbalancer', 'lb', '--tcp=80:8080']);
  t.equal(lb.code, 0, lb.stderr);
  t.equal((await servicePorts(kubectl, 'lb')).length, 1, 'a LoadBalancer gets a node port');

  const local = await kubectl(['apply', '-f', '-'], {
    input: serviceYaml('local', 'LoadBalancer', '[{port: 80}]', '  externalTrafficPolicy: Local\n'),
  });
  t.equal(local.code, 0, local.stderr);
  const health = await kubectl(['get', 'service', 'local', '-o', 'jsonpath={.spec.healthCheckNodePort}']);
  t.ok(Number(health.stdout) >= 30000 && Number(health.stdout) <= 32767, `healthCheckNodePort ${health.stdout}`);

  const optOut = await kubectl(['apply', '-f', '-'], {
    input: serviceYaml('no-ports', 'LoadBalancer', '[{port: 80}]', '  allocateLoadBalancerNodePorts: false\n'),
  });
  t.equal(optOut.code, 0, optOut.stderr);
  t.same(await servicePorts(kubectl, 'no-ports'), [], 'allocateLoadBalancerNodePorts: false allocates none');
});

t.test('requested node ports: duplicates and ports out of range are refused in kube words', async (t) => {
  const { kubectl } = await withEmulator(t, { insecureHttp: true });
  const first = await kubectl(['create', 'service', 'nodeport', 'first', '--tcp=80:8080', '--node-port=30080']);
  t.equal(first.code, 0, first.stderr);
  t.same(await servicePorts(kubectl, 'first'), [30080]);

  const duplicate = await kubectl(['create', 'service', 'nodeport', 'second', '--tcp=80:8080', '--node-port=30080']);
  t.not(duplicate.code, 0);
  t.equal(
    duplicate.stderr.trim(),
    'error: failed to create NodePort service: Service "second" is invalid: ' +
      'spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated',
  );

  const outOfRange = await kubectl(['apply', '-f', '-'], { input: serviceYaml('bad', 'NodePort', '[{port: 80, nodePort: 29999}]') });
  t.not(outOfRange.code, 0);
  t.match(
    outOfRange.stderr,
    'spec.ports[0].nodePort: Invalid value: 29999: provided port is not in the valid range. The range of valid ports is 30000-32767',
  );

  const sharedByProtocol = await kubectl(['apply', '-f', '-'], {
    input: serviceYaml('dns', 'NodePort', '[{name: udp, port: 53, protocol: UDP}, {name: tcp, port: 53, protocol: TCP}]'),
  });
  t.equal(sharedByProtocol.code, 0, sharedByProtocol.stderr);
  const [udp, tcp] = await servicePorts(kubectl, 'dns');
  t.equal(udp, tcp, 'UDP and TCP of one port share one node port, as kube allocates them');
});

t.test('updates keep allocated ports; a type change to ClusterIP releases them', async (t) => {
  const { kubectl } = await withEmulator(t, { insecureHttp: true });
  const yaml = serviceYaml('web', 'NodePort', '[{port: 80}]');
  t.equal((await kubectl(['apply', '-f', '-'], { input: yaml })).code, 0);
  const [allocated] = await servicePorts(kubectl, 'web');
  const relabel = await kubectl(['label', 'service', 'web', 'tier=front']);
  t.equal(relabel.code, 0, relabel.stderr);
  const reapplied = await kubectl(['apply', '-f', '-'], { input: yaml.replace('[{port: 80}]', '[{port: 80, name: http}]') });
  t.equal(reapplied.code, 0, reapplied.stderr);
  t.same(await servicePorts(kubectl, 'web'), [allocated], 'an apply without nodePort keeps the allocated one');

  const toClusterIp = await kubectl(['patch', 'service', 'web', '--type=merge', '-p', '{"spec":{"type":"ClusterIP"}}']);
  t.equal(toClusterIp.code, 0, toClusterIp.stderr);
  t.same(await servicePorts(kubectl, 'web'), [], 'ClusterIP has no node ports');
  const reuse = await kubectl(['apply', '-f', '-'], { input: serviceYaml('other', 'NodePort', `[{port: 80, nodePort: ${allocated}}]`) });
  t.equal(reuse.code, 0, `the released port ${allocated} can be requested again: ${reuse.stderr}`);
});
