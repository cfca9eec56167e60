/**
 * The small logging surface components use, so the runtime does not decide
 * where logs go: the CLI can hand in a structured logger, tests a silent one.
 */
export interface Logger {
  info(message: string): void;
  error(message: string, err?: unknown): void;
}

export const silentLogger: Logger = {
  info: () => {},
  error: () => {},
};

/** Prefixes each line with the component's name, as kube components log with a klog prefix. */
export function consoleLogger(name: string): Logger {
  return {
    info: (message) => console.log(`${name}: ${message}`),
    error: (message, err) => console.error(`${name}: ${message}${err === undefined ? '' : `: ${errorText(err)}`}`),
  };
}

export const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
