import { ManualClock } from '../kernel/clock';
import { silentLogger } from '../kernel/logger';
import { MemoryAlertStore } from '../alerts/store/memory';
import { makeAlert } from '../alerts/testing/fakes';
import { incidentPipeline } from '../alerts/incidents/testing/pipeline';
import { ApiServer } from './server';

const TOKEN = 'test-token-0123456789abcdef';

/**
 * One incident (a stadium gate and a kiosk of its district) behind an API with an admin, tom of
 * team transport (owns the transport desk) and hana of team health (owns the health desk).
 */
async function teamsApi() {
  const clock = new ManualClock(1_000_000);
  const { p } = incidentPipeline({ store: new MemoryAlertStore(clock), clock });
  await p.dispatch([
    makeAlert({ stream: 'people', key: 'central-g3' }),
    makeAlert({ stream: 'funds', key: 'ACC-00001', startsAt: 30_000 }),
  ]);
  const users = [
    { name: 'admin', admin: true, teams: [], token: TOKEN },
    { name: 'tom', admin: false, teams: ['transport'], token: 'transport-token-0123456789abcdef' },
    { name: 'hana', admin: false, teams: ['health'], token: 'health-token-0123456789abcdefgh' },
  ];
  const teams = [
    { name: 'transport', receivers: ['transport-desk'] },
    { name: 'health', receivers: ['health-desk'] },
  ];
  const api = new ApiServer({ alerting: p, users, teams, log: silentLogger() });
  const { port } = await api.listen('127.0.0.1', 0);
  return { api, port, users };
}

describe('incidents API', () => {
  it('lists, shows, acks per department and closes with a note, behind the bearer token', async () => {
    const clock = new ManualClock(1_000_000);
    const { p } = incidentPipeline({ store: new MemoryAlertStore(clock), clock });
    await p.dispatch([
      makeAlert({ stream: 'people', key: 'central-g3' }),
      makeAlert({ stream: 'funds', key: 'ACC-00001', startsAt: 30_000 }),
    ]);
    const api = new ApiServer({ alerting: p, token: TOKEN, log: silentLogger() });
    const { port } = await api.listen('127.0.0.1', 0);
    const req = async (method: string, path: string, body?: object, token = TOKEN) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    try {
      expect((await req('GET', '/api/incidents', undefined, 'wrong-token-0123456789')).status).toBe(401);
      const list = await req('GET', '/api/incidents');
      expect(list.body.incidents).toHaveLength(1);
      const id = list.body.incidents[0].id;
      const one = await req('GET', `/api/incidents/${id}`);
      expect(one.body.incident.members.map((m: any) => m.labels.where)).toEqual([
        'Gate 3 at Central Stadium (Haidian district)',
        'Kiosk 1 till at Central Stadium (Haidian district)',
      ]);
      expect(one.body.incident.members[0].evidence).toMatchObject({ measure: 'entries' });
      expect((await req('POST', `/api/incidents/${id}/ack`, { department: 'police', by: 'ana' })).status).toBe(400);
      const acked = await req('POST', `/api/incidents/${id}/ack`, { department: 'transport', by: 'ana' });
      expect(acked.body.incident.departments[0].ack.by).toBe('ana');
      expect((await req('POST', `/api/incidents/${id}/close`, { by: 'ana' })).status).toBe(400);
      const closed = await req('POST', `/api/incidents/${id}/close`, { by: 'ana', note: 'match over' });
      expect(closed.body.incident.status).toBe('closed');
      expect((await req('POST', `/api/incidents/${id}/close`, { by: 'ana', note: 'again' })).status).toBe(409);
      expect((await req('GET', '/api/incidents/inc-nope')).status).toBe(404);
    } finally {
      await api.close();
    }
  });
});

describe('incidents for a team user (the board’s list)', () => {
  it('lists only incidents of the team’s departments (or with an alert of its teams); an admin all', async () => {
    const { api, port, users } = await teamsApi();
    const list = async (token: string) =>
      ((await (await fetch(`http://127.0.0.1:${port}/api/incidents`, { headers: { authorization: `Bearer ${token}` } })).json()) as any)
        .incidents;
    try {
      expect(await list(TOKEN)).toHaveLength(1);
      expect((await list(users[1].token)).map((i: any) => i.departments.map((d: any) => d.name))).toEqual([
        ['transport', 'public-security'],
      ]);
      expect(await list(users[2].token)).toEqual([]);
    } finally {
      await api.close();
    }
  });
});

describe('an incident of another team (detail, ack, close)', () => {
  it('is not found for a team user who does not see it; a team acks only for its own departments', async () => {
    const { api, port, users } = await teamsApi();
    const [tom, hana] = [users[1].token, users[2].token];
    const req = async (method: string, path: string, token: string, body?: object) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    try {
      const id = (await req('GET', '/api/incidents', TOKEN)).body.incidents[0].id;
      // health has no department in it and no alert of it: the incident does not exist for hana
      expect((await req('GET', `/api/incidents/${id}`, hana)).status).toBe(404);
      expect((await req('POST', `/api/incidents/${id}/ack`, hana, { department: 'transport', by: 'hana' })).status).toBe(404);
      expect((await req('POST', `/api/incidents/${id}/close`, hana, { by: 'hana', note: 'not ours' })).status).toBe(404);
      // transport sees it, acks for itself, not for public security
      expect((await req('GET', `/api/incidents/${id}`, tom)).body.incident.id).toBe(id);
      const other = await req('POST', `/api/incidents/${id}/ack`, tom, { department: 'public-security', by: 'tom' });
      expect(other.status).toBe(403);
      expect(other.body.error).toMatch(/public-security/);
      const own = await req('POST', `/api/incidents/${id}/ack`, tom, { department: 'transport', by: 'tom' });
      expect(own.status).toBe(200);
      expect(own.body.incident.departments.find((d: any) => d.name === 'transport').ack.by).toBe('tom');
      const shown = (await req('GET', `/api/incidents/${id}`, TOKEN)).body.incident;
      expect(shown.departments.find((d: any) => d.name === 'public-security').ack).toBeUndefined();
      expect((await req('POST', `/api/incidents/${id}/close`, tom, { by: 'tom', note: 'crowd dispersed' })).body.incident.status).toBe(
        'closed',
      );
    } finally {
      await api.close();
    }
  });
});
