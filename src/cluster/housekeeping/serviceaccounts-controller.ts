/**
 * The service account controller (pkg/controller/serviceaccount): every
 * active namespace has a `default` ServiceAccount, recreated if deleted.
 */
import { Controller } from '../../runtime/controller.js';
import type { ComponentContext } from '../../runtime/component-context.js';
import { NAMESPACE, SERVICE_ACCOUNT } from '../workloads/objects.js';
import { isAlreadyExists } from '../../kube/owners.js';

const DEFAULT_ACCOUNT = 'default';

export function serviceAccountsController(ctx: ComponentContext): Controller {
  const namespaces = ctx.informers.informerFor(NAMESPACE);
  const accounts = ctx.informers.informerFor(SERVICE_ACCOUNT, { fieldSelector: `metadata.name=${DEFAULT_ACCOUNT}` });
  const controller = new Controller({
    name: 'serviceaccount-controller',
    clock: ctx.clock,
    logger: ctx.logger,
    async reconcile(namespace) {
      const ns = namespaces.get(namespace);
      if (!ns || ns.metadata.deletionTimestamp || accounts.getByName(namespace, DEFAULT_ACCOUNT)) return;
      try {
        await ctx.client.create({ ...SERVICE_ACCOUNT, metadata: { name: DEFAULT_ACCOUNT, namespace } });
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    },
  });
  return controller.watch(namespaces).watch(accounts, (sa) => [sa.metadata.namespace ?? '']);
}
