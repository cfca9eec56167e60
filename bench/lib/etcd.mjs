// A one-member etcd for benches: Debian's etcd-server on free loopback ports, its data in a temporary directory.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts etcd and resolves once it answers /health; `stop()` kills it. */
export async function startEtcd(dataDir) {
  const [client, peer] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${client}`;
  const child = spawn(
    'etcd',
    [
      ...['--name', 'bench', '--data-dir', join(dataDir, 'etcd')],
      ...['--listen-client-urls', url, '--advertise-client-urls', url],
      ...['--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`],
      ...['--initial-cluster', `bench=http://127.0.0.1:${peer}`, '--log-level', 'error', '--logger', 'zap'],
    ],
    { stdio: 'ignore' },
  );
  const failed = new Promise((_, reject) => {
    child.on('error', (error) => reject(new Error(`cannot start etcd (install etcd-server): ${error.message}`)));
    child.on('exit', (code) => reject(new Error(`etcd exited with ${code}`)));
  });
  for (let attempt = 0; ; attempt++) {
    const healthy = await Promise.race([
      fetch(`${url}/health`).then(
        (r) => r.ok,
        () => false,
      ),
      failed,
    ]);
    if (healthy) break;
    if (attempt > 100) throw new Error('etcd did not become healthy');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url,
    stop: () => {
      child.removeAllListeners('exit');
      child.kill('SIGKILL');
    },
  };
}
