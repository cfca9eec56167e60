/**
 * A throw-away etcd cluster for tests: Debian's etcd-server binary, each member on free loopback ports with its
 * data in the test's directory, killed when the test ends. Fails with a clear message when etcd is not installed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';

interface Teardown {
  teardown(fn: () => void): void;
}

export interface EtcdCluster {
  /** Client URLs, one per member. */
  endpoints: string[];
  /** Kills member `index` with SIGKILL and waits until it is gone. */
  kill(index: number): Promise<void>;
  /** Starts killed member `index` again on its data (it rejoins the cluster). */
  restart(index: number): void;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startEtcdCluster(t: Teardown, dir: string, size: number): Promise<EtcdCluster> {
  if (spawnSync('etcd', ['--version']).error) {
    throw new Error('etcd is not installed: install etcd-server (apt-get install -y etcd-server) to run the etcd tests');
  }
  const members = await Promise.all(
    Array.from({ length: size }, async (_, i) => ({ name: `m${i}`, client: await freePort(), peer: await freePort() })),
  );
  const initialCluster = members.map((m) => `${m.name}=http://127.0.0.1:${m.peer}`).join(',');
  const argsOf = members.map((m) => [
    ...['--name', m.name, '--data-dir', join(dir, m.name)],
    ...['--listen-client-urls', `http://127.0.0.1:${m.client}`, '--advertise-client-urls', `http://127.0.0.1:${m.client}`],
    ...['--listen-peer-urls', `http://127.0.0.1:${m.peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${m.peer}`],
    ...['--initial-cluster', initialCluster, '--initial-cluster-state', 'new', '--initial-cluster-token', `test-${process.pid}`],
    ...['--log-level', 'error', '--logger', 'zap'],
  ]);
  const children: ChildProcess[] = argsOf.map((args) => spawn('etcd', args, { stdio: 'ignore' }));
  t.teardown(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const endpoints = members.map((m) => `http://127.0.0.1:${m.client}`);
  await waitHealthy(endpoints);
  return {
    endpoints,
    async kill(index) {
      const child = children[index];
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await gone;
    },
    restart(index) {
      children[index] = spawn('etcd', argsOf[index], { stdio: 'ignore' });
    },
  };
}

/** Waits until the cluster answers a read (it has a leader), for up to 30 s. */
async function waitHealthy(endpoints: string[]): Promise<void> {
  const client = new Etcd3({ hosts: endpoints });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await client.get('health').options({ deadline: Date.now() + 1000 });
        return;
      } catch (error) {
        if (attempt >= 60) throw new Error(`etcd did not become ready: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  } finally {
    client.close();
  }
}
