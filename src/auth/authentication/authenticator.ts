/**
 * The shapes every authenticator shares, after k8s.io/apiserver's
 * authenticator package: an answer is a user (with the audiences the
 * credential is good for), "not mine" (undefined), or a refusal (thrown).
 */
import type { UserInfo } from '../user.js';

/** A credential an authenticator recognised and refused; the message is what a TokenReview's status.error says. */
export class AuthenticationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthenticationError';
  }
}

export interface Authenticated {
  user: UserInfo;
  /** The audiences the credential was accepted for (kube's authenticator.Response.Audiences). */
  audiences: string[];
}

/**
 * Authenticates a bearer token for the requested audiences. Resolves to
 * undefined when the token is not one this authenticator issues; throws an
 * AuthenticationError when it is, but is invalid.
 */
export type TokenAuthenticator = (token: string, audiences: readonly string[]) => Promise<Authenticated | undefined>;

/** Tries each authenticator in turn, as kube's union authenticator does: the first success wins, else the errors together. */
export function tokenUnion(authenticators: TokenAuthenticator[]): TokenAuthenticator {
  return async (token, audiences) => {
    const errors: string[] = [];
    for (const authenticate of authenticators) {
      try {
        const result = await authenticate(token, audiences);
        if (result) return result;
      } catch (error) {
        if (!(error instanceof AuthenticationError)) throw error;
        errors.push(error.message);
      }
    }
    if (errors.length > 0) throw new AuthenticationError(aggregate(errors));
    return undefined;
  };
}

/** How k8s.io/apimachinery's error aggregate prints: one message alone, several as "[a, b]". */
export const aggregate = (messages: string[]): string => (messages.length === 1 ? messages[0]! : `[${messages.join(', ')}]`);

/** What Go's %q prints for a []string, e.g. ["a" "b"]. */
export const goQuotedList = (values: readonly string[]): string => `[${values.map((value) => JSON.stringify(value)).join(' ')}]`;
