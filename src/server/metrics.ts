/**
 * The apiserver's request metrics, served at /metrics in the Prometheus text
 * format: `apiserver_request_total` with kube-apiserver's labels (verb as
 * the apiserver reports it, dry_run, group, version, resource, subresource,
 * scope, component, code). Counted by a request hook of the generic
 * registry, so in-process components' requests count as a real cluster's
 * controllers' HTTP requests do. LIST and WATCH do not pass the registry and
 * are not counted.
 */
import type { FastifyInstance } from 'fastify';
import type { ApiRequest, RequestHook } from '../api/registry/request-hooks.js';

const METRIC = 'apiserver_request_total';
const LABELS = ['verb', 'dry_run', 'group', 'version', 'resource', 'subresource', 'scope', 'component', 'code'] as const;

/** The verb label as kube-apiserver writes it (CleanVerb): the HTTP method, APPLY for server-side apply. */
function verbLabel(request: ApiRequest): string {
  switch (request.verb) {
    case 'get':
      return 'GET';
    case 'create':
      return 'POST';
    case 'update':
      return 'PUT';
    case 'patch':
      return request.patchType === 'apply' ? 'APPLY' : 'PATCH';
    case 'delete':
      return 'DELETE';
  }
}

const scopeLabel = (request: ApiRequest): string =>
  request.name !== undefined ? 'resource' : request.namespace !== undefined ? 'namespace' : 'cluster';

const escapeLabel = (value: string): string => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

export class RequestMetrics implements RequestHook {
  /** Count by the label values joined in LABELS order. */
  private readonly counts = new Map<string, number>();

  completed(request: ApiRequest, code: number): void {
    const values = [
      verbLabel(request),
      request.dryRun ? 'All' : '',
      request.group,
      request.version,
      request.resource,
      request.subresource ?? '',
      scopeLabel(request),
      'apiserver',
      String(code),
    ];
    const key = values.join('\u0000');
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** The Prometheus text exposition of every series. */
  render(): string {
    const lines = [
      `# HELP ${METRIC} [STABLE] Requests the API server answered, by verb, dry run, group, version, resource, subresource, scope, component and HTTP status code.`,
      `# TYPE ${METRIC} counter`,
    ];
    for (const key of [...this.counts.keys()].sort()) {
      const labels = key
        .split('\u0000')
        .map((value, i) => `${LABELS[i]}="${escapeLabel(value)}"`)
        .join(',');
      lines.push(`${METRIC}{${labels}} ${this.counts.get(key)}`);
    }
    return `${lines.join('\n')}\n`;
  }
}

/** GET /metrics, as kube-apiserver serves it. */
export function registerMetricsRoute(app: FastifyInstance, metrics: RequestMetrics): void {
  app.get('/metrics', async (_req, reply) => reply.type('text/plain; version=0.0.4; charset=utf-8').send(metrics.render()));
}
