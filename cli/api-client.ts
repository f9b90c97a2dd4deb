import type { Command } from 'commander';
import { FlowwatchError } from '../kernel/errors';

/** What `flowwatch alerts` and `flowwatch incidents` take to reach the HTTP API. */
export interface ApiFlags {
  url?: string;
  tokenEnv?: string;
  json?: boolean;
}

const DEFAULT_URL = 'http://127.0.0.1:9464';

/** Calls the flowwatch HTTP API; a 4xx/5xx becomes one clear error line, never a stack. */
export async function call<T>(flags: ApiFlags, method: string, path: string, body?: unknown): Promise<T> {
  const base = (flags.url ?? process.env.FLOWWATCH_API_URL ?? DEFAULT_URL).replace(/\/+$/, '');
  const tokenEnv = flags.tokenEnv ?? 'FLOWWATCH_API_TOKEN';
  const token = process.env[tokenEnv];
  if (!token)
    throw new FlowwatchError('FW_USAGE', `no API token: set ${tokenEnv} in the environment (the token the server was started with)`);
  let res: Response;
  try {
    res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    throw new FlowwatchError(
      'FW_USAGE',
      `cannot reach the flowwatch API at ${base}: ${e.cause?.code ?? e.message} (is \`flowwatch run\` running with alerting.api configured?)`,
    );
  }
  const text = await res.text();
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    data = { error: text };
  }
  if (!res.ok)
    throw new FlowwatchError(
      'FW_USAGE',
      `${method} ${path}: ${res.status} ${(data as { error?: string } | null)?.error ?? res.statusText}`,
    );
  return data as T;
}

export function apiOptions(c: Command): Command {
  return c
    .option('--url <url>', `API base URL (default $FLOWWATCH_API_URL, else ${DEFAULT_URL})`)
    .option('--token-env <name>', 'environment variable holding the bearer token (default FLOWWATCH_API_TOKEN)')
    .option('--json', 'print the API answer as JSON');
}
