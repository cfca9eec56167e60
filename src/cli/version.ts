/** The emulator's own version, read from package.json (two levels up from both src/cli and dist/cli). */
import { readFileSync } from 'node:fs';

export function emulatorVersion(): string {
  const manifest: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  const version = (manifest as { version?: unknown }).version;
  if (typeof version !== 'string') throw new Error('package.json has no version');
  return `v${version}`;
}
