/**
 * Kubernetes 1.32's CEL environment on @marcbachmann/cel-js: the standard
 * definitions plus optional types, kube's list, string (cel-go's strings
 * extension), regex, URL, quantity, semver, IP/CIDR and format libraries.
 * The base is built once and frozen; each schema or policy clones it and
 * declares its own variables and types.
 */
import { Environment } from '@marcbachmann/cel-js';
import { registerFormatLibrary } from './library-format.js';
import { registerListLibrary } from './library-lists.js';
import { registerNetLibrary } from './library-net.js';
import { registerQuantityLibrary } from './library-quantity.js';
import { registerSemverLibrary } from './library-semver.js';
import { registerStringLibrary } from './library-strings.js';
import { registerUrlLibrary } from './library-urls.js';

let base: Environment | undefined;

function kubeBaseEnvironment(): Environment {
  const env = new Environment({ enableOptionalTypes: true });
  for (const register of [
    registerListLibrary,
    registerStringLibrary,
    registerUrlLibrary,
    registerQuantityLibrary,
    registerSemverLibrary,
    registerNetLibrary,
    registerFormatLibrary,
  ])
    register(env);
  return env;
}

/** A new environment with kube's libraries, ready for variables and types to be declared on it. */
export function kubeEnvironment(): Environment {
  base ??= kubeBaseEnvironment();
  return base.clone();
}
