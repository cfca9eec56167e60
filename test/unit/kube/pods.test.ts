import t from 'tap';
import { isPodReady, isPodTerminal, podQosClass, podRequests, type Pod } from '../../../src/kube/pods.js';
import { formatQuantity, parseQuantity } from '../../../src/kube/quantity.js';

const pod = (spec: Partial<Pod['spec']>, status?: Pod['status']): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p' },
  spec: { containers: [], ...spec },
  status,
});

t.test('parseQuantity', async (t) => {
  t.equal(parseQuantity('100m', 3), 100);
  t.equal(parseQuantity('2', 3), 2000);
  t.equal(parseQuantity('0.5', 3), 500);
  t.equal(parseQuantity('1Ki'), 1024);
  t.equal(parseQuantity('1.5Gi'), 1.5 * 2 ** 30);
  t.equal(parseQuantity('128Mi'), 128 * 2 ** 20);
  t.equal(parseQuantity('1k'), 1000);
  t.equal(parseQuantity('2M'), 2_000_000);
  t.equal(parseQuantity('1G'), 1e9);
  t.equal(parseQuantity('1e3'), 1000);
  t.equal(parseQuantity('12E-3', 3), 12);
  t.throws(() => parseQuantity('1.2.3'));
  t.throws(() => parseQuantity('1 Gi'));
});

t.test('formatQuantity', async (t) => {
  t.equal(formatQuantity('cpu', 250), '250m');
  t.equal(formatQuantity('cpu', 2000), '2');
  t.equal(formatQuantity('memory', 128 * 2 ** 20), '128Mi');
  t.equal(formatQuantity('memory', 2 ** 30), '1Gi');
  t.equal(formatQuantity('memory', 1e9), '1G');
  t.equal(formatQuantity('pods', 110), '110');
});

t.test('podRequests: containers summed, at least the largest init container, plus overhead', async (t) => {
  const requests = (cpu: string, memory: string) => ({ resources: { requests: { cpu, memory } } });
  t.same(
    podRequests(
      pod({
        containers: [
          { name: 'a', ...requests('100m', '64Mi') },
          { name: 'b', ...requests('200m', '64Mi') },
        ],
        initContainers: [{ name: 'i', ...requests('500m', '16Mi') }],
        overhead: { cpu: '10m' },
      }),
    ),
    { cpu: 510, memory: 128 * 2 ** 20 },
  );
  t.same(
    podRequests(pod({ containers: [{ name: 'a', resources: { limits: { cpu: '1' } } }] })),
    { cpu: 1000 },
    'a limit without a request requests the limit',
  );
  t.same(
    podRequests(
      pod({
        containers: [{ name: 'a', ...requests('100m', '0') }],
        initContainers: [
          { name: 'sidecar', restartPolicy: 'Always', ...requests('50m', '0') },
          { name: 'i', ...requests('100m', '0') },
        ],
      }),
    ),
    { cpu: 150, memory: 0 },
    'sidecars run beside the app containers and the later init containers',
  );
});

t.test('readiness, terminal phase, QoS class', async (t) => {
  t.ok(isPodReady(pod({}, { conditions: [{ type: 'Ready', status: 'True' }] })));
  t.notOk(isPodReady(pod({}, { conditions: [{ type: 'Ready', status: 'False' }] })));
  t.ok(isPodTerminal(pod({}, { phase: 'Failed' })));
  t.notOk(isPodTerminal(pod({}, { phase: 'Running' })));
  t.equal(podQosClass(pod({ containers: [{ name: 'a' }] })), 'BestEffort');
  t.equal(podQosClass(pod({ containers: [{ name: 'a', resources: { limits: { cpu: '1', memory: '1Gi' } } }] })), 'Guaranteed');
  t.equal(podQosClass(pod({ containers: [{ name: 'a', resources: { requests: { cpu: '1' } } }] })), 'Burstable');
});
