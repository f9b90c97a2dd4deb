/**
 * Sign-in by a trusted reverse proxy (api/trusted-proxy.ts, docs/console.md "Behind a reverse
 * proxy"): the header names a configured user when the request comes from the proxy's address;
 * from any other address, cross-site, or naming nobody configured, it is refused.
 */
import { silentLogger } from '../kernel/logger';
import { makeAlert, RecordingReceiver, route, testPipeline } from '../alerts/testing/fakes';
import { alertingSchema } from '../alerts/config';
import { ApiServer } from './server';
import { apiUsers } from './access';

const ADMIN = 'admin-token-0123456789abcdef';

async function setup(from: string[]) {
  const { p } = testPipeline({
    receivers: [new RecordingReceiver('roads-hook'), new RecordingReceiver('rail-hook')],
    route: route({
      receiver: 'roads-hook',
      routes: [
        { receiver: 'roads-hook', matchers: ['stream="roads"'], continue: false, routes: [] },
        { receiver: 'rail-hook', matchers: ['stream="rail"'], continue: false, routes: [] },
      ],
    }),
  });
  const api = new ApiServer({
    alerting: p,
    users: [
      { name: 'admin', admin: true, teams: [], token: ADMIN },
      { name: 'raul', admin: false, teams: ['rail'], token: 'rail-token-0123456789abcdefgh' },
    ],
    teams: [
      { name: 'roads', receivers: ['roads-hook'] },
      { name: 'rail', receivers: ['rail-hook'] },
    ],
    trustedProxy: { header: 'X-Forwarded-User', from, users: [{ name: 'rosa', teams: ['roads'], admin: false }] },
    log: silentLogger(),
  });
  const { port } = await api.listen('127.0.0.1', 0);
  await p.dispatch([makeAlert({ stream: 'roads', key: 'A1' }), makeAlert({ stream: 'rail', key: 'S3' })]);
  const req = async (method: string, path: string, headers: Record<string, string>) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers });
    return { status: res.status, json: (await res.json()) as any };
  };
  return { api, req };
}

describe('trusted proxy sign-in', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  afterEach(async () => t.api.close());

  it('takes the user the proxy names, with the teams of the config, from a trusted address', async () => {
    t = await setup(['127.0.0.0/8', '::1']);
    const rosa = await t.req('GET', '/api/alerts', { 'x-forwarded-user': 'rosa' });
    expect(rosa.status).toBe(200);
    expect(rosa.json.alerts.map((a: any) => a.stream)).toEqual(['roads']);
    // alerting.api.users sign in through the proxy by name too
    const raul = await t.req('GET', '/api/alerts', { 'x-forwarded-user': 'raul' });
    expect(raul.json.alerts.map((a: any) => a.stream)).toEqual(['rail']);
    // a console session for the proxy's user: the page's sign-in without a token
    const s = await t.req('POST', '/api/console/session', { 'x-forwarded-user': 'rosa', 'sec-fetch-site': 'same-origin' });
    expect(s.status).toBe(201);
    expect(s.json.user).toEqual({ name: 'rosa', admin: false, teams: ['roads'] });
    expect((await t.req('GET', '/api/alerts', { authorization: `Bearer ${s.json.session}` })).json.alerts).toHaveLength(1);
  });

  it('refuses the header from an address that is not the proxy’s', async () => {
    t = await setup(['10.1.2.3']);
    const r = await t.req('GET', '/api/alerts', { 'x-forwarded-user': 'rosa' });
    expect(r.status).toBe(403);
    expect(r.json.error).toMatch(
      /accepted only from the trusted proxy \(alerting\.api\.trusted_proxy\.from\); this request comes from 127\.0\.0\.1/,
    );
    // a bearer token still works from anywhere
    expect((await t.req('GET', '/api/alerts', { authorization: `Bearer ${ADMIN}`, 'x-forwarded-user': 'rosa' })).status).toBe(200);
  });

  it('refuses a user nobody configured, a cross-site request, and no header at all', async () => {
    t = await setup(['127.0.0.1', '::1']);
    const who = await t.req('GET', '/api/alerts', { 'x-forwarded-user': 'mallory' });
    expect(who.status).toBe(403);
    expect(who.json.error).toMatch(/names user "mallory", who is not configured/);
    const cross = await t.req('POST', '/api/console/session', { 'x-forwarded-user': 'rosa', 'sec-fetch-site': 'cross-site' });
    expect(cross.status).toBe(403);
    expect((await t.req('GET', '/api/alerts', {})).status).toBe(401);
  });
});

describe('alerting.api.trusted_proxy config', () => {
  const parse = (trusted_proxy: unknown) => alertingSchema.safeParse({ api: { trusted_proxy } });

  it('needs the proxy’s addresses, as IPs or CIDR blocks', () => {
    expect(parse({ from: ['127.0.0.1', '10.0.0.0/8', '::1'] }).success).toBe(true);
    expect(parse({ from: [] }).error?.issues[0].message).toMatch(/name the proxy's addresses/);
    expect(parse({ from: ['proxy.local'] }).error?.issues[0].message).toMatch(/expected an IP address or a CIDR block/);
    expect(parse({ from: ['10.0.0.0/33'] }).error?.issues[0].message).toMatch(/prefix length must be 0–32/);
    expect(parse({ from: ['127.0.0.1'], header: 'X Bad' }).success).toBe(false);
  });

  it('lets the API start without any token when people sign in through the proxy', () => {
    const proxy = { header: 'X-Forwarded-User', from: ['127.0.0.1'], users: [] };
    expect(apiUsers({ token_env: 'NO_SUCH_TOKEN', users: [], trusted_proxy: proxy }, {})).toEqual([]);
    expect(() => apiUsers({ token_env: 'NO_SUCH_TOKEN', users: [] }, {})).toThrow(/set NO_SUCH_TOKEN/);
  });
});
