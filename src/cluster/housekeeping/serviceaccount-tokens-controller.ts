/**
 * kube-controller-manager's token controller (pkg/controller/serviceaccount
 * tokens_controller.go): a Secret of type kubernetes.io/service-account-token
 * naming a ServiceAccount in its `kubernetes.io/service-account.name`
 * annotation gets `token`, `ca.crt` and `namespace` data and the account's
 * uid annotation; it is deleted when that ServiceAccount is gone (or was
 * replaced by one with another uid).
 */
import type { KubeObject } from '../../api/types.js';
import { Controller } from '../../runtime/controller.js';
import { splitKey } from '../../runtime/informer.js';
import type { ComponentContext } from '../../runtime/component-context.js';
import { SERVICE_ACCOUNT } from '../workloads/objects.js';
import { isNotFound } from '../../kube/owners.js';

const SECRET = { apiVersion: 'v1', kind: 'Secret' } as const;
export const SERVICE_ACCOUNT_TOKEN_TYPE = 'kubernetes.io/service-account-token';
const NAME_ANNOTATION = 'kubernetes.io/service-account.name';
const UID_ANNOTATION = 'kubernetes.io/service-account.uid';

/** Signs a legacy token for the account and its Secret (the apiserver's key; the controller only asks for it). */
export type LegacyTokenSigner = (serviceAccount: KubeObject, secret: KubeObject) => Promise<string>;

type TokenSecret = KubeObject & { data?: Record<string, string> };

const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

export function serviceAccountTokensController(ctx: ComponentContext, sign: LegacyTokenSigner, rootCaPem: string): Controller {
  const secrets = ctx.informers.informerFor<TokenSecret>(SECRET, { fieldSelector: `type=${SERVICE_ACCOUNT_TOKEN_TYPE}` });
  const accounts = ctx.informers.informerFor(SERVICE_ACCOUNT);

  /** The account the secret names, from the cache or, on a miss, the API (it may be newer than the cache). */
  async function accountOf(namespace: string, name: string): Promise<KubeObject | undefined> {
    const cached = accounts.getByName(namespace, name);
    if (cached) return cached;
    try {
      return await ctx.client.get(SERVICE_ACCOUNT, namespace, name);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  const controller = new Controller({
    name: 'serviceaccount-token-controller',
    clock: ctx.clock,
    logger: ctx.logger,
    async reconcile(key) {
      const secret = secrets.get(key);
      if (!secret || secret.metadata.deletionTimestamp) return;
      const namespace = splitKey(key).namespace ?? '';
      const annotations = secret.metadata.annotations ?? {};
      const account = await accountOf(namespace, annotations[NAME_ANNOTATION] ?? '');
      const expectedUid = annotations[UID_ANNOTATION];
      if (!account || (expectedUid && expectedUid !== account.metadata.uid)) {
        try {
          await ctx.client.delete(SECRET, namespace, secret.metadata.name ?? '', { preconditions: { uid: secret.metadata.uid } });
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
        return;
      }
      const data = secret.data ?? {};
      const needsCa = data['ca.crt'] !== base64(rootCaPem);
      if (!needsCa && data.namespace && data.token && expectedUid) return;
      await ctx.client.update<TokenSecret>({
        ...secret,
        metadata: {
          ...secret.metadata,
          annotations: { ...annotations, [NAME_ANNOTATION]: account.metadata.name ?? '', [UID_ANNOTATION]: account.metadata.uid ?? '' },
        },
        data: {
          ...data,
          'ca.crt': base64(rootCaPem),
          namespace: data.namespace || base64(namespace),
          token: data.token || base64(await sign(account, secret)),
        },
      });
    },
  });
  // A ServiceAccount's change (its deletion above all) concerns every token Secret that names it.
  const secretsOf = (account: KubeObject): string[] =>
    secrets
      .list()
      .filter(
        (s) => s.metadata.namespace === account.metadata.namespace && s.metadata.annotations?.[NAME_ANNOTATION] === account.metadata.name,
      )
      .map((s) => `${s.metadata.namespace}/${s.metadata.name}`);
  return controller.watch(secrets).watch(accounts, secretsOf);
}
