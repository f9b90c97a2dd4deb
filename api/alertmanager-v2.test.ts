/**
 * The Alertmanager API v2 subset against a real local server over a memory store: the shapes
 * amtool decodes, the filters it sends, and silences made, listed and expired through it
 * changing what flowwatch mutes. (amtool itself: test/integration/alertmanager.test.ts.)
 */
import { silentLogger } from '../kernel/logger';
import { makeAlert, RecordingReceiver, testPipeline } from '../alerts/testing/fakes';
import { labelSetFingerprint } from '../alerts/format/alertmanager';
import { ApiServer } from './server';

const TOKEN = 'test-token-0123456789abcdef';

async function setup() {
  const receiver = new RecordingReceiver('ops');
  const { p, clock } = testPipeline({ receivers: [receiver] });
  const api = new ApiServer({ alerting: p, token: TOKEN, log: silentLogger() });
  const { port } = await api.listen('127.0.0.1', 0);
  const base = `http://127.0.0.1:${port}`;
  const req = async (method: string, path: string, o: { body?: object; token?: string | null } = {}) => {
    const headers: Record<string, string> = {};
    if (o.token !== null) headers.authorization = `Bearer ${o.token ?? TOKEN}`;
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(base + path, { method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  };
  return { p, clock, api, req, base, receiver };
}

describe('Alertmanager API v2 subset', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  beforeEach(async () => {
    t = await setup();
  });
  afterEach(async () => {
    await t.api.close();
  });

  it('needs the bearer token like the rest of /api/', async () => {
    expect((await t.req('GET', '/api/v2/alerts', { token: null })).status).toBe(401);
    expect((await t.req('GET', '/api/v2/status')).json).toMatchObject({
      cluster: { status: 'disabled', peers: [] },
      versionInfo: { branch: 'flowwatch' },
    });
  });

  it('GET /api/v2/alerts: GettableAlerts with Alertmanager labels, annotations, fingerprint, receivers and status', async () => {
    await t.p.dispatch([makeAlert({ key: 'gate-1', severity: 'critical' }), makeAlert({ key: 'gate-2' })]);
    await t.p.idle();
    const { status, json } = await t.req('GET', '/api/v2/alerts');
    expect(status).toBe(200);
    expect(json).toHaveLength(2);
    const g1 = json.find((a: any) => a.labels.key === 'gate-1');
    expect(g1).toMatchObject({
      labels: { alertname: 'surge', stream: 'people', key: 'gate-1', detector: 'surge', severity: 'critical' },
      annotations: { summary: 'gate-1: something', flowwatch_fingerprint: 'people/surge/gate-1' },
      startsAt: '1970-01-01T00:00:01Z',
      endsAt: '0001-01-01T00:00:00Z',
      receivers: [{ name: 'ops' }],
      status: { state: 'active', silencedBy: [], inhibitedBy: [], mutedBy: [] },
    });
    expect(g1.fingerprint).toBe(labelSetFingerprint(g1.labels));
    expect(g1.generatorURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v2\/alerts\?filter=/);
    const only = await t.req('GET', '/api/v2/alerts?filter=' + encodeURIComponent('severity="critical"'));
    expect(only.json.map((a: any) => a.labels.key)).toEqual(['gate-1']);
    expect((await t.req('GET', '/api/v2/alerts?receiver=nobody')).json).toEqual([]);
    expect((await t.req('GET', '/api/v2/alerts?filter=' + encodeURIComponent('bad matcher'))).status).toBe(400);
    const groups = (await t.req('GET', '/api/v2/alerts/groups')).json;
    expect(groups).toEqual([expect.objectContaining({ labels: { stream: 'people', detector: 'surge' }, receiver: { name: 'ops' } })]);
    expect(groups[0].alerts).toHaveLength(2);
  });

  it('silences: POST makes one that mutes in flowwatch, GET lists it in Alertmanager shape, DELETE expires it', async () => {
    await t.p.dispatch([makeAlert({ key: 'gate-1' })]);
    await t.p.idle();
    const now = t.p.now();
    const posted = await t.req('POST', '/api/v2/silences', {
      body: {
        matchers: [{ name: 'key', value: 'gate-.*', isRegex: true, isEqual: true }],
        startsAt: new Date(now - 5000).toISOString(),
        endsAt: new Date(now + 3_600_000).toISOString(),
        createdBy: 'ana',
        comment: 'works',
      },
    });
    expect(posted.status).toBe(200);
    const id = posted.json.silenceID;
    expect((await t.p.silences()).map((s) => [s.id, s.matchers, s.state])).toEqual([[id, ['key=~"gate-.*"'], 'active']]);
    const alerts = (await t.req('GET', '/api/v2/alerts')).json;
    expect(alerts[0].status).toEqual({ state: 'suppressed', silencedBy: [id], inhibitedBy: [], mutedBy: [] });
    expect((await t.req('GET', '/api/v2/alerts?silenced=false')).json).toEqual([]);
    const listed = (await t.req('GET', '/api/v2/silences')).json;
    expect(listed).toEqual([
      {
        id,
        status: { state: 'active' },
        updatedAt: expect.any(String),
        matchers: [{ name: 'key', value: 'gate-.*', isRegex: true, isEqual: true }],
        startsAt: new Date(now).toISOString().replace('.000Z', 'Z'),
        endsAt: expect.any(String),
        createdBy: 'ana',
        comment: 'works',
      },
    ]);
    expect((await t.req('GET', '/api/v2/silences?filter=' + encodeURIComponent('key=~"gate-.*"'))).json).toHaveLength(1);
    expect((await t.req('GET', '/api/v2/silences?filter=' + encodeURIComponent('key="gate-1"'))).json).toHaveLength(0);
    expect((await t.req('GET', `/api/v2/silence/${id}`)).json.id).toBe(id);
    expect((await t.req('DELETE', `/api/v2/silence/${id}`)).status).toBe(200);
    expect((await t.p.silences())[0].state).toBe('expired');
    expect((await t.req('GET', '/api/v2/alerts')).json[0].status.state).toBe('active');
    expect((await t.req('DELETE', '/api/v2/silence/nope')).status).toBe(404);
  });

  it('POST with an id replaces that silence; bad silences are refused and change nothing', async () => {
    const now = t.p.now();
    const body = {
      matchers: [{ name: 'stream', value: 'people', isRegex: false }],
      startsAt: new Date(now).toISOString(),
      endsAt: new Date(now + 60_000).toISOString(),
      createdBy: 'ana',
      comment: '',
    };
    const first = (await t.req('POST', '/api/v2/silences', { body })).json.silenceID;
    const second = await t.req('POST', '/api/v2/silences', { body: { ...body, id: first, endsAt: new Date(now + 120_000).toISOString() } });
    expect(second.status).toBe(200);
    expect((await t.p.silences()).map((s) => [s.id, s.state])).toEqual([
      [first, 'expired'],
      [second.json.silenceID, 'active'],
    ]);
    for (const bad of [
      { ...body, matchers: [] },
      { ...body, matchers: [{ name: 'x', value: '(', isRegex: true }] },
      { ...body, endsAt: new Date(now - 1).toISOString() },
      { ...body, endsAt: new Date(now + 365 * 86_400_000).toISOString() },
      { ...body, createdBy: '' },
      { ...body, startsAt: 'yesterday' },
    ]) {
      expect((await t.req('POST', '/api/v2/silences', { body: bad })).status).toBe(400);
    }
    expect((await t.req('POST', '/api/v2/silences', { body: { ...body, id: 'nope' } })).status).toBe(404);
    expect(await t.p.silences()).toHaveLength(2);
  });
});
