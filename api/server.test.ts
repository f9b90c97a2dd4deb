/**
 * The HTTP API against a real local server (127.0.0.1, any free port) over a memory store:
 * good requests do what they say; bad ones get a 4xx with a clear message and change nothing.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { REDACT_PATHS } from '../kernel/logger';
import { makeAlert, RecordingReceiver, testPipeline } from '../alerts/testing/fakes';
import { ApiServer, apiToken } from './server';
import { FlowwatchMetrics } from './metrics';
import { Command } from 'commander';
import { registerAlerts } from '../cli/commands/alerts';

const TOKEN = 'test-token-0123456789abcdef';

async function setup() {
  const receiver = new RecordingReceiver('ops');
  const metrics = new FlowwatchMetrics();
  const { p, clock } = testPipeline({ receivers: [receiver], metrics });
  metrics.readFrom(() => p.snapshot());
  const lines: string[] = [];
  const log = pino(
    { level: 'debug', redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }),
  );
  const api = new ApiServer({ alerting: p, metrics, token: TOKEN, log });
  const { port } = await api.listen('127.0.0.1', 0);
  const base = `http://127.0.0.1:${port}`;
  const req = async (method: string, path: string, o: { body?: string | object; token?: string | null } = {}) => {
    const headers: Record<string, string> = {};
    if (o.token !== null) headers.authorization = `Bearer ${o.token ?? TOKEN}`;
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(base + path, {
      method,
      headers,
      body: o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body),
    });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text };
  };
  return { p, clock, api, req, lines, metrics, receiver };
}

describe('HTTP API', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  beforeEach(async () => {
    t = await setup();
  });
  afterEach(async () => {
    await t.api.close();
  });

  it('refuses to start without a token in the environment', () => {
    expect(() => apiToken({ token_env: 'FW_NO_SUCH_TOKEN' }, {})).toThrow(
      /set FW_NO_SUCH_TOKEN in the environment \(refusing to start the API without one\)/,
    );
    expect(apiToken({ token_env: 'T' }, { T: TOKEN })).toBe(TOKEN);
  });

  it('lists firing alerts with evidence, acknowledges one, and records who and when', async () => {
    const a = makeAlert({ key: 'gate-1', severity: 'critical' });
    await t.p.dispatch([a, makeAlert({ key: 'gate-2' })]);
    await t.p.idle();
    const list = await t.req('GET', '/api/alerts');
    expect(list.status).toBe(200);
    expect(list.json.alerts).toHaveLength(2);
    expect(list.json.alerts[0]).toMatchObject({
      id: a.id,
      status: 'firing',
      severity: 'critical',
      evidence: { measure: 'entries', value: 412, baseline: 130 },
      mutedBy: null,
    });
    const ack = await t.req('POST', `/api/alerts/${a.id}/ack`, { body: { by: 'ana', comment: 'on it' } });
    expect(ack.status).toBe(200);
    expect(ack.json.ack).toEqual({ alertId: a.id, by: 'ana', at: new Date(t.clock.now()).toISOString(), comment: 'on it' });
    const after = await t.req('GET', '/api/alerts');
    expect(after.json.alerts.find((x: any) => x.id === a.id).ack.by).toBe('ana');
  });

  it('creates, lists and expires silences', async () => {
    const created = await t.req('POST', '/api/silences', {
      body: { matchers: ['stream="people"', 'key=~"gate-.*"'], duration: '2h', createdBy: 'ana', comment: 'works' },
    });
    expect(created.status).toBe(201);
    const id = created.json.silence.id;
    expect(created.json.silence).toMatchObject({
      state: 'active',
      matchers: ['stream="people"', 'key=~"gate-.*"'],
      endsAt: new Date(t.clock.now() + 2 * 3_600_000).toISOString(),
    });
    const a = makeAlert({ key: 'gate-1' });
    await t.p.dispatch([a]);
    await t.p.idle();
    expect(t.receiver.got).toEqual([]);
    expect((await t.req('GET', '/api/alerts')).json.alerts[0].mutedBy).toBe(`silence:${id}`);
    expect((await t.req('GET', '/api/silences')).json.silences.map((s: any) => [s.id, s.state])).toEqual([[id, 'active']]);
    const del = await t.req('DELETE', `/api/silences/${id}`);
    expect(del.status).toBe(200);
    expect(del.json.silence.state).toBe('expired');
    expect((await t.req('GET', `/api/silences/${id}`)).json.silence.state).toBe('expired');
  });

  it('bad requests get a 4xx with a clear message, and nothing changes', async () => {
    const a = makeAlert({ key: 'gate-1' });
    await t.p.dispatch([a]);
    await t.p.idle();
    const before = JSON.stringify([await t.p.activeAlerts(), await t.p.silences()]);
    const cases: Array<[string, string, { body?: string | object; token?: string | null }, number, RegExp]> = [
      ['GET', '/api/alerts', { token: null }, 401, /missing bearer token/],
      ['GET', '/api/alerts', { token: 'wrong-token-0123456789' }, 401, /wrong bearer token/],
      ['POST', `/api/alerts/${a.id}/ack`, { token: 'nope', body: { by: 'eve' } }, 401, /wrong bearer token/],
      ['POST', `/api/alerts/${a.id}/ack`, { body: '{"by": "ana",' }, 400, /malformed JSON/],
      ['POST', `/api/alerts/${a.id}/ack`, { body: {} }, 400, /by/],
      ['POST', `/api/alerts/${a.id}/ack`, { body: { by: 'ana', extra: 1 } }, 400, /extra/],
      ['POST', '/api/alerts/no-such-alert/ack', { body: { by: 'ana' } }, 404, /no firing alert with id "no-such-alert"/],
      ['POST', '/api/silences', { body: '{matchers: [}' }, 400, /malformed JSON/],
      [
        'POST',
        '/api/silences',
        { body: { matchers: ['stream'], duration: '1h', createdBy: 'ana' } },
        400,
        /matchers\.0: bad matcher "stream"/,
      ],
      ['POST', '/api/silences', { body: { matchers: ['stream=~"(people"'], duration: '1h', createdBy: 'ana' } }, 400, /invalid regex/],
      ['POST', '/api/silences', { body: { matchers: [], duration: '1h', createdBy: 'ana' } }, 400, /at least one matcher/],
      [
        'POST',
        '/api/silences',
        { body: { matchers: ['stream="people"'], duration: 'an hour', createdBy: 'ana' } },
        400,
        /expected a duration like "2h"/,
      ],
      ['POST', '/api/silences', { body: { matchers: ['stream="people"'], createdBy: 'ana' } }, 400, /endsAt or duration/],
      [
        'POST',
        '/api/silences',
        { body: { matchers: ['stream="people"'], endsAt: '1970-01-01T00:00:01Z', createdBy: 'ana' } },
        400,
        /past|after startsAt/,
      ],
      [
        'POST',
        '/api/silences',
        { body: { matchers: ['stream="people"'], duration: '100000w', createdBy: 'ana' } },
        400,
        /at most 30d \(alerting\.api\.max_silence\)/,
      ],
      [
        'POST',
        '/api/silences',
        { body: { matchers: ['stream="people"'], endsAt: '3943-01-01T00:00:00Z', createdBy: 'ana' } },
        400,
        /at most 30d/,
      ],
      ['DELETE', '/api/silences/no-such-silence', {}, 404, /no silence with id "no-such-silence"/],
      ['PUT', '/api/alerts', {}, 405, /not allowed/],
      ['GET', '/api/nothing', {}, 404, /no such endpoint/],
    ];
    for (const [method, path, o, status, message] of cases) {
      const r = await t.req(method, path, o);
      expect({ method, path, status: r.status }).toEqual({ method, path, status });
      expect(r.json.error).toMatch(message);
    }
    expect(JSON.stringify([await t.p.activeAlerts(), await t.p.silences()])).toBe(before);
    // The token never reaches a log line, right or wrong.
    expect(t.lines.join('')).not.toContain(TOKEN);
    expect(t.lines.join('')).not.toContain('wrong-token-0123456789');
  });

  it('takes JSON bodies only as application/json: a text/plain or form body is refused with 415 and changes nothing', async () => {
    const base = `http://127.0.0.1:${(t.api as any).server.address().port}`;
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', undefined]) {
      const headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` };
      if (type) headers['content-type'] = type;
      const res = await fetch(`${base}/api/silences`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ matchers: ['stream="people"'], duration: '1h', createdBy: 'ana' }),
      });
      expect(res.status).toBe(415);
      expect(((await res.json()) as { error: string }).error).toMatch(/expected Content-Type: application\/json/);
    }
    expect(await t.p.silences()).toEqual([]);
  });

  it('refuses weak tokens at start: whitespace, short, or too few distinct characters', () => {
    expect(() => apiToken({ token_env: 'T' }, { T: ' '.repeat(16) })).toThrow(/T is not a usable bearer token: it contains whitespace/);
    expect(() => apiToken({ token_env: 'T' }, { T: 'short' })).toThrow(/5 characters, at least 16/);
    expect(() => apiToken({ token_env: 'T' }, { T: 'aaaaaaaaaaaaaaaaaaaa' })).toThrow(/distinct/);
    // The refusal never carries the token itself.
    try {
      apiToken({ token_env: 'T' }, { T: 'abababababababababab' });
    } catch (err) {
      expect((err as Error).message).not.toContain('abababab');
    }
  });

  it('health, readiness and Prometheus metrics need no token', async () => {
    await t.p.dispatch([makeAlert({ key: 'gate-1' })]);
    await t.p.idle();
    t.metrics.batch({ eventsByStream: { people: 10 }, rejectsByReason: { late: 2 }, latencyMs: 12 });
    expect((await t.req('GET', '/healthz', { token: null })).json).toEqual({ status: 'ok' });
    expect((await t.req('GET', '/readyz', { token: null })).json).toEqual({ status: 'ready' });
    const m = await t.req('GET', '/metrics', { token: null });
    expect(m.status).toBe(200);
    expect(m.text).toContain('flowwatch_events_total{stream="people"} 10');
    expect(m.text).toContain('flowwatch_rejects_total{reason="late"} 2');
    expect(m.text).toContain('flowwatch_batch_duration_seconds_count 1');
    expect(m.text).toContain('flowwatch_alert_changes_total{status="firing"} 1');
    expect(m.text).toContain('flowwatch_notifications_total{receiver="ops",outcome="sent"} 1');
    expect(m.text).toContain('flowwatch_outbox_depth{receiver="ops"} 0');
    expect(m.text).toContain('flowwatch_alerts{state="firing"} 1');
  });
});

describe('flowwatch alerts (CLI over the API)', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  let out: string[];
  let base: string;
  beforeEach(async () => {
    t = await setup();
    await t.api.close();
    const { port } = await t.api.listen('127.0.0.1', 0);
    base = `http://127.0.0.1:${port}`;
    out = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
    process.env.FW_TEST_API_TOKEN = TOKEN;
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    delete process.env.FW_TEST_API_TOKEN;
    await t.api.close();
  });
  const cli = async (...args: string[]) => {
    const program = new Command('flowwatch');
    registerAlerts(program);
    await program.parseAsync(['node', 'flowwatch', 'alerts', ...args, '--url', base, '--token-env', 'FW_TEST_API_TOKEN']);
  };

  it('ls, ack, silence, silences, expire', async () => {
    const a = makeAlert({ key: 'gate-1', severity: 'critical' });
    await t.p.dispatch([a]);
    await t.p.idle();
    await cli('ls');
    expect(out.join('')).toMatch(new RegExp(`^${a.id}  critical .* people/surge  gate-1: something\\n$`));
    out.length = 0;
    await cli('ack', a.id, '--by', 'ana', '-m', 'on it');
    expect(out.join('')).toMatch(`acknowledged ${a.id} by ana`);
    out.length = 0;
    await cli('silence', '--matcher', 'stream="people"', '--matcher', 'key=~"gate-.*"', '--duration', '2h', '--by', 'ana');
    const id = /silence (\S+) until/.exec(out.join(''))![1];
    out.length = 0;
    await cli('ls');
    expect(out.join('')).toContain(`[acked by ana, muted (silence:${id})]`);
    out.length = 0;
    await cli('silences');
    expect(out.join('')).toContain(`${id}  active`);
    out.length = 0;
    await cli('expire', id);
    expect(out.join('')).toBe(`silence ${id} expired\n`);
  });

  it('a refused request is one clear error', async () => {
    await expect(cli('ack', 'nope')).rejects.toThrow('POST /api/alerts/nope/ack: 404 no firing alert with id "nope"');
    await expect(cli('silence', '--matcher', 'bad', '--duration', '1h')).rejects.toThrow(/400 matchers.0: bad matcher "bad"/);
    process.env.FW_TEST_API_TOKEN = 'wrong-token-0123456789';
    await expect(cli('ls')).rejects.toThrow('GET /api/alerts: 401 wrong bearer token');
  });
});
