// kill -9 under concurrent write load, then a restart on the same data dir, a few times: every write the server
// acknowledged is back with its resourceVersion, and no resourceVersion ever goes backwards. The 100 kills
// run in bench/durable-kill-loop.mjs; here KILLS keeps the suite's cost down.
import t from 'tap';
import { join } from 'node:path';
import { startServe } from '../../helpers/cli-process.js';
import { rawClient, type RawClient } from '../../helpers/raw-https.js';

const KILLS = 2;
const WRITERS = 8;
const dir = t.testdir();
const args = ['--port', '0', '--workers', '0', '--data-dir', join(dir, 'data'), '--kubeconfig', join(dir, 'kc'), '--log-level', 'fatal'];
const CMS = '/api/v1/namespaces/default/configmaps';

/** name → resourceVersion of every create the server answered 201. */
const acknowledged = new Map<string, number>();
let highestSeen = 0;
let sequence = 0;

/** Creates ConfigMaps from WRITERS loops until the server goes away. */
async function writeUntilKilled(api: RawClient): Promise<void> {
  const writer = async (): Promise<void> => {
    for (;;) {
      const name = `cm-${sequence++}`;
      const answer = await api
        .send('POST', CMS, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } } })
        .catch(() => undefined);
      if (!answer) return;
      if (answer.status !== 201) throw new Error(`create ${name}: ${answer.status} ${answer.text}`);
      acknowledged.set(name, Number((answer.json.metadata as { resourceVersion: string }).resourceVersion));
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, writer));
}

t.test(`${KILLS} kill -9s under write load lose no acknowledged write and never move a resourceVersion back`, async (t) => {
  for (let round = 0; round <= KILLS; round++) {
    const serve = await startServe(t, args);
    const api = rawClient(serve.url, serve.kubeconfig);
    const list = await api.send('GET', CMS);
    const stored = new Map(
      (list.json.items as { metadata: { name: string; resourceVersion: string } }[]).map((cm) => [
        cm.metadata.name,
        Number(cm.metadata.resourceVersion),
      ]),
    );
    const lost = [...acknowledged].filter(([name, rv]) => stored.get(name) !== rv);
    t.same(lost, [], `after ${round} kills: all ${acknowledged.size} acknowledged creates are back with their resourceVersion`);
    const listRevision = Number((list.json.metadata as { resourceVersion: string }).resourceVersion);
    t.ok(listRevision >= highestSeen, `the list resourceVersion ${listRevision} is not behind ${highestSeen}`);
    if (round === KILLS) break;
    const writing = writeUntilKilled(api);
    // Let writes run for a while, then kill in the middle of them.
    await new Promise((resolve) => setTimeout(resolve, 500 + 300 * round));
    serve.child.kill('SIGKILL');
    await Promise.all([serve.exited, writing]);
    highestSeen = Math.max(listRevision, ...acknowledged.values());
  }
  t.ok(acknowledged.size > 0, `${acknowledged.size} creates acknowledged in all`);
});
