/**
 * ServiceAccount issuer discovery, as kube-apiserver serves it: the OpenID
 * provider configuration and the key set, so anything outside the cluster
 * can verify the emulator's ServiceAccount tokens.
 */
import type { FastifyInstance } from 'fastify';
import type { ServiceAccountTokens } from '../auth/authentication/index.js';
import { SERVICE_ACCOUNT_ISSUER } from '../auth/authentication/index.js';

const JWKS_PATH = '/openid/v1/jwks';

export function registerIssuerDiscovery(app: FastifyInstance, tokens: ServiceAccountTokens): void {
  app.get('/.well-known/openid-configuration', async (req, reply) =>
    reply
      .header('Cache-Control', 'public, max-age=3600')
      .type('application/json')
      .send(
        JSON.stringify({
          issuer: SERVICE_ACCOUNT_ISSUER,
          // kube names its external address here; the address this request came to is that.
          jwks_uri: `${req.protocol}://${req.headers.host ?? req.hostname}${JWKS_PATH}`,
          response_types_supported: ['id_token'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: [tokens.jwks().keys[0]!.alg],
        }),
      ),
  );
  app.get(JWKS_PATH, async (_req, reply) =>
    reply.header('Cache-Control', 'public, max-age=3600').type('application/jwk-set+json').send(JSON.stringify(tokens.jwks())),
  );
}
