import type { Server, ServerResponse } from 'node:http';

/** A JSON (or given content type) response that no cache keeps: the API's and the telemetry listener's. */
export function send(res: ServerResponse, status: number, body: unknown, contentType?: string, headers?: Record<string, string>): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': contentType ?? 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(text);
}

/** Stops listening and drops open keep-alive connections, so a stop never waits on a client. */
export async function closeServer(server: Server | undefined): Promise<void> {
  if (!server) return;
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
