/**
 * CEL function namespaces (`strings.quote`, `format.dns1123Label`): this
 * library resolves `ns.fn()` as a method on a value, so a namespace is a
 * constant of its own type whose methods ignore their receiver.
 */
import type { Environment } from '@marcbachmann/cel-js';

/** Declares the constant `name` and returns the type name to register its functions on. */
export function registerNamespace(env: Environment, name: string): string {
  const typeName = `${name}.namespace`;
  const Namespace = class {};
  Object.defineProperty(Namespace, 'name', { value: typeName });
  env.registerType(typeName, Namespace).registerConstant(name, typeName, new Namespace());
  return typeName;
}
