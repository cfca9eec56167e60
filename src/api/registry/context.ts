/** Per-request inputs to the generic registry, for HTTP and in-process callers alike. */
import type { UserInfo } from '../../auth/user.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface RequestContext {
  user: UserInfo;
  dryRun: boolean;
  fieldManager?: string;
  fieldValidation: FieldValidation;
  /** Keys the request body repeats (`metadata.name`), for fieldValidation Strict and Warn. */
  duplicateFields?: string[];
  /** Collected `Warning: 299` messages for the response. */
  warnings: string[];
  /** The client's User-Agent, naming the field manager of writes that give none. */
  userAgent?: string;
}

export const newContext = (user: UserInfo, overrides: Partial<RequestContext> = {}): RequestContext => ({
  user,
  dryRun: false,
  fieldValidation: 'Ignore',
  warnings: [],
  ...overrides,
});
