/**
 * Installs KubeVirt into an emulator the way a user does: apply the release's
 * operator manifest and KubeVirt CR, then `kubectl wait` for Available. The
 * files whose subject is the install use it (operator*, reference-audit); the
 * others start their emulator with `installKubeVirt: true`, which applies the
 * same manifests in-process (src/kubevirt/install.ts) for about half the CPU,
 * the kubectl processes' included (bench/install-cpu.mjs).
 */
import { fileURLToPath } from 'node:url';
import type { EmulatorFixture } from './cluster.js';

/** Absolute path of a file under schemas/kubevirt/ (manifests/..., examples/...). */
export const kubevirtSchema = (path: string): string => fileURLToPath(new URL(`../../schemas/kubevirt/${path}`, import.meta.url));

/** Fails with kubectl's own output when a step does not succeed. */
export async function installKubeVirt(fixture: Pick<EmulatorFixture, 'kubectl'>): Promise<void> {
  const steps: string[][] = [
    ['apply', '-f', kubevirtSchema('manifests/kubevirt-operator.yaml')],
    ['apply', '-f', kubevirtSchema('manifests/kubevirt-cr.yaml')],
    ['-n', 'kubevirt', 'wait', 'kv', 'kubevirt', '--for', 'condition=Available', '--timeout=120s'],
  ];
  for (const args of steps) {
    const result = await fixture.kubectl(args, { timeoutMs: 130_000 });
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  }
}

/** The image of each Deployment and DaemonSet virt-operator manages, by name, as `kubectl get` reports them. */
export async function operandImages(kubectl: EmulatorFixture['kubectl']): Promise<Record<string, string>> {
  const images = await kubectl([
    '-n',
    'kubevirt',
    'get',
    'deploy,ds',
    '-l',
    'app.kubernetes.io/managed-by=virt-operator',
    '-o',
    'jsonpath={range .items[*]}{.metadata.name}={.spec.template.spec.containers[0].image}{"\\n"}{end}',
  ]);
  return Object.fromEntries(
    images.stdout
      .trim()
      .split('\n')
      .map((line) => line.split('=')),
  );
}
