/**
 * Who sees what (docs/console.md): per-user tokens mapped to teams, teams owning receivers; the
 * API refuses another team's alerts; comments and hand-on are audited; console sessions expire.
 */
import { silentLogger } from '../kernel/logger';
import { makeAlert, RecordingReceiver, route, testPipeline } from '../alerts/testing/fakes';
import { ApiServer } from './server';
import { apiUsers } from './access';

const ADMIN = 'admin-token-0123456789abcdef';
const ROADS = 'roads-token-0123456789abcdef';
const RAIL = 'rail-token-0123456789abcdefgh';

async function setup() {
  const { p, clock } = testPipeline({
    receivers: [new RecordingReceiver('roads-hook'), new RecordingReceiver('rail-hook')],
    route: route({
      receiver: 'roads-hook',
      routes: [
        { receiver: 'roads-hook', matchers: ['stream="roads"'], continue: false, routes: [] },
        { receiver: 'rail-hook', matchers: ['stream="rail"'], continue: false, routes: [] },
      ],
    }),
  });
  const users = apiUsers(
    {
      token_env: 'ADMIN',
      users: [
        { name: 'rosa', token_env: 'ROADS', teams: ['roads'], admin: false },
        { name: 'raul', token_env: 'RAIL', teams: ['rail'], admin: false },
      ],
    },
    { ADMIN, ROADS, RAIL },
  );
  const teams = [
    { name: 'roads', receivers: ['roads-hook'] },
    { name: 'rail', receivers: ['rail-hook'] },
  ];
  let now = 0;
  const api = new ApiServer({
    alerting: p,
    users,
    teams,
    log: silentLogger(),
    sessionIdleMs: 60_000,
    sessionMaxMs: 600_000,
    feedIntervalMs: 20,
  });
  (api as any).sessions.o.now = () => now;
  const { port } = await api.listen('127.0.0.1', 0);
  const req = async (token: string, method: string, path: string, body?: object) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, json: (await res.json()) as any };
  };
  const road = makeAlert({ stream: 'roads', key: 'A1' });
  const rail = makeAlert({ stream: 'rail', key: 'S3' });
  await p.dispatch([road, rail]);
  /** Opens the live feed as `token`; `next(event)` waits for the next message of that kind. */
  const feed = async (token: string) => {
    const ctrl = new AbortController();
    const res = await fetch(`http://127.0.0.1:${port}/api/console/events`, {
      headers: { authorization: `Bearer ${token}` },
      signal: ctrl.signal,
    });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    const next = async (event: string): Promise<any> => {
      for (;;) {
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (block.startsWith(`event: ${event}\n`)) return JSON.parse(block.split('\ndata: ')[1]);
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('feed closed');
        buf += value;
      }
    };
    return { next, close: () => ctrl.abort() };
  };
  return { p, clock, api, req, feed, road, rail, advance: (ms: number) => (now += ms) };
}

describe('teams in the API', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  beforeEach(async () => (t = await setup()));
  afterEach(async () => t.api.close());

  it('a team user lists only its alerts; an admin all', async () => {
    expect((await t.req(ROADS, 'GET', '/api/alerts')).json.alerts.map((a: any) => a.fingerprint)).toEqual([t.road.fingerprint]);
    expect((await t.req(RAIL, 'GET', '/api/alerts')).json.alerts.map((a: any) => a.fingerprint)).toEqual([t.rail.fingerprint]);
    expect((await t.req(ADMIN, 'GET', '/api/alerts')).json.alerts).toHaveLength(2);
    expect((await t.req(ADMIN, 'GET', '/api/alerts')).json.alerts.find((a: any) => a.stream === 'rail').teams).toEqual(['rail']);
  });

  it('refuses acting on another team’s alert as if it did not exist (404), and the v2 API to non-admins', async () => {
    const ack = await t.req(ROADS, 'POST', `/api/alerts/${t.rail.id}/ack`, { by: 'Rosa' });
    expect(ack.status).toBe(404);
    expect((await t.req(ROADS, 'POST', `/api/alerts/${t.rail.id}/comments`, { text: 'x' })).status).toBe(404);
    expect((await t.req(ROADS, 'POST', `/api/alerts/${t.rail.id}/hand-on`, { to: 'roads' })).status).toBe(404);
    expect((await t.req(ROADS, 'GET', '/api/v2/alerts')).status).toBe(403);
    expect((await t.req(RAIL, 'POST', `/api/alerts/${t.rail.id}/ack`, { by: 'Raul' })).status).toBe(200);
  });

  it('team silences: only over its own alerts; only its team or an admin expires them', async () => {
    const wide = await t.req(ROADS, 'POST', '/api/silences', { matchers: ['detector="surge"'], duration: '1h', createdBy: 'Rosa' });
    expect(wide.status).toBe(403);
    expect(wide.json.error).toMatch(/other teams/);
    const none = await t.req(ROADS, 'POST', '/api/silences', { matchers: ['stream="nope"'], duration: '1h', createdBy: 'Rosa' });
    expect(none.status).toBe(403);
    const preview = await t.req(ROADS, 'POST', '/api/silences/preview', { matchers: ['detector="surge"'] });
    expect(preview.json).toMatchObject({ othersSelected: 1 });
    expect(preview.json.alerts).toHaveLength(1);
    const ok = await t.req(ROADS, 'POST', '/api/silences', { matchers: ['stream="roads"'], duration: '1h', createdBy: 'Rosa' });
    expect(ok.status).toBe(201);
    expect((await t.req(RAIL, 'GET', '/api/silences')).json.silences).toEqual([]);
    expect((await t.req(RAIL, 'DELETE', `/api/silences/${ok.json.silence.id}`)).status).toBe(403);
    expect((await t.req(ROADS, 'DELETE', `/api/silences/${ok.json.silence.id}`)).status).toBe(200);
    const audit = (await t.req(ADMIN, 'GET', '/api/audit')).json.entries;
    expect(audit.map((e: any) => [e.action, e.user, e.by])).toEqual([
      ['silence', 'rosa', 'Rosa'],
      ['expire', 'rosa', 'rosa'],
    ]);
  });

  it('comment and hand-on: audited; after hand-on both teams see the alert and its owner', async () => {
    expect((await t.req(RAIL, 'POST', `/api/alerts/${t.rail.id}/comments`, { text: 'looking', by: 'Raul R.' })).status).toBe(201);
    const h = await t.req(RAIL, 'POST', `/api/alerts/${t.rail.id}/hand-on`, { to: 'roads', note: 'replacement buses on the A1' });
    expect(h.status).toBe(201);
    expect((await t.req(RAIL, 'POST', `/api/alerts/${t.rail.id}/hand-on`, { to: 'nobody' })).status).toBe(400);
    const roads = (await t.req(ROADS, 'GET', '/api/alerts')).json.alerts;
    const handed = roads.find((a: any) => a.fingerprint === t.rail.fingerprint);
    expect(handed.owner).toMatchObject({ team: 'roads', user: 'raul', note: 'replacement buses on the A1' });
    expect(handed.teams).toEqual(['rail', 'roads']);
    expect((await t.req(ROADS, 'POST', `/api/alerts/${t.rail.id}/ack`, { by: 'Rosa' })).status).toBe(200);
    const trail = (await t.req(ROADS, 'GET', '/api/audit')).json.entries.map((e: any) => [e.action, e.user, e.text ?? e.to]);
    expect(trail).toEqual([
      ['comment', 'raul', 'looking'],
      ['hand-on', 'raul', 'replacement buses on the A1'],
      ['ack', 'rosa', undefined],
    ]);
  });

  it('console sessions: traded for a token, end when idle or at their end, and carry the user', async () => {
    const s = await t.req(ROADS, 'POST', '/api/console/session');
    expect(s.status).toBe(201);
    expect(s.json.user).toEqual({ name: 'rosa', admin: false, teams: ['roads'] });
    expect(s.json.teams).toEqual(['roads', 'rail']);
    expect((await t.req(s.json.session, 'GET', '/api/alerts')).json.alerts).toHaveLength(1);
    t.advance(59_000);
    expect((await t.req(s.json.session, 'GET', '/api/alerts')).status).toBe(200);
    t.advance(61_000);
    expect((await t.req(s.json.session, 'GET', '/api/alerts')).status).toBe(401);
    const s2 = await t.req(ROADS, 'POST', '/api/console/session');
    expect((await t.req(s2.json.session, 'DELETE', '/api/console/session')).json).toEqual({ ended: true });
    expect((await t.req(s2.json.session, 'GET', '/api/alerts')).status).toBe(401);
    expect((await t.req('fws_nonsense', 'GET', '/api/alerts')).status).toBe(401);
  });

  it('the live feed carries only the team’s alerts; an alert handed to the team arrives on its board', async () => {
    const roads = await t.feed(ROADS);
    const snap = await roads.next('snapshot');
    expect(snap.alerts.map((a: any) => a.fingerprint)).toEqual([t.road.fingerprint]);
    await t.req(RAIL, 'POST', `/api/alerts/${t.rail.id}/hand-on`, { to: 'roads', note: 'yours' });
    const got = await roads.next('alerts');
    expect(got.upsert.map((a: any) => [a.fingerprint, a.owner.team, a.history.at(-1).action])).toEqual([
      [t.rail.fingerprint, 'roads', 'hand-on'],
    ]);
    roads.close();
  });

  it('users need their tokens from the environment', () => {
    expect(() => apiUsers({ token_env: 'X', users: [{ name: 'a', token_env: 'A', teams: ['t'], admin: false }] }, {})).toThrow(/set A/);
    expect(() => apiUsers({ token_env: 'X', users: [] }, {})).toThrow(/set X/);
    expect(() =>
      apiUsers({ token_env: 'X', users: [{ name: 'a', token_env: 'A', teams: ['t'], admin: false }] }, { X: ADMIN, A: ADMIN }),
    ).toThrow(/share a token/);
  });
});
