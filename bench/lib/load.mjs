// Closed-loop load from a worker thread; see load-worker.mjs.
import { Worker } from 'node:worker_threads';

/**
 * Keeps `concurrency` requests in flight against `origin` for `warmupMs` and
 * then `durationMs`; resolves to { completed, failures, statuses, seconds, perSecond },
 * where `completed` counts answers with `request.expectStatus` in the measured window.
 * `extraHeaders` go on every request (e.g. Impersonate-User).
 */
export function measureLoad({ origin, ca, token, extraHeaders = {}, concurrency = 32, warmupMs = 1000, durationMs = 5000, request }) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./load-worker.mjs', import.meta.url), {
      workerData: { origin, ca, token, extraHeaders, concurrency, warmupMs, durationMs, request },
    });
    worker.once('message', (result) => resolve({ ...result, perSecond: result.completed / result.seconds }));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`load worker exited with code ${code}`));
    });
  });
}
