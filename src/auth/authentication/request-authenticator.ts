/**
 * Who sent a request, as kube-apiserver 1.32 decides it: the client
 * certificate, then the bearer token; a credential that fails is a 401
 * (Status reason Unauthorized, message "Unauthorized"), and no credential at
 * all is system:anonymous (anonymous auth on, kube's default). Authenticated
 * users get system:authenticated.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { StatusError } from '../../api/errors.js';
import { anonymousUser, unsecuredUser, withAuthenticatedGroup, type UserInfo } from '../user.js';
import { AuthenticationError, type Authenticated, type TokenAuthenticator } from './authenticator.js';
import { authenticateClientCertificate } from './client-certificates.js';

export const unauthorized = (): StatusError => new StatusError(401, 'Unauthorized', 'Unauthorized');

export interface RequestAuthenticatorOptions {
  tokens: TokenAuthenticator;
  /** The API server's own audiences (--api-audiences): what a token used on a request must be for. */
  apiAudiences: string[];
  /** Plain HTTP: a request without credentials is system:unsecured (kube's old insecure port) instead of system:anonymous. */
  insecure?: boolean;
}

/** The bearer token of an `Authorization: Bearer <token>` header, as kube's bearertoken authenticator reads it. */
export function bearerToken(header: string | undefined): string | undefined {
  const parts = (header ?? '').trim().split(' ');
  if (parts.length < 2 || parts[0]!.toLowerCase() !== 'bearer' || parts[1] === '') return undefined;
  return parts[1];
}

export interface TokenReviewResult {
  authenticated: boolean;
  user?: UserInfo;
  audiences?: string[];
  error?: string;
}

export class RequestAuthenticator {
  constructor(private readonly options: RequestAuthenticatorOptions) {}

  /** The request's user; throws a 401 StatusError for a credential that does not authenticate. */
  async authenticate(req: Pick<IncomingMessage, 'headers' | 'socket'>): Promise<UserInfo> {
    let refused = false;
    const attempt = async (
      authenticate: () => Authenticated | undefined | Promise<Authenticated | undefined>,
    ): Promise<UserInfo | undefined> => {
      try {
        return (await authenticate())?.user;
      } catch (error) {
        if (!(error instanceof AuthenticationError)) throw error;
        refused = true;
        return undefined;
      }
    };
    const socket = req.socket as TLSSocket;
    const fromCertificate = socket.encrypted ? await attempt(() => authenticateClientCertificate(socket)) : undefined;
    if (fromCertificate) return withAuthenticatedGroup(fromCertificate);
    const token = bearerToken(req.headers.authorization);
    if (token !== undefined) {
      const fromToken = await attempt(() => this.tokenUser(token, this.options.apiAudiences));
      if (fromToken) return withAuthenticatedGroup(fromToken);
    }
    if (refused) throw unauthorized();
    return this.options.insecure ? unsecuredUser : anonymousUser;
  }

  /** A TokenReview's answer: what the token authenticates as for `audiences` (default the API server's), or why not. */
  async review(token: string, audiences: string[]): Promise<TokenReviewResult> {
    try {
      const result = await this.tokenUser(token, audiences.length > 0 ? audiences : this.options.apiAudiences);
      return { authenticated: true, user: withAuthenticatedGroup(result.user), audiences: result.audiences };
    } catch (error) {
      if (!(error instanceof AuthenticationError)) throw error;
      return { authenticated: false, error: error.message };
    }
  }

  /** The token's user, or an AuthenticationError ("invalid bearer token" when no authenticator knows it, as kube says). */
  private async tokenUser(token: string, audiences: readonly string[]): Promise<Authenticated> {
    const result = await this.options.tokens(token, audiences);
    if (!result) throw new AuthenticationError('invalid bearer token');
    return result;
  }
}
