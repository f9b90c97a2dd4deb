import { mkdtempSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadTables, ReferenceData, tableProblems } from './reference';
import { labelsFor } from './tables';

const EXAMPLES = ['places.yaml', 'gates.csv', 'fleet.jsonl', 'accounts.csv'].map((f) =>
  path.join(__dirname, '../../examples/reference', f),
);

function tmp(files: Record<string, string>): string[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'fw-ref-'));
  return Object.entries(files).map(([name, text]) => {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    return p;
  });
}

describe('reference tables', () => {
  it("loads the example tables and labels each flow's keys with place, district and party", () => {
    const e = loadTables(EXAMPLES);
    expect(labelsFor(e, 'central-g3')).toEqual({
      place: 'central-stadium',
      place_name: 'Central Stadium',
      district: 'haidian',
      where: 'Gate 3 at Central Stadium (Haidian district)',
    });
    expect(labelsFor(e, 'RFC-1001')).toMatchObject({ place: 'depot-haidian', district: 'haidian', party: 'coldco' });
    expect(labelsFor(e, 'ACC-00003')).toMatchObject({ place: 'depot-haidian', district: 'haidian', party: 'coldco' });
    expect(labelsFor(e, 'ACC-00001')).toMatchObject({ place: 'central-stadium', district: 'haidian', party: 'stadium-catering' });
    expect(labelsFor(e, 'nobody')).toEqual({});
  });

  it('reports unknown and conflicting entries with file:line', () => {
    const [a, b] = tmp({
      'a.csv': 'type,id,name,in,owner\ndistrict,d1,D1,,\nvenue,v1,V1,d1,\ngate,g1,G1,nowhere,\n',
      'b.jsonl':
        '{"type":"venue","id":"v1","name":"Other","in":"d1"}\n{"type":"spaceship","id":"x"}\n{"type":"account","id":"acc","owner":"v1"}\nnot json\n',
    });
    const problems = tableProblems([a, b]).map((p) => `${path.basename(p.at)}: ${p.message}`);
    expect(problems).toEqual(
      expect.arrayContaining([
        'a.csv:4: gate "g1" is in unknown entity "nowhere"',
        'b.jsonl:1: conflicting entry for "v1": already defined differently at ' + a + ':3',
        expect.stringMatching(/^b\.jsonl:2: unknown type "spaceship"/),
        'b.jsonl:3: owner "v1" of "acc" is a venue, expected a party',
        expect.stringMatching(/^b\.jsonl:4: malformed JSON/),
      ]),
    );
    expect(problems).toHaveLength(5);
  });

  it('gives YAML rows their line and refuses a type in the wrong place', () => {
    const [y] = tmp({ 't.yaml': 'entities:\n  - { type: district, id: d1 }\n  - type: gate\n    id: g1\n    in: d1\n' });
    expect(tableProblems([y]).map((p) => `${path.basename(p.at)}: ${p.message}`)).toEqual([
      't.yaml:3: a gate cannot be in a district ("d1"); a gate is in venue or site or depot',
    ]);
  });

  it('reloads a changed file without a restart, and keeps the tables in use when the change is invalid', () => {
    const [f] = tmp({ 'gates.csv': 'type,id,in\ndistrict,d1,\ndistrict,d2,\nvenue,v1,d1\nvenue,v2,d2\ngate,g1,v1\n' });
    const errors: string[] = [];
    const ref = new ReferenceData([f], { info: () => undefined, error: (_o, m) => void errors.push(m) });
    expect(ref.labels('g1').district).toBe('d1');
    expect(ref.refresh()).toBe(false); // unchanged
    writeFileSync(f, 'type,id,in\ndistrict,d1,\ndistrict,d2,\nvenue,v1,d1\nvenue,v2,d2\ngate,g1,v2\n');
    utimesSync(f, new Date(), new Date(Date.now() + 5000));
    expect(ref.refresh()).toBe(true);
    expect(ref.labels('g1').district).toBe('d2');
    writeFileSync(f, 'type,id,in\ngate,g1,v9\n');
    utimesSync(f, new Date(), new Date(Date.now() + 10_000));
    expect(ref.refresh()).toBe(false);
    expect(errors).toHaveLength(1);
    expect(ref.labels('g1').district).toBe('d2');
  });
});
