/**
 * Object name rules, with the messages of k8s.io/apimachinery/pkg/util/validation.
 * Which rule applies is per kind: most names are DNS subdomains, namespaces
 * are RFC 1123 labels, services RFC 1035 labels, RBAC names path segments.
 */
import type { FieldError } from '../errors.js';
import { invalidValue } from './field-errors.js';

export type NameValidator = (name: string, field?: string) => FieldError[];

const dns1123LabelFmt = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dns1123SubdomainFmt = `${dns1123LabelFmt}(\\.${dns1123LabelFmt})*`;
const dns1035LabelFmt = '[a-z]([-a-z0-9]*[a-z0-9])?';

/** apimachinery's RegexError: the rule, examples, then the regex. */
export function regexError(message: string, format: string, ...examples: string[]): string {
  const shown = examples.map((e) => `'${e}', `).join(' or ');
  return `${message} (e.g. ${shown}regex used for validation is '${format}')`;
}

/** apimachinery's MaxLenError. */
export const maxLenError = (length: number): string => `must be no more than ${length} characters`;

interface NameRule {
  maxLength: number;
  pattern: RegExp;
  message: string;
}

const dnsSubdomainRule: NameRule = {
  maxLength: 253,
  pattern: new RegExp(`^${dns1123SubdomainFmt}$`),
  message: regexError(
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
    dns1123SubdomainFmt,
    'example.com',
  ),
};

const dnsLabelRule: NameRule = {
  maxLength: 63,
  pattern: new RegExp(`^${dns1123LabelFmt}$`),
  message: regexError(
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
    dns1123LabelFmt,
    'my-name',
    '123-abc',
  ),
};

const dns1035LabelRule: NameRule = {
  maxLength: 63,
  pattern: new RegExp(`^${dns1035LabelFmt}$`),
  message: regexError(
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
    dns1035LabelFmt,
    'my-name',
    'abc-123',
  ),
};

function ruleMessages(rule: NameRule, name: string): string[] {
  const messages: string[] = [];
  if (name.length > rule.maxLength) messages.push(maxLenError(rule.maxLength));
  if (!rule.pattern.test(name)) messages.push(rule.message);
  return messages;
}

const byRule =
  (rule: NameRule): NameValidator =>
  (name, field = 'metadata.name') =>
    ruleMessages(rule, name).map((m) => invalidValue(field, name, m));

/** validation.IsDNS1123Subdomain's messages (e.g. for a qualified name's prefix). */
export const dns1123SubdomainMessages = (value: string): string[] => ruleMessages(dnsSubdomainRule, value);

/** validation.IsDNS1123Label's and IsDNS1035Label's messages (CEL's format library). */
export const dns1123LabelMessages = (value: string): string[] => ruleMessages(dnsLabelRule, value);
export const dns1035LabelMessages = (value: string): string[] => ruleMessages(dns1035LabelRule, value);

/** RFC 1123 subdomain: most kinds, and custom resources. */
export const validateDnsSubdomainName: NameValidator = byRule(dnsSubdomainRule);
/** RFC 1123 label: namespaces, container names, port names. */
export const validateDnsLabelName: NameValidator = byRule(dnsLabelRule);
/** RFC 1035 label: services, whose names become DNS labels that must not start with a digit. */
export const validateDns1035LabelName: NameValidator = byRule(dns1035LabelRule);

/** Any name usable as a URL path segment: RBAC objects such as "system:controller:foo". */
export const validatePathSegmentName: NameValidator = (name, field = 'metadata.name') => {
  const messages: string[] = [];
  if (name === '.' || name === '..') messages.push(`may not be '${name}'`);
  for (const bad of ['/', '%']) if (name.includes(bad)) messages.push(`may not contain '${bad}'`);
  return messages.map((m) => invalidValue(field, name, m));
};
