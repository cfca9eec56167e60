/** The HTTP status code a failed client call carries (StatusError), if any. */
export const statusCode = (err: unknown): number | undefined => {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'number' ? code : undefined;
};

export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));
