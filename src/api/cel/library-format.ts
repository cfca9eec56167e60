/**
 * Kubernetes' CEL format library (k8s.io/apiserver/pkg/cel/library/format.go):
 * `format.dns1123Label().validate(s)` and friends, and `format.named(name)`.
 * validate() returns optional.none for a valid string, else the messages
 * apimachinery's validation gives.
 */
import { type Environment, Optional } from '@marcbachmann/cel-js';
import { dns1035LabelMessages, dns1123LabelMessages, dns1123SubdomainMessages } from '../builtins/names.js';
import { labelValueErrors } from '../selectors/label-validation.js';
import { qualifiedNameMessages } from '../validation/objectmeta.js';
import { registerNamespace } from './namespace.js';

export class Format {
  constructor(
    readonly name: string,
    readonly validate: (value: string) => string[],
  ) {}
}

/** A name validation that, for a prefix (generateName), ignores one trailing dash as apimachinery's maskTrailingDash does. */
const prefixOf =
  (validate: (value: string) => string[]) =>
  (value: string): string[] =>
    validate(value.length > 1 && value.endsWith('-') ? `${value.slice(0, -2)}a` : value);

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function uriMessages(value: string): string[] {
  if (value.startsWith('/')) return [];
  try {
    new URL(value);
    return [];
  } catch {
    return [`parse ${JSON.stringify(value)}: invalid URI for request`];
  }
}

const check = (pattern: RegExp, message: string) => (value: string) => (pattern.test(value) ? [] : [message]);

const formats: Record<string, Format> = {
  dns1123Label: new Format('DNS1123Label', dns1123LabelMessages),
  dns1123Subdomain: new Format('DNS1123Subdomain', dns1123SubdomainMessages),
  dns1035Label: new Format('DNS1035Label', dns1035LabelMessages),
  qualifiedName: new Format('QualifiedName', qualifiedNameMessages),
  dns1123LabelPrefix: new Format('DNS1123LabelPrefix', prefixOf(dns1123LabelMessages)),
  dns1123SubdomainPrefix: new Format('DNS1123SubdomainPrefix', prefixOf(dns1123SubdomainMessages)),
  dns1035LabelPrefix: new Format('DNS1035LabelPrefix', prefixOf(dns1035LabelMessages)),
  labelValue: new Format('LabelValue', labelValueErrors),
  uri: new Format('URI', uriMessages),
  uuid: new Format('uuid', check(UUID, 'does not match the UUID format')),
  byte: new Format('byte', check(BASE64, 'invalid base64')),
  date: new Format('date', check(DATE, 'invalid date')),
  datetime: new Format('datetime', check(DATETIME, 'invalid datetime')),
};

export function registerFormatLibrary(env: Environment): void {
  const namespace = registerNamespace(env, 'format');
  env.registerType('Format', Format);
  for (const [name, format] of Object.entries(formats)) env.registerFunction(`${namespace}.${name}(): Format`, () => format);
  env
    .registerFunction(`${namespace}.named(string): optional<Format>`, (_: unknown, name: string) => Optional.of(formats[name]))
    .registerFunction('Format.validate(string): optional<list<string>>', (format: Format, value: string) => {
      const messages = format.validate(value);
      return messages.length ? Optional.of(messages) : Optional.none();
    });
}
