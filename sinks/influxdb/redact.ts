import { setLogger, type Logger as ClientLogger } from '@influxdata/influxdb-client';
import type { Logger } from '../../kernel/logger';

export const REDACTED = '[redacted]';

/** The strings to hide for a token: the token itself and, for a 1.x "user:password" token, the password. */
export function secretsOf(token: string): string[] {
  const out: string[] = [];
  if (token !== '') out.push(token);
  const colon = token.indexOf(':');
  if (colon >= 0 && colon < token.length - 1) out.push(token.slice(colon + 1));
  return out;
}

/** Replaces every occurrence of every secret in `text` (longest first). */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    if (s !== '') out = out.split(s).join(REDACTED);
  }
  return out;
}

/**
 * A loggable description of an error from the client: name, message, code and HTTP status
 * only — never the error object itself (it may carry headers) — with secrets replaced.
 * Duck-typed: errors from node's http come from another realm under jest's vm.
 */
export function describeError(err: unknown, secrets: readonly string[]): { type: string; message: string; code?: string; status?: number } {
  if (err !== null && typeof err === 'object' && typeof (err as { message?: unknown }).message === 'string') {
    const e = err as { name?: unknown; message: string; code?: unknown; statusCode?: unknown };
    return {
      type: typeof e.name === 'string' ? e.name : 'Error',
      message: redact(e.message, secrets),
      ...(typeof e.code === 'string' ? { code: redact(e.code, secrets) } : {}),
      ...(typeof e.statusCode === 'number' ? { status: e.statusCode } : {}),
    };
  }
  return { type: typeof err, message: redact(String(err), secrets) };
}

/*
 * The client logs through one process-wide logger (console by default). Route it into pino at
 * debug level — the sink logs the same events itself, with counts, at warn/error — and hide
 * the secrets of every sink. Once installed the adapter stays: a request still in flight
 * after the last sink closed may log late; that line goes to the previous logger, redacted.
 */
interface Target {
  log: Logger;
}
const targets: Target[] = [];
const allSecrets = new Set<string>();
let previous: ClientLogger | undefined;
let installed = false;

function emit(level: 'warn' | 'error', message: string, err: unknown): void {
  const secrets = [...allSecrets];
  const text = redact(String(message), secrets);
  const described = err ? describeError(err, secrets) : undefined;
  const target = targets[targets.length - 1];
  if (target) {
    target.log.debug({ client_level: level, ...(described ? { error: described } : {}) }, 'influxdb-client: ' + text);
  } else {
    previous?.[level](text, described);
  }
}

const adapter: ClientLogger = {
  error: (message, err) => emit('error', message, err),
  warn: (message, err) => emit('warn', message, err),
};

/** Sends the client's own log lines to `log` (debug level, secrets hidden) until the returned function is called. */
export function attachClientLog(log: Logger, secrets: readonly string[]): () => void {
  for (const s of secrets) if (s !== '') allSecrets.add(s);
  const t: Target = { log };
  targets.push(t);
  if (!installed) {
    previous = setLogger(adapter);
    installed = true;
  }
  return () => {
    const i = targets.indexOf(t);
    if (i >= 0) targets.splice(i, 1);
  };
}
