import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { systemClock, type Clock } from '../../kernel/clock';
import { duration } from '../../kernel/duration';
import type { Alert } from '../../kernel/types';
import { FlowwatchError } from '../../kernel/errors';
import { notificationBody, stableId, type Notification, type NotifyContext } from '../notification';
import { amWebhookMessage } from '../format/alertmanager';
import { webhookFormatKeys } from './alertmanager-config';
import { PermanentError, RetryableError, receiverName, type Receiver, type ReceiverFactory } from './types';

export const webhookReceiverSchema = z
  .object({
    type: z.literal('webhook'),
    name: receiverName.default('webhook'),
    url: z.string().regex(/^https?:\/\/[^\s]+$/, 'expected an http(s) URL'),
    /** Name of the environment variable holding the HMAC-SHA256 key; the key itself never sits in a config file. */
    secret_env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name like FW_WEBHOOK_SECRET')
      .optional(),
    timeout: duration({ min: 1 }).default(10_000),
    /** Extra, non-secret request headers. */
    headers: z.record(z.string(), z.string()).default({}),
    ...webhookFormatKeys,
  })
  .strict();
export type WebhookReceiverConfig = z.output<typeof webhookReceiverSchema>;

export const SIGNATURE_HEADER = 'x-flowwatch-signature';

/** `sha256=<hex HMAC-SHA256 of the exact body bytes>`, as GitHub signs its webhooks. */
export function signBody(body: string | Buffer, secret: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
}

export interface WebhookOptions {
  url: string;
  /** The HMAC key itself (read from the environment by the factory); never logged. */
  secret?: string;
  timeoutMs: number;
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  /** Stamps a notification built here (notify without one); default: the system clock. */
  clock?: Clock;
  /** Body shape: flowwatch's own (default) or Alertmanager's webhook message (alerts/format/alertmanager.ts). */
  format?: 'flowwatch' | 'alertmanager';
  /** format alertmanager: externalURL and the base of generatorURL; max_alerts (0: all). */
  externalUrl?: string;
  maxAlerts?: number;
}

/**
 * POSTs each notification as JSON (notificationBody: version, id, reason, status, alerts with
 * their stable ids and evidence). Signs the body when a secret is configured. Connection
 * errors, timeouts, 408, 429 and 5xx are retryable; other non-2xx answers are permanent.
 */
export class WebhookReceiver implements Receiver {
  readonly #secret?: string;
  readonly #url: string;
  readonly #auth?: string;
  private readonly fetchFn: typeof fetch;
  /** The URL without credentials or query, for logs and error messages. */
  readonly target: string;

  constructor(
    readonly name: string,
    private readonly o: WebhookOptions,
  ) {
    this.#secret = o.secret;
    this.fetchFn = o.fetch ?? fetch;
    const u = new URL(o.url);
    this.target = `${u.protocol}//${u.host}${u.pathname}`;
    // fetch refuses URLs with credentials: send them as Basic auth instead.
    if (u.username || u.password) {
      this.#auth = 'Basic ' + Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64');
      u.username = '';
      u.password = '';
    }
    this.#url = u.toString();
  }

  async notify(alerts: readonly Alert[], ctx?: NotifyContext): Promise<void> {
    const n: Notification = ctx?.notification ?? {
      id: stableId(this.name, ...alerts.map((a) => a.id)),
      receiver: this.name,
      reason: 'new',
      groupKey: '',
      groupLabels: {},
      createdAt: (this.o.clock ?? systemClock).now(),
      alerts: [...alerts],
    };
    const body = JSON.stringify(
      this.o.format === 'alertmanager'
        ? amWebhookMessage(n, { externalUrl: this.o.externalUrl, maxAlerts: this.o.maxAlerts })
        : notificationBody(n),
    );
    const headers: Record<string, string> = {
      ...this.o.headers,
      'content-type': 'application/json',
      'user-agent': 'flowwatch',
      'x-flowwatch-notification-id': n.id,
    };
    if (this.#secret !== undefined) headers[SIGNATURE_HEADER] = signBody(body, this.#secret);
    if (this.#auth !== undefined) headers.authorization = this.#auth;
    const timeout = AbortSignal.timeout(this.o.timeoutMs);
    const signal = ctx?.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout;
    let res: Response;
    try {
      res = await this.fetchFn(this.#url, { method: 'POST', body, headers, signal });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      // Never the raw message alone: it may quote the URL, and the URL may carry credentials.
      const why = timeout.aborted ? `timed out after ${this.o.timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.name);
      throw new RetryableError(`webhook ${this.name} (${this.target}): ${why}`);
    }
    // Drain the body so the connection can be reused; its content only matters for the message.
    const text = await res.text().catch(() => '');
    if (res.ok) return;
    const detail = `webhook ${this.name} (${this.target}) answered ${res.status}${text ? ': ' + text.slice(0, 200) : ''}`;
    if (res.status >= 500 || res.status === 408 || res.status === 429) {
      const retryAfter = Number(res.headers.get('retry-after'));
      throw new RetryableError(detail, { retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined });
    }
    throw new PermanentError(detail);
  }

  async close(): Promise<void> {}
}

export const webhook: ReceiverFactory<WebhookReceiverConfig> = {
  type: 'webhook',
  description: 'POSTs each notification as JSON, HMAC-signed when secret_env names a key.',
  schema: webhookReceiverSchema,
  // Secrets are read from the environment here, once, at startup.
  create: (c, ctx) =>
    new WebhookReceiver(c.name, {
      url: c.url,
      secret: webhookSecret(c.name, c.secret_env, ctx.env),
      timeoutMs: c.timeout,
      headers: c.headers,
      clock: ctx.clock,
      format: c.format,
      externalUrl: c.external_url ?? ctx.externalUrl,
      maxAlerts: c.max_alerts,
    }),
};

/** Reads a webhook secret from the environment; a missing variable stops startup with a clear message. */
export function webhookSecret(name: string, envName: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (envName === undefined) return undefined;
  const v = env[envName];
  if (v === undefined || v === '') {
    throw new FlowwatchError('FW_NOTIFY', `receiver ${name}: secret_env names ${envName}, but it is not set in the environment`);
  }
  return v;
}
