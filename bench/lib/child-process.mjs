// Runs a program to its end for a benchmark, timing it from spawn to exit (kubectl, a reader in a process of its own).
import { spawn } from 'node:child_process';

/** Runs `command` with `env` added to this process's; resolves with its stdout, stderr and the wall time it took, rejects when it fails. */
export function run(command, args, env = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      if (code === 0) resolve({ stdout, stderr, seconds });
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${stderr.slice(0, 2000)}`));
    });
  });
}
