import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Notification } from '../notification';
import { makeAlert } from '../testing/fakes';
import { JsonlFileReceiver } from './jsonl';

const notification = (o: Partial<Notification>): Notification => ({
  id: 'n1',
  receiver: 'desk',
  reason: 'new',
  groupKey: 'g',
  groupLabels: {},
  createdAt: 0,
  alerts: [],
  ...o,
});

describe('jsonl receiver', () => {
  it('one line per alert; a reason other than new, and an incident notification says which incident and what changed', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'fw-jsonl-')), 'desk.jsonl');
    const r = new JsonlFileReceiver('desk', file);
    const a = makeAlert({ key: 'central-g3' });
    const b = makeAlert({ stream: 'funds', key: 'ACC-00001' });
    await r.notify([a], { notification: notification({ alerts: [a] }) });
    const incident = { id: 'inc-1', title: 'Cross-flow event', status: 'open', version: 1, department: 'transport', change: ['opened'] };
    await r.notify([a, b], { notification: notification({ reason: 'incident', alerts: [a, b], incident }) });
    await r.close();
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.id, l.reason, l.incident?.id])).toEqual([
      [a.id, undefined, undefined],
      [a.id, 'incident', 'inc-1'],
      [b.id, 'incident', 'inc-1'],
    ]);
    expect(lines[1].incident).toEqual(incident);
  });
});
