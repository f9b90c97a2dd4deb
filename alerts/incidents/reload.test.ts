import { mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ManualClock } from '../../kernel/clock';
import { ReferenceData } from '../../ingest/reference/reference';
import { MemoryAlertStore } from '../store/memory';
import { makeAlert, resolved } from '../testing/fakes';
import { EXAMPLE_TABLES, incidentPipeline } from './testing/pipeline';

describe('reference data reload', () => {
  it("a changed mapping moves the next alerts, without a restart; a resolve keeps its firing's labels", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fw-reload-'));
    const files = EXAMPLE_TABLES.map((f) => {
      const p = path.join(dir, path.basename(f));
      writeFileSync(p, readFileSync(f));
      return p;
    });
    const gates = files.find((f) => f.endsWith('gates.csv'))!;
    const ref = new ReferenceData(files);
    const clock = new ManualClock(1_000_000);
    const t = incidentPipeline({ store: new MemoryAlertStore(clock), clock, reference: ref });
    const before = makeAlert({ stream: 'people', key: 'central-g3', startsAt: 1_000 });
    await t.p.dispatch([before]);
    // Gate 3 is moved to North Station (Chaoyang): the file is edited, the watcher notices.
    writeFileSync(
      gates,
      readFileSync(gates, 'utf8').replace('gate,central-g3,Gate 3,central-stadium,', 'gate,central-g3,Gate 3,north-station,'),
    );
    utimesSync(gates, new Date(), new Date(Date.now() + 5000));
    expect(ref.refresh()).toBe(true);
    clock.advance(1000);
    await t.p.dispatch([resolved(before)]);
    clock.advance(1000);
    const after = makeAlert({ stream: 'people', key: 'central-g3', startsAt: 200_000 });
    await t.p.dispatch([after]);
    clock.advance(1000);
    await t.p.tick();
    const labels = t.alerts.alerts().map((a) => [a.status, a.labels.district, a.labels.where]);
    expect(labels).toEqual([
      ['firing', 'haidian', 'Gate 3 at Central Stadium (Haidian district)'],
      ['resolved', 'haidian', 'Gate 3 at Central Stadium (Haidian district)'],
      ['firing', 'chaoyang', 'Gate 3 at North Station (Chaoyang district)'],
    ]);
    // ...and correlates there: with a Chaoyang truck it makes a Chaoyang incident.
    await t.p.dispatch([makeAlert({ stream: 'goods', key: 'RFC-1004', startsAt: 230_000 })]);
    const [inc] = await t.p.incidents!.list();
    expect(inc.anchor).toEqual({ label: 'district', value: 'chaoyang' });
  });
});
