import { FlowSimulator } from './index';
test('scratch', () => {
  const start = Date.UTC(2026, 10, 27, 6, 0);
  const t0 = Date.now();
  const sim = new FlowSimulator({ seed: 1, start });
  const recs = sim.advance(start + 86400000);
  const dt = Date.now() - t0;
  const counts: Record<string, number> = {};
  for (const r of recs) counts[r.stream] = (counts[r.stream] ?? 0) + 1;
  console.log(dt, 'ms', recs.length, counts, (recs.length / dt * 1000).toFixed(0), 'rec/s');
  console.log(sim.labels().map(l => `${new Date(l.start).toISOString()} ${l.stream} ${l.key} ${l.kind} ${(l.end-l.start)/60000}m ${l.description}`).join('\n'));
  console.log(JSON.stringify(recs.slice(0, 3)), JSON.stringify(recs.filter(r=>r.stream==='goods').slice(0,3)), JSON.stringify(recs.filter(r=>r.stream==='funds').slice(0,3)));
});
