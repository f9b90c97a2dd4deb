/** The alertmanager receiver against two local HTTP servers standing in for an HA pair (the real one: test/integration/alertmanager.test.ts). */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeAlert, RecordingReceiver, resolved, route, testPipeline } from '../testing/fakes';
import { firingFor } from './alertmanager-source';
import type { Notification } from '../notification';
import { AlertmanagerReceiver, createAlertmanagerReceiver } from './alertmanager';
import { alertmanagerReceiverSchema } from './alertmanager-config';
import { PermanentError, RetryableError } from './types';

interface Fake {
  server: Server;
  url: string;
  got: Array<{ path: string; auth?: string; body: any[] }>;
  status: number;
}

async function fake(): Promise<Fake> {
  const f: Fake = { server: createServer(), url: '', got: [], status: 200 };
  f.server.on('request', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (f.status === 200)
        f.got.push({ path: req.url ?? '', auth: req.headers.authorization, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(f.status).end(f.status === 200 ? '' : 'nope');
    });
  });
  await new Promise<void>((r) => f.server.listen(0, '127.0.0.1', r));
  f.url = `http://127.0.0.1:${(f.server.address() as AddressInfo).port}`;
  return f;
}

const T0 = Date.UTC(2026, 0, 1);
let now = T0;
let am1: Fake;
let am2: Fake;
beforeEach(async () => {
  now = T0;
  [am1, am2] = [await fake(), await fake()];
});
afterEach(async () => {
  for (const f of [am1, am2]) await new Promise<void>((r) => (f.server.close(() => r()), f.server.closeAllConnections()));
});

const notification = (alerts: Notification['alerts']): Notification => ({
  id: 'n',
  receiver: 'am',
  reason: 'new',
  groupKey: 'g',
  groupLabels: {},
  createdAt: now,
  alerts,
});
const receiver = (o: Partial<ConstructorParameters<typeof AlertmanagerReceiver>[1]> = {}) =>
  new AlertmanagerReceiver('am', {
    urls: [am1.url, am2.url + '/prefix/'],
    resendIntervalMs: 60_000,
    resolvedRetentionMs: 15 * 60_000,
    timeoutMs: 2000,
    resendLoop: false,
    now: () => now,
    ...o,
  });

describe('alertmanager receiver', () => {
  it('POSTs to /api/v2/alerts of every instance: firing valid for 4 resend intervals, resolved with its end', async () => {
    const r = receiver();
    const a = makeAlert({ key: 'gate-1', startsAt: T0 - 30_000 });
    await r.notify([a], { notification: notification([a]) });
    expect(am1.got.map((g) => g.path)).toEqual(['/api/v2/alerts']);
    expect(am2.got.map((g) => g.path)).toEqual(['/prefix/api/v2/alerts']);
    expect(am1.got[0].body).toEqual([
      {
        labels: { alertname: 'surge', stream: 'people', key: 'gate-1', detector: 'surge', severity: 'warning' },
        annotations: expect.objectContaining({ summary: 'gate-1: something' }),
        startsAt: '2025-12-31T23:59:30Z',
        endsAt: '2026-01-01T00:04:00Z',
      },
    ]);
    now += 10_000;
    await r.notify([resolved(a)], { notification: notification([resolved(a)]) });
    expect(am2.got[1].body[0]).toMatchObject({ startsAt: '2025-12-31T23:59:30Z', endsAt: '2026-01-01T00:00:30Z' });
    await r.close();
  });

  it('resends firing alerts every interval, and resolved ones for the retention, from what it was told', async () => {
    const r = receiver();
    const a = makeAlert({ key: 'gate-1', startsAt: T0 });
    const b = makeAlert({ key: 'gate-2', startsAt: T0 });
    await r.notify([a, b], { notification: notification([a, b]) });
    now += 60_000;
    await r.notify([resolved(b)], { notification: notification([resolved(b)]) });
    await r.resend();
    const last = am1.got.at(-1)!.body;
    expect(last.map((x: any) => [x.labels.key, x.endsAt])).toEqual([
      ['gate-1', '2026-01-01T00:05:00Z'],
      ['gate-2', '2026-01-01T00:01:00Z'],
    ]);
    now += 16 * 60_000;
    await r.resend();
    expect(am2.got.at(-1)!.body.map((x: any) => x.labels.key)).toEqual(['gate-1']);
    await r.close();
  });

  it('with a store source, resends what the store says is firing (a restarted worker keeps alerts alive)', async () => {
    const a = makeAlert({ key: 'from-store', startsAt: T0 });
    const r = receiver({ firing: async () => [a] });
    await r.resend();
    expect(am1.got[0].body.map((x: any) => x.labels.key)).toEqual(['from-store']);
    await r.close();
  });

  it('the store source: firing alerts routed to the receiver, muted ones included (Alertmanager must not time them out)', async () => {
    const [am, other] = [new RecordingReceiver('am'), new RecordingReceiver('other')];
    const { p } = testPipeline({
      receivers: [am, other],
      route: route({ receiver: 'am', routes: [route({ receiver: 'other', matchers: ['key="elsewhere"'] })] }),
    });
    await p.dispatch([makeAlert({ key: 'gate-1' }), makeAlert({ key: 'gate-2' }), makeAlert({ key: 'elsewhere' })]);
    await p.createSilence({ matchers: ['key="gate-2"'], endsAt: p.now() + 60_000, createdBy: 'ana' });
    expect((await firingFor(p, 'am')).map((a) => a.key).sort()).toEqual(['gate-1', 'gate-2']);
    expect((await firingFor(p, 'other')).map((a) => [a.key, a.startsAt, a.fingerprint])).toEqual([
      ['elsewhere', 1000, 'people/surge/elsewhere'],
    ]);
  });

  it('one instance down: delivered (the other has it), and the down one gets it with the next resend', async () => {
    const r = receiver();
    const a = makeAlert({ key: 'gate-1', startsAt: T0 });
    am2.status = 503;
    await r.notify([a], { notification: notification([a]) });
    expect(am1.got).toHaveLength(1);
    expect(am2.got).toHaveLength(0);
    am2.status = 200;
    await r.resend();
    expect(am2.got[0].body[0].labels.key).toBe('gate-1');
    await r.close();
  });

  it('no instance takes it: retryable (the outbox keeps it), or permanent when all refuse it as malformed', async () => {
    const r = receiver();
    const a = makeAlert({ key: 'gate-1', startsAt: T0 });
    am1.status = 503;
    am2.status = 500;
    await expect(r.notify([a], { notification: notification([a]) })).rejects.toBeInstanceOf(RetryableError);
    am1.status = 400;
    am2.status = 400;
    await expect(r.notify([a], { notification: notification([a]) })).rejects.toBeInstanceOf(PermanentError);
    await r.close();
  });

  it('config: defaults, bearer token from the environment, credentials in the URL as Basic auth', async () => {
    const c = alertmanagerReceiverSchema.parse({
      type: 'alertmanager',
      urls: [am1.url.replace('http://', 'http://u:p@')],
      bearer_token_env: 'AM_TOKEN',
    });
    expect(c).toMatchObject({ name: 'alertmanager', resend_interval: 60_000, resolved_retention: 900_000, timeout: 10_000 });
    expect(() => createAlertmanagerReceiver(c, { env: {} })).toThrow(
      'receiver alertmanager: bearer_token_env names AM_TOKEN, but it is not set in the environment',
    );
    const withToken = createAlertmanagerReceiver(c, { env: { AM_TOKEN: 'tok' } });
    const a = makeAlert({ key: 'k' });
    await withToken.notify([a]);
    expect(am1.got[0].auth).toBe('Bearer tok');
    const basic = createAlertmanagerReceiver({ ...c, bearer_token_env: undefined });
    await basic.notify([a]);
    expect(am1.got[1].auth).toBe('Basic ' + Buffer.from('u:p').toString('base64'));
    expect(basic.target).toBe(am1.url);
    await Promise.all([withToken.close(), basic.close()]);
  });
});
