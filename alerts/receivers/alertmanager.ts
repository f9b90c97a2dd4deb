import type { Clock } from '../../kernel/clock';
import { FlowwatchError } from '../../kernel/errors';
import type { Alert } from '../../kernel/types';
import { alertmanagerReceiverSchema, type AlertmanagerReceiverConfig } from './alertmanager-config';
import { amPostableAlert, type AmPostableAlert } from '../format/alertmanager';
import type { NotifiedAlert, NotifyContext } from '../notification';
import { PermanentError, RetryableError, type Receiver, type ReceiverFactory } from './types';

/** Prometheus sends at most this many alerts per request (notifier maxBatchSize). */
const MAX_BATCH = 256;

export interface AlertmanagerReceiverOptions {
  /** Base URLs of every Alertmanager (an HA pair: both); /api/v2/alerts is appended. */
  urls: readonly string[];
  /** Firing alerts are sent again this often, each valid for 4 intervals (Prometheus: resend_delay, 4×). */
  resendIntervalMs: number;
  /** Resolved alerts are sent again for this long, so an instance that was down hears of them. */
  resolvedRetentionMs: number;
  timeoutMs: number;
  headers?: Record<string, string>;
  bearerToken?: string;
  externalUrl?: string;
  /**
   * The alerts now firing and routed to this receiver (muted ones too), from the alert store (wired by
   * the app): what the resend loop refreshes, so a restarted worker, or another worker sharing
   * the store, keeps them alive in Alertmanager. Without it, the firing alerts notifications brought.
   */
  firing?: () => Promise<NotifiedAlert[]>;
  log?: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
  fetch?: typeof fetch;
  now?: () => number;
  /** Start the resend loop (default true; tests call resend() themselves). */
  resendLoop?: boolean;
}

interface Target {
  /** For logs: no credentials, no query. */
  name: string;
  url: string;
  auth?: string;
}

/**
 * Pushes alerts to Alertmanagers the way Prometheus does (POST /api/v2/alerts): a firing alert
 * with `endsAt` 4 resend intervals ahead, sent again every resend interval while it fires, so
 * Alertmanager resolves it by itself if flowwatch goes silent; a resolved alert with its end
 * time, sent again for `resolvedRetentionMs`. Every instance gets every request, in parallel.
 *
 * A notification (from the durable outbox) counts as delivered once at least one instance took
 * it, as Prometheus counts a send; an instance that missed it gets it with the next resend
 * (firing) or within the resolved retention (resolved). When no instance takes it, the outbox
 * retries it (RetryableError), or moves it to the dead list when every instance refused it as
 * malformed (PermanentError, a 4xx). Sends are serialized, so a resend never overtakes a resolve.
 */
export class AlertmanagerReceiver implements Receiver {
  private readonly targets: Target[];
  private readonly fetchFn: typeof fetch;
  private readonly now: () => number;
  /** Firing alerts notified through this receiver, by fingerprint (the resend source without `firing`). */
  private readonly firing = new Map<string, NotifiedAlert>();
  /** Resolved alerts, re-sent until `until`. */
  private readonly resolved = new Map<string, { alert: NotifiedAlert; until: number }>();
  private readonly down = new Set<string>();
  private chain: Promise<unknown> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    readonly name: string,
    private readonly o: AlertmanagerReceiverOptions,
  ) {
    this.fetchFn = o.fetch ?? fetch;
    this.now = o.now ?? Date.now;
    this.targets = o.urls.map((raw) => {
      const u = new URL(raw);
      let auth: string | undefined;
      if (u.username || u.password) {
        auth = 'Basic ' + Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64');
        u.username = '';
        u.password = '';
      }
      if (o.bearerToken !== undefined) auth = `Bearer ${o.bearerToken}`;
      const base = `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
      return { name: base, url: `${base}/api/v2/alerts${u.search}`, auth };
    });
    if (o.resendLoop !== false) {
      this.timer = setInterval(() => void this.resend().catch(() => undefined), o.resendIntervalMs);
      this.timer.unref();
    }
  }

  /** The Alertmanager URLs, for logs. */
  get target(): string {
    return this.targets.map((t) => t.name).join(', ');
  }

  notify(alerts: readonly Alert[], ctx?: NotifyContext): Promise<void> {
    return this.serial(() => this.send(ctx?.notification.alerts ?? (alerts as NotifiedAlert[]), ctx?.signal));
  }

  private async send(alerts: readonly NotifiedAlert[], signal?: AbortSignal): Promise<void> {
    const now = this.now();
    for (const a of alerts) {
      if (a.status === 'resolved') {
        this.firing.delete(a.fingerprint);
        if (this.o.resolvedRetentionMs > 0) this.resolved.set(a.fingerprint, { alert: a, until: now + this.o.resolvedRetentionMs });
      } else {
        this.firing.set(a.fingerprint, a);
        this.resolved.delete(a.fingerprint);
      }
    }
    const body = alerts.map((a) => this.postable(a, now));
    const results = await Promise.allSettled(this.targets.map((t) => this.postAll(t, body, signal)));
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ target: this.targets[i], err: r.reason as Error }] : []));
    if (failed.length < this.targets.length) return; // at least one instance has it; the others get it with the resends
    const msg = `alertmanager ${this.name}: no Alertmanager took the alerts: ${failed.map((f) => f.err.message).join('; ')}`;
    if (failed.every((f) => f.err instanceof PermanentError)) throw new PermanentError(msg);
    const waits = failed
      .map((f) => (f.err instanceof RetryableError ? f.err.retryAfterMs : undefined))
      .filter((x): x is number => x !== undefined);
    throw new RetryableError(msg, { retryAfterMs: waits.length > 0 ? Math.min(...waits) : undefined });
  }

  /**
   * Sends every firing alert again (valid for 4 more intervals) and the resolved ones still
   * retained, to every instance. The loop calls it every resend interval; failures are logged
   * (once per instance going down and coming back), not thrown.
   */
  resend(): Promise<void> {
    return this.serial(async () => {
      if (this.closed) return;
      const now = this.now();
      for (const [fp, r] of this.resolved) if (r.until <= now) this.resolved.delete(fp);
      let firing: NotifiedAlert[];
      try {
        firing = this.o.firing ? await this.o.firing() : [...this.firing.values()];
      } catch (err) {
        this.o.log?.warn(
          { receiver: this.name, err: { message: (err as Error).message } },
          'alertmanager resend: could not read the firing alerts; sending what this worker knows',
        );
        firing = [...this.firing.values()];
      }
      // A retained resolve wins over a firing of the same episode read from the store (a race);
      // a later episode (a newer start) wins over the resolve.
      const byFp = new Map<string, NotifiedAlert>();
      for (const a of firing) byFp.set(a.fingerprint, a);
      for (const [fp, r] of this.resolved) {
        const f = byFp.get(fp);
        if (!f || f.startsAt <= r.alert.startsAt) byFp.set(fp, r.alert);
      }
      if (byFp.size === 0) return;
      const body = [...byFp.values()].map((a) => this.postable(a, now));
      await Promise.all(this.targets.map((t) => this.postAll(t, body).catch(() => undefined)));
    });
  }

  private postable(a: NotifiedAlert, now: number): AmPostableAlert {
    return amPostableAlert(a, { validUntil: now + 4 * this.o.resendIntervalMs, externalUrl: this.o.externalUrl });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async postAll(t: Target, alerts: readonly AmPostableAlert[], signal?: AbortSignal): Promise<void> {
    try {
      for (let i = 0; i < alerts.length; i += MAX_BATCH) await this.post(t, alerts.slice(i, i + MAX_BATCH), signal);
    } catch (err) {
      if (!this.down.has(t.name)) {
        this.down.add(t.name);
        this.o.log?.warn(
          { receiver: this.name, alertmanager: t.name, err: { message: (err as Error).message } },
          'an Alertmanager did not take alerts; the others still get them, and it gets them again with the next resend',
        );
      }
      throw err;
    }
    if (this.down.delete(t.name)) this.o.log?.info({ receiver: this.name, alertmanager: t.name }, 'Alertmanager takes alerts again');
  }

  private async post(t: Target, alerts: readonly AmPostableAlert[], signal?: AbortSignal): Promise<void> {
    const headers: Record<string, string> = { ...this.o.headers, 'content-type': 'application/json', 'user-agent': 'flowwatch' };
    if (t.auth) headers.authorization = t.auth;
    const timeout = AbortSignal.timeout(this.o.timeoutMs);
    let res: Response;
    try {
      res = await this.fetchFn(t.url, {
        method: 'POST',
        body: JSON.stringify(alerts),
        headers,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const why = timeout.aborted ? `timed out after ${this.o.timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.name);
      throw new RetryableError(`${t.name}: ${why}`);
    }
    const text = await res.text().catch(() => '');
    if (res.ok) return;
    const detail = `${t.name} answered ${res.status}${text ? ': ' + text.slice(0, 200) : ''}`;
    if (res.status >= 500 || res.status === 408 || res.status === 429) {
      const retryAfter = Number(res.headers.get('retry-after'));
      throw new RetryableError(detail, { retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined });
    }
    throw new PermanentError(detail);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.chain;
  }
}

export interface AlertmanagerFactoryOptions {
  env?: NodeJS.ProcessEnv;
  /** Wall clock for resends and endsAt (default: the system clock). */
  clock?: Clock;
  /** The firing alerts routed to a receiver (alertmanager-source.ts): what `alertmanager` receivers refresh. */
  firingFor?: (receiver: string) => Promise<NotifiedAlert[]>;
  /** Default base of links to flowwatch's API (generatorURL, externalURL): the API's address, when it is configured. */
  externalUrl?: string;
  log?: AlertmanagerReceiverOptions['log'];
}

/** The receiver from its config; a bearer_token_env that is not set stops startup. */
export function createAlertmanagerReceiver(c: AlertmanagerReceiverConfig, opts: AlertmanagerFactoryOptions = {}): AlertmanagerReceiver {
  let bearerToken: string | undefined;
  if (c.bearer_token_env !== undefined) {
    bearerToken = (opts.env ?? process.env)[c.bearer_token_env];
    if (!bearerToken)
      throw new FlowwatchError(
        'FW_NOTIFY',
        `receiver ${c.name}: bearer_token_env names ${c.bearer_token_env}, but it is not set in the environment`,
      );
  }
  const firingFor = opts.firingFor;
  return new AlertmanagerReceiver(c.name, {
    urls: c.urls,
    resendIntervalMs: c.resend_interval,
    resolvedRetentionMs: c.resolved_retention,
    timeoutMs: c.timeout,
    headers: c.headers,
    bearerToken,
    externalUrl: c.external_url ?? opts.externalUrl,
    firing: firingFor && (() => firingFor(c.name)),
    log: opts.log,
    now: opts.clock && (() => opts.clock!.now()),
  });
}

export const alertmanager: ReceiverFactory<AlertmanagerReceiverConfig> = {
  type: 'alertmanager',
  description: "pushes alerts to Alertmanagers' /api/v2/alerts, as Prometheus does (resent while firing)",
  schema: alertmanagerReceiverSchema,
  create: (c, ctx) => createAlertmanagerReceiver(c, ctx),
};
