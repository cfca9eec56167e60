/** A step's one-line label for reports: its `name`, or what it does. */
import { actionOf, type Step } from './types.js';

const inNamespace = (namespace: string | undefined): string => (namespace ? ` -n ${namespace}` : '');
const short = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

export function describeStep(step: Step): string {
  if (step.name) return step.name;
  const action = actionOf(step);
  switch (action.type) {
    case 'apply': {
      const body = action.body;
      if (typeof body === 'string') return `apply ${body}`;
      if (body.file) return `apply ${body.file}`;
      const manifest = body.manifest as { kind?: string; metadata?: { name?: string } } | string | undefined;
      return typeof manifest === 'object' ? `apply ${manifest.kind ?? 'object'}/${manifest.metadata?.name ?? ''}` : 'apply inline manifest';
    }
    case 'delete':
      return typeof action.body === 'string'
        ? `delete ${action.body}`
        : `delete ${action.body.object}${inNamespace(action.body.namespace)}`;
    case 'patch':
      return `patch ${action.body.object}${inNamespace(action.body.namespace)} (${action.body.type ?? 'merge'})`;
    case 'subresource':
      return `${action.body.action} ${action.body.name}${inNamespace(action.body.namespace)}`;
    case 'kubectl': {
      const args = typeof action.body === 'string' ? action.body : action.body.args;
      return `kubectl ${Array.isArray(args) ? args.join(' ') : args}`;
    }
    case 'wait': {
      const w = action.body;
      const what = w.deleted
        ? 'deleted'
        : w.condition !== undefined
          ? `condition ${w.condition}`
          : w.printableStatus !== undefined
            ? `printableStatus=${w.printableStatus}`
            : `${w.jsonpath ?? ''}${w.value !== undefined ? `=${short(w.value)}` : ''}`;
      return `wait ${w.object}${inNamespace(w.namespace)} ${what}${w.timeout ? ` (timeout ${w.timeout})` : ''}`;
    }
    case 'expect': {
      const e = action.body;
      if (e.count)
        return `expect ${e.count.equals} ${e.count.resource}${e.count.selector ? ` -l ${e.count.selector}` : ''}${inNamespace(e.count.namespace)}`;
      if (e.event) return `expect event ${e.event.reason}${e.event.object ? ` on ${e.event.object}` : ''}`;
      if (e.metric) {
        const labels = Object.entries(e.metric.labels ?? {}).map(([k, v]) => `${k}="${v}"`);
        const bounds = [
          e.metric.equals !== undefined && `== ${e.metric.equals}`,
          e.metric.atLeast !== undefined && `>= ${e.metric.atLeast}`,
          e.metric.atMost !== undefined && `<= ${e.metric.atMost}`,
        ].filter(Boolean);
        return `expect metric ${e.metric.name}{${labels.join(',')}} ${bounds.join(' and ')}`;
      }
      const check =
        e.equals !== undefined
          ? ` == ${short(e.equals)}`
          : e.matches !== undefined
            ? ` =~ /${e.matches}/`
            : e.exists === false
              ? ' absent'
              : ' exists';
      return `expect ${e.object ?? ''}${inNamespace(e.namespace)} ${e.jsonpath ?? ''}${check}`;
    }
    case 'fault': {
      const f = action.body;
      const on = f.node ?? (f.vmi !== undefined ? `vmi/${f.vmi}` : Object.values(f.target ?? {}).join(' '));
      return `fault ${f.type} ${on}${f.percent !== undefined ? ` (${f.percent}%)` : ''}`;
    }
    case 'advance':
      return `advance ${action.body}`;
    case 'console': {
      const c = action.body;
      const typed = c.send !== undefined ? ` send ${JSON.stringify(c.send)}` : '';
      return `console vmi/${c.vmi}${inNamespace(c.namespace)}${typed}${c.expect !== undefined ? ` expect /${c.expect}/` : ''}`;
    }
    case 'repeat':
      return `repeat ${action.body.count} times`;
  }
}
