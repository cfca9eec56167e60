/**
 * Acceptance 4 of the scenarios issue: a library scenario run with
 * --kubeconfig against an emulator that `kubevirt-emulator serve` started in
 * another process, on real time.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScenarioFiles } from '../../src/cli/scenario.js';

const libraryDir = fileURLToPath(new URL('../../scenarios/', import.meta.url));

/** `kubevirt-emulator serve` in a child process, run as this file runs: compiled by `npm test`, or TypeScript through tsx. */
async function serveInAnotherProcess(dir: string): Promise<{ kubeconfig: string; stop: () => Promise<void> }> {
  const main = fileURLToPath(new URL(`../../src/cli/main${extname(import.meta.url)}`, import.meta.url));
  const loader = process.execArgv.filter((arg) => arg === '--import=tsx' || arg.includes('@tapjs/typescript'));
  const kubeconfig = join(dir, 'kubeconfig');
  const child = spawn(
    process.execPath,
    [...loader, main, 'serve', '--port', '0', '--workers', '1', '--kubeconfig', kubeconfig, '--data-dir', dir, '--log-level', 'error'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let output = '';
  child.stdout.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
      if (output.includes('kubevirt-emulator ready:')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code} before it was ready: ${output}`)));
  });
  return {
    kubeconfig,
    async stop() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

t.test('--kubeconfig: a library scenario runs against an emulator started separately, on real time', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'scenario-remote-'));
  const server = await serveInAnotherProcess(dir);
  t.teardown(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });
  let output = '';
  const code = await runScenarioFiles(
    [join(libraryDir, 'kubevirt-deploy.yaml')],
    { kubeconfig: server.kubeconfig },
    (text) => (output += text),
  );
  t.equal(code, 0, output);
  t.match(output, `setup (${server.kubeconfig}), install KubeVirt`);
  t.match(output, 'PASS kubevirt-deploy');
});
