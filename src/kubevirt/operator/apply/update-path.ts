/**
 * shouldTakeUpdatePath (apply/reconcile.go): an install that has observed a
 * version before takes the update path (virt-handler first, virt-api last)
 * unless the target is not newer by semantic version, which is the
 * create-or-rollback path (virt-api first). Versions that are not semantic
 * versions count as an update, as in KubeVirt.
 */

interface SemVer {
  core: number[];
  prerelease: string[];
}

/** Masterminds/semver's lenient form: 1, 1.2 or 1.2.3, optional -prerelease and +build, `v` already stripped. */
const SEMVER = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

function parse(version: string): SemVer | undefined {
  const match = SEMVER.exec(version.replace(/^v/, ''));
  if (!match) return undefined;
  return { core: [match[1], match[2] ?? '0', match[3] ?? '0'].map(Number), prerelease: match[4]?.split('.') ?? [] };
}

function compareIdentifiers(a: string, b: string): number {
  const numeric = (s: string): boolean => /^\d+$/.test(s);
  if (numeric(a) && numeric(b)) return Number(a) - Number(b);
  if (numeric(a) !== numeric(b)) return numeric(a) ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Semantic-version precedence: cores by number, then a release above its prereleases, then prerelease identifiers in turn. */
function compareVersions(a: SemVer, b: SemVer): number {
  for (let i = 0; i < 3; i++) if (a.core[i] !== b.core[i]) return a.core[i] - b.core[i];
  if (a.prerelease.length === 0 || b.prerelease.length === 0) return b.prerelease.length - a.prerelease.length;
  for (let i = 0; i < Math.min(a.prerelease.length, b.prerelease.length); i++) {
    const order = compareIdentifiers(a.prerelease[i], b.prerelease[i]);
    if (order !== 0) return order;
  }
  return a.prerelease.length - b.prerelease.length;
}

export function shouldTakeUpdatePath(targetVersion: string, currentVersion: string): boolean {
  if (!currentVersion) return false;
  const target = parse(targetVersion);
  const current = parse(currentVersion);
  if (!target || !current) return true;
  return compareVersions(target, current) > 0;
}
