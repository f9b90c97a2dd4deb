import * as path from 'node:path';
import { loadConfigFile, parseConfigText, validateConfig } from '../../config/load';
import type { ConfigError } from '../../kernel/errors';

const ROOT = path.join(__dirname, '../..');

function problems(yaml: string): string[] {
  try {
    validateConfig(parseConfigText(yaml));
    return [];
  } catch (err) {
    return (err as ConfigError).problems;
  }
}

const BASE = `
streams:
  people: { mapping: { key: gate_id, time: { field: time, format: iso }, measurements: [entries] } }
  goods: { mapping: { key: container_id, time: { field: time, format: iso }, measurements: [temp] } }
receivers: [{ type: console }, { type: jsonl, name: desk, path: out/x.jsonl }]
`;

describe('incidents config', () => {
  it('accepts examples/incidents.yaml (reference tables, departments, rules)', () => {
    const cwd = process.cwd();
    process.chdir(ROOT); // the table paths are relative to the working directory
    try {
      const c = loadConfigFile('examples/incidents.yaml');
      expect(c.incidents!.rules.map((r) => r.name)).toEqual(['district-event', 'party-cold-chain']);
      expect(c.incidents!.rules[0].window).toBe(15 * 60_000);
    } finally {
      process.chdir(cwd);
    }
  });

  it('names each problem by its path', () => {
    const p = problems(`${BASE}
incidents:
  departments:
    police: { receiver: pager }
    transport: { receiver: desk }
  rules:
    - { name: a, join_on: district, departments: [transport, fire], streams: [people, trains], window: 10x }
    - { name: a, join_on: party, departments: [police], streams: [goods], matchers: ['severity=~"("'] }
`);
    expect(p).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^incidents\.rules\[0\]\.window: /),
        expect.stringMatching(/^incidents\.rules\[1\]\.matchers\[0\]: /),
      ]),
    );
    const q = problems(`${BASE}
incidents:
  departments:
    police: { receiver: pager }
    transport: { receiver: desk }
  rules:
    - { name: a, join_on: district, departments: [transport, fire], streams: [people, trains] }
    - { name: a, join_on: party, departments: [police], streams: [goods] }
`);
    expect(q).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^incidents\.departments\.police\.receiver: unknown receiver "pager"/),
        expect.stringMatching(/^incidents\.rules\[0\]\.departments\[1\]: unknown department "fire"/),
        expect.stringMatching(/^incidents\.rules\[0\]\.streams\[1\]: unknown stream "trains"/),
        expect.stringMatching(/^incidents\.rules\[1\]\.name: duplicate rule name "a"/),
        expect.stringMatching(/^incidents\.rules\[1\]\.min_streams: min_streams 2 can never be met/),
      ]),
    );
  });

  it('reports invalid reference tables with file:line under incidents.reference.files', () => {
    const p = problems(`${BASE}
incidents:
  reference: { files: [${path.join(ROOT, 'examples/reference/gates.csv')}] }
`);
    expect(p[0]).toMatch(/^incidents\.reference\.files\[0\]: .*gates\.csv:3: gate "central-g1" is in unknown entity "central-stadium"/);
    expect(p).toHaveLength(12); // one per gate
  });
});
