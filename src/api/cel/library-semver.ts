/**
 * Kubernetes' CEL semver library (k8s.io/apiserver/pkg/cel/library/semverlib.go):
 * semver(), isSemver() and comparisons of semantic versions (strict
 * SemVer 2.0: MAJOR.MINOR.PATCH, optional pre-release and build).
 */
import type { Environment } from '@marcbachmann/cel-js';

const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

export class Semver {
  constructor(
    readonly major: bigint,
    readonly minor: bigint,
    readonly patch: bigint,
    readonly pre: string[],
  ) {}

  compareTo(other: Semver): number {
    for (const k of ['major', 'minor', 'patch'] as const) if (this[k] !== other[k]) return this[k] < other[k] ? -1 : 1;
    if (this.pre.length === 0 || other.pre.length === 0) return other.pre.length - this.pre.length === 0 ? 0 : this.pre.length ? -1 : 1;
    for (let i = 0; i < Math.max(this.pre.length, other.pre.length); i++) {
      const [a, b] = [this.pre[i], other.pre[i]];
      if (a === undefined || b === undefined) return a === undefined ? -1 : 1;
      if (a === b) continue;
      const [na, nb] = [/^\d+$/.test(a), /^\d+$/.test(b)];
      if (na && nb) return BigInt(a) < BigInt(b) ? -1 : 1;
      if (na !== nb) return na ? -1 : 1;
      return a < b ? -1 : 1;
    }
    return 0;
  }
}

function semver(text: string): Semver {
  const m = SEMVER.exec(text);
  if (!m) throw new Error(`Invalid character(s) found in version ${JSON.stringify(text)}`);
  return new Semver(BigInt(m[1]), BigInt(m[2]), BigInt(m[3]), m[4]?.split('.') ?? []);
}

export function registerSemverLibrary(env: Environment): void {
  env
    .registerType('Semver', Semver)
    .registerFunction('semver(string): Semver', semver)
    .registerFunction('isSemver(string): bool', (text: string) => SEMVER.test(text))
    .registerFunction('Semver.major(): int', (v: Semver) => v.major)
    .registerFunction('Semver.minor(): int', (v: Semver) => v.minor)
    .registerFunction('Semver.patch(): int', (v: Semver) => v.patch)
    .registerFunction('Semver.isGreaterThan(Semver): bool', (a: Semver, b: Semver) => a.compareTo(b) > 0)
    .registerFunction('Semver.isLessThan(Semver): bool', (a: Semver, b: Semver) => a.compareTo(b) < 0)
    .registerFunction('Semver.compareTo(Semver): int', (a: Semver, b: Semver) => BigInt(a.compareTo(b)))
    .registerOperator('Semver == Semver', (a: Semver, b: Semver) => a.compareTo(b) === 0);
}
