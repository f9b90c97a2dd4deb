/** The webhook receiver against a real local HTTP server: body, signature, and which failures are worth retrying. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeAlert } from '../testing/fakes';
import type { Notification } from '../notification';
import { PermanentError, RetryableError } from './types';
import { WebhookReceiver, signBody, webhookSecret } from './webhook';

let server: Server;
let port = 0;
let answer: { status: number; headers?: Record<string, string>; delayMs?: number } = { status: 200 };
const got: Array<{ headers: Record<string, unknown>; raw: string }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, raw: Buffer.concat(chunks).toString('utf8') });
      const reply = () => res.writeHead(answer.status, answer.headers).end(answer.status >= 400 ? 'nope' : 'ok');
      if (answer.delayMs) setTimeout(reply, answer.delayMs);
      else reply();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((r) => (server.close(() => r()), server.closeAllConnections()));
});
beforeEach(() => {
  got.length = 0;
  answer = { status: 200 };
});

const notification = (): Notification => {
  const a = makeAlert({ key: 'gate-1', severity: 'critical' });
  return { id: 'n-1', receiver: 'hook', reason: 'new', groupKey: 'g', groupLabels: { stream: 'people' }, createdAt: 0, alerts: [a] };
};

describe('webhook receiver', () => {
  it('POSTs the notification as JSON with stable ids, signed with HMAC-SHA256 of the body', async () => {
    const r = new WebhookReceiver('hook', {
      url: `http://user:pw@127.0.0.1:${port}/in?x=1`,
      secret: 's3cret',
      timeoutMs: 2000,
      headers: { 'x-team': 'ops' },
    });
    const n = notification();
    await r.notify(n.alerts, { notification: n });
    expect(got).toHaveLength(1);
    const body = JSON.parse(got[0].raw);
    expect(body).toMatchObject({
      version: '1',
      id: 'n-1',
      receiver: 'hook',
      reason: 'new',
      status: 'firing',
      groupLabels: { stream: 'people' },
    });
    expect(body.alerts[0]).toMatchObject({ id: n.alerts[0].id, fingerprint: 'people/surge/gate-1', evidence: { value: 412 } });
    expect(got[0].headers['x-flowwatch-signature']).toBe(signBody(got[0].raw, 's3cret'));
    expect(got[0].headers['x-flowwatch-notification-id']).toBe('n-1');
    expect(got[0].headers['x-team']).toBe('ops');
    expect(got[0].headers.authorization).toBe('Basic ' + Buffer.from('user:pw').toString('base64'));
    expect(r.target).toBe(`http://127.0.0.1:${port}/in`); // what logs see: no credentials, no query
  });

  it("format alertmanager: POSTs Alertmanager's webhook message (version 4), signed the same way", async () => {
    const r = new WebhookReceiver('hook', {
      url: `http://127.0.0.1:${port}/am`,
      secret: 's3cret',
      timeoutMs: 2000,
      format: 'alertmanager',
      externalUrl: 'http://fw:9464',
    });
    const n = notification();
    await r.notify(n.alerts, { notification: n });
    const body = JSON.parse(got[0].raw);
    expect(body).toMatchObject({
      version: '4',
      receiver: 'hook',
      status: 'firing',
      groupKey: 'g',
      groupLabels: { stream: 'people' },
      externalURL: 'http://fw:9464',
      truncatedAlerts: 0,
    });
    expect(body.alerts[0]).toMatchObject({
      status: 'firing',
      labels: { alertname: 'surge', key: 'gate-1' },
      fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
      endsAt: '0001-01-01T00:00:00Z',
    });
    expect(got[0].headers['x-flowwatch-signature']).toBe(signBody(got[0].raw, 's3cret'));
  });

  it.each([
    [500, RetryableError],
    [503, RetryableError],
    [429, RetryableError],
    [408, RetryableError],
    [400, PermanentError],
    [404, PermanentError],
  ])('HTTP %s → %p', async (status, kind) => {
    answer = { status };
    const r = new WebhookReceiver('hook', { url: `http://127.0.0.1:${port}/`, timeoutMs: 2000 });
    const err = await r.notify(notification().alerts, { notification: notification() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(kind);
    expect((err as Error).message).toContain(`answered ${status}`);
  });

  it('honours Retry-After; refused connections and timeouts are retryable', async () => {
    answer = { status: 429, headers: { 'retry-after': '7' } };
    const r = new WebhookReceiver('hook', { url: `http://127.0.0.1:${port}/`, timeoutMs: 100 });
    expect(await r.notify(notification().alerts).catch((e: RetryableError) => e.retryAfterMs)).toBe(7000);
    answer = { status: 200, delayMs: 500 };
    expect(await r.notify(notification().alerts).catch((e: Error) => [e.constructor, e.message])).toEqual([
      RetryableError,
      expect.stringMatching(/timed out after 100 ms/),
    ]);
    const free = createServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
    const freePort = (free.address() as AddressInfo).port;
    await new Promise<void>((r) => free.close(() => r()));
    const closed = new WebhookReceiver('hook', { url: `http://127.0.0.1:${freePort}/`, timeoutMs: 1000 });
    expect(await closed.notify(notification().alerts).catch((e: Error) => [e.constructor, e.message])).toEqual([
      RetryableError,
      expect.stringMatching(/ECONNREFUSED/),
    ]);
  });

  it('a secret_env that is not set stops startup, without a value in the message', () => {
    expect(() => webhookSecret('hook', 'FW_MISSING', {})).toThrow(
      'receiver hook: secret_env names FW_MISSING, but it is not set in the environment',
    );
    expect(webhookSecret('hook', 'FW_SET', { FW_SET: 'abc' })).toBe('abc');
    expect(webhookSecret('hook', undefined, {})).toBeUndefined();
  });
});
