import t from 'tap';
import { readdirSync } from 'node:fs';
import { withEmulator } from '../../helpers/cluster.js';
import { installKubeVirt, kubevirtSchema } from '../../helpers/kubevirt.js';
t.test('x', async (t) => {
  const f = await withEmulator(t, { workers: 1 });
  await installKubeVirt(f);
  const files = readdirSync(kubevirtSchema('examples')).sort();
  for (const file of files) {
    const ns = 'ex-' + file.replace('.yaml', '').replace(/[^a-z0-9-]/g, '-').slice(0, 50);
    await f.kubectl(['create', 'ns', ns]);
    const r = await f.kubectl(['apply', '-n', ns, '-f', kubevirtSchema('examples/' + file)]);
    console.log('FILE', file, r.code, r.stdout.trim(), r.stderr.trim().slice(0, 300));
    if (r.code === 0 && r.stdout.includes('virtualmachine.kubevirt.io/')) {
      const name = r.stdout.trim().split(' ')[0]!.split('/')[1]!;
      const p = await f.kubectl(['patch', '-n', ns, 'vm', name, '--type', 'merge', '-p', '{"spec":{"runStrategy":"Always"}}']);
      if (p.code) console.log('  PATCH', p.stderr);
    }
  }
  await new Promise((r) => setTimeout(r, 3000));
  console.log((await f.kubectl(['get', 'vm,vmi,dv,pvc', '-A'])).stdout);
  const c = await f.kubectl(['get', 'vmi', '-A', '-o', 'jsonpath={range .items[*]}{.metadata.namespace} {.status.phase} {range .status.conditions[*]}[{.type}={.status}:{.reason}:{.message}]{end}{"\\n"}{end}']);
  console.log(c.stdout);
});
