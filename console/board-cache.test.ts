/**
 * BoardCache (console/board-cache.ts): what the live feed reads per tick. An alert whose view
 * and context are unchanged keeps its entry (the feed tells it unchanged by identity); a change
 * of the alert, or of the silences touching the board, makes new entries; entries parse to what
 * boardState gives.
 */
import { makeAlert, RecordingReceiver, route, testPipeline } from '../alerts/testing/fakes';
import { Access } from '../api/access';
import { boardState } from './board';
import { BoardCache, joinObjects } from './board-cache';
import { churnOf, feedWait } from './feed';

function setup() {
  const { p, clock } = testPipeline({ receivers: [new RecordingReceiver('hook')], route: route({ receiver: 'hook' }) });
  const access = new Access(p.router, [{ name: 'ops', receivers: ['hook'] }]);
  return { p, clock, access, cache: new BoardCache({ alerting: p, access }) };
}

describe('BoardCache', () => {
  it('keeps the very entry of an unchanged alert, and makes a new one when the alert changes', async () => {
    const { p, cache } = setup();
    const a = makeAlert({ key: 'A1' });
    const b = makeAlert({ key: 'B2' });
    await p.dispatch([a, b]);
    const first = await cache.read();
    await p.ack(a.id, 'rosa');
    const second = await cache.read();
    expect(second.entries.get(b.fingerprint)).toBe(first.entries.get(b.fingerprint));
    expect(second.entries.get(a.fingerprint)).not.toBe(first.entries.get(a.fingerprint));
    expect(JSON.parse(second.entries.get(a.fingerprint)!.json).ack.by).toBe('rosa');
    // A comment changes only the alert's trail, not its view: its entry is new, the other's kept.
    await p.desk.comment(b.id, 'looking', { by: 'raul', user: 'raul', teams: [] });
    const third = await cache.read();
    expect(third.entries.get(a.fingerprint)).toBe(second.entries.get(a.fingerprint));
    expect(JSON.parse(third.entries.get(b.fingerprint)!.json).history.map((h: { action: string }) => h.action)).toEqual(['comment']);
  });

  it('decorates every alert again when the silences change (a silence may touch any of them)', async () => {
    const { p, clock, cache } = setup();
    const a = makeAlert({ key: 'A1' });
    await p.dispatch([a]);
    const first = await cache.read();
    const s = await p.createSilence({ matchers: ['key="A1"'], endsAt: clock.now() + 3_600_000, createdBy: 'rosa' });
    const second = await cache.read();
    const entry = second.entries.get(a.fingerprint)!;
    expect(entry).not.toBe(first.entries.get(a.fingerprint));
    expect(entry.silences).toEqual([s.id]);
    expect(JSON.parse(second.silencesJson).map((x: { id: string }) => x.id)).toEqual([s.id]);
  });

  it('serialises each alert as boardState builds it', async () => {
    const { p, access, cache } = setup();
    await p.dispatch([makeAlert({ key: 'A1' }), makeAlert({ key: 'B2', stream: 'goods' })]);
    const state = await boardState(p, access);
    const read = await cache.read();
    expect([...read.entries.values()].map((e) => JSON.parse(e.json))).toEqual(state.alerts);
    expect([...read.entries.values()].map((e) => e.teams)).toEqual(state.alerts.map((x) => x.teams));
  });
});

describe('joinObjects', () => {
  it('is a spread of two serialised objects', () => {
    expect(JSON.parse(joinObjects('{"a":1,"b":2}', '{"b":3,"c":[4]}'))).toEqual({ a: 1, b: 3, c: [4] });
    expect(joinObjects('{}', '{"c":1}')).toBe('{"c":1}');
    expect(joinObjects('{"a":1}', '{}')).toBe('{"a":1}');
  });
});

describe('the live feed’s pace (feedWait, churnOf)', () => {
  it('reads every 500 ms while little changes, up to 900 ms when the whole board changes, never sooner than twice a slow read', () => {
    expect(feedWait(500, 0, 5)).toBe(500);
    expect(feedWait(500, churnOf(50, 0, 100), 5)).toBe(700);
    expect(feedWait(500, churnOf(100, 100, 100), 5)).toBe(900);
    expect(feedWait(500, 1, 300)).toBe(900);
    expect(feedWait(500, 0, 400)).toBe(800);
    // a test's short interval coalesces up to the same bound
    expect(feedWait(20, 1, 0)).toBe(900);
    expect(churnOf(0, 0, 0)).toBe(0);
  });
});
