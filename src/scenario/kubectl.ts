/**
 * Runs the pinned kubectl (v1.32, extracted to .tools/ by
 * scripts/fetch-kubectl.mjs) with the scenario's kubeconfig, never through a shell.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const PINNED_KUBECTL = fileURLToPath(new URL('../../.tools/kubectl', import.meta.url));
const TIMEOUT_MS = 60_000;

export interface KubectlRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function runKubectl(args: string[], env: { kubeconfig: string; cacheDir: string }, input = ''): Promise<KubectlRun> {
  if (!existsSync(PINNED_KUBECTL)) return Promise.reject(new Error(`${PINNED_KUBECTL} is missing: run \`node scripts/fetch-kubectl.mjs\``));
  const child = spawn(PINNED_KUBECTL, args, { env: { ...process.env, KUBECONFIG: env.kubeconfig, KUBECACHEDIR: env.cacheDir }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(input);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === null) reject(new Error(`kubectl ${args.join(' ')} was killed by ${signal ?? 'a signal'} (it runs at most ${TIMEOUT_MS / 1000}s)`));
      else resolve({ code, stdout, stderr });
    });
  });
}
