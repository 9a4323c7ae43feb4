// The metrics/health HTTP listener: GET /metrics (Prometheus text), /healthz (process up), /readyz (ready).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { HostPort } from '../config/host-port.js';
import { DnswardError } from '../errors.js';
import type { ReadinessReport } from './readiness.js';

export interface HealthDeps {
  /** Prometheus exposition; rejects only on a collector bug (answered 500). */
  readonly metrics: () => Promise<{ contentType: string; body: string }>;
  readonly readiness: () => ReadinessReport;
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** The request handler on its own, so tests can drive it with any readiness state. */
export function createHealthHandler(deps: HealthDeps): Handler {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { allow: 'GET, HEAD' });
      return;
    }
    switch (path) {
      case '/metrics':
        deps.metrics().then(
          ({ contentType, body }) => send(res, 200, contentType, body),
          (error: unknown) =>
            send(res, 500, 'text/plain; charset=utf-8', `metrics failed: ${String(error)}\n`),
        );
        return;
      case '/healthz':
        send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
        return;
      case '/readyz': {
        const report = deps.readiness();
        send(res, report.ready ? 200 : 503, 'application/json', `${JSON.stringify(report)}\n`);
        return;
      }
      default:
        send(res, 404, 'text/plain; charset=utf-8', 'not found: try /metrics, /healthz or /readyz\n');
    }
  };
}

function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startMetricsServer(address: HostPort, handler: Handler): Promise<MetricsServer> {
  const server: Server = createServer(handler);
  // scrapes and probes are small and quick: do not let idle or slow clients hold sockets
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.keepAliveTimeout = 5_000;
  server.maxConnections = 64;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(
        new DnswardError(
          'DNSWARD_ERR_LISTEN',
          `cannot listen for metrics on ${address.host}:${address.port}: ${error.message}`,
          [],
          {
            cause: error,
          },
        ),
      ),
    );
    server.listen(address.port, address.host, () => resolve());
  });
  const bound = server.address();
  return {
    port: typeof bound === 'object' && bound !== null ? bound.port : address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
