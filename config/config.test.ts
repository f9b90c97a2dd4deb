import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../kernel/errors';
import { loadConfigFile, loadDefaultConfig, parseConfigText, validateConfig } from './load';
import { storeNamespace } from './schema';

const bad = (name: string) => path.join(__dirname, 'testdata', 'bad', name);

function problems(file: string): string[] {
  try {
    loadConfigFile(file);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error(`${file} was accepted`);
}

describe('config validation', () => {
  it('every example config is valid', () => {
    const dir = path.join(__dirname, '..', 'examples');
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) expect(() => loadConfigFile(path.join(dir, f))).not.toThrow();
  });

  it('the embedded default has the three flows with defaults filled in', () => {
    const c = loadDefaultConfig();
    expect(Object.keys(c.streams).sort()).toEqual(['funds', 'goods', 'people']);
    expect(c.state.backend).toBe('memory');
    expect(c.streams.people.detectors.length).toBeGreaterThan(0);
  });

  it('broken YAML names the line', () => {
    const p = problems(bad('broken-yaml.yaml'));
    expect(p[0]).toMatch(/^line \d+, column \d+: /);
  });

  it('wrong types: one line per problem naming its path, what was expected and what was there', () => {
    const p = problems(bad('wrong-types.yaml'));
    expect(p).toContain('streams.funds.detectors[0].window: expected a duration like "5m", got "5 minutes"');
    expect(p).toContain('streams.funds.lateness: expected a duration like "5m", got 5');
    expect(p.some((l) => l.startsWith('streams.funds.detectors[0].above: expected number, got "ten"'))).toBe(true);
  });

  it('unknown detector type lists the known ones', () => {
    const p = problems(bad('unknown-detector.yaml'));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^streams\.funds\.detectors\[0\]\.type: unknown type "isolation-forest"; expected one of .*threshold.*zscore/);
  });

  it('a forbidden mathjs function is rejected at load, naming it', () => {
    const p = problems(bad('forbidden-function.yaml'));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^streams\.funds\.detectors\[0\].*"import" is not allowed/);
  });

  it('unknown keys are errors', () => {
    const p = problems(bad('unknown-key.yaml'));
    expect(p).toContain('streams.people.mapping.colour: unknown key "colour"');
    expect(p).toContain('streams.people.detectors[0].treshold: unknown key "treshold"');
  });

  it('names that must exist are checked: measurements and derive inputs', () => {
    const p = problems(bad('unknown-measurement.yaml'));
    expect(p.some((l) => l.startsWith('streams.goods.mapping.derive.excess:') && l.includes('setpoint_c'))).toBe(true);
    expect(p.some((l) => l.startsWith('streams.goods.detectors[0].measurement: unknown measurement "temperature"'))).toBe(true);
  });

  it('an empty file or a list is not a config', () => {
    expect(() => parseConfigText('', 'x.yaml')).toThrow(/expected a mapping with "streams:"/);
    expect(() => parseConfigText('- a\n- b\n', 'x.yaml')).toThrow(/expected a mapping/);
  });

  it('duplicate detector names are caught', () => {
    const raw = parseConfigText(`
streams:
  funds:
    mapping: { key: account, time: ts, measurements: [amount] }
    detectors:
      - { type: threshold, name: big, measurement: amount, above: 5 }
      - { type: threshold, name: big, measurement: amount, above: 9 }
`);
    expect(() => validateConfig(raw)).toThrow(/duplicate detector name "big"/);
  });

  it('kafka.fetch_wait: optional (the source has the default), a duration up to 1s', () => {
    const streams = 'streams:\n  funds:\n    mapping: { key: account, time: ts, measurements: [amount] }\n';
    expect(validateConfig(parseConfigText(`kafka: { group_id: g }\n${streams}`)).kafka?.fetch_wait).toBeUndefined();
    expect(validateConfig(parseConfigText(`kafka: { fetch_wait: 25ms }\n${streams}`)).kafka?.fetch_wait).toBe(25);
    expect(() => validateConfig(parseConfigText(`kafka: { fetch_wait: 5s }\n${streams}`))).toThrow(/fetch_wait.*at most 1s/s);
  });

  it('accepts JSON too (JSON is YAML)', () => {
    const c = validateConfig(
      parseConfigText(
        '{"streams":{"funds":{"source":{"type":"file","path":"x.jsonl"},"mapping":{"key":"account","time":"ts","measurements":["amount"]}}}}',
      ),
    );
    expect(c.streams.funds.lateness).toBe(120_000);
  });

  describe('what a new user trips over (issue 15)', () => {
    it('a YAML alias bomb is refused as a config error naming the cause, not a crash', () => {
      const p = problems(bad('alias-bomb.yaml'));
      expect(p).toHaveLength(1);
      expect(p[0]).toMatch(/^\(top level\): YAML aliases .* expand too far/);
    });

    it('every bad expression is reported, one line each (derive entries and detectors together)', () => {
      const p = problems(bad('many-bad-expressions.yaml'));
      expect(p.map((l) => l.split(':')[0]).sort()).toEqual([
        'streams.people.detectors[0].expression',
        'streams.people.mapping.derive.a',
        'streams.people.mapping.derive.b',
        'streams.people.mapping.derive.c',
        'streams.people.mapping.derive.d',
        'streams.people.mapping.derive.e',
      ]);
      expect(p.find((l) => l.startsWith('streams.people.mapping.derive.d'))).toContain('unknown name "nope"');
    });

    it('a top-level list is called a list', () => {
      expect(() => parseConfigText('- a\n- b\n')).toThrow(/got a list/);
    });

    it('.nan and .inf are shown as such, not as null', () => {
      let lines: string[] = [];
      try {
        validateConfig(parseConfigText('streams:\n  people:\n    lateness: .nan\n    max_future: .inf\n'));
      } catch (err) {
        lines = (err as ConfigError).problems;
      }
      expect(lines).toContain('streams.people.lateness: expected string, got .nan (not a number)');
      expect(lines.join('\n')).toMatch(/max_future: .*got \.inf/);
      expect(lines.join('\n')).not.toMatch(/got null/);
    });

    it('a truncated JSON config gets JSON wording with its line and column', () => {
      const p = problems(bad('truncated.json'));
      expect(p).toHaveLength(1);
      expect(p[0]).toMatch(/^line 1, column \d+: JSON: /);
      expect(p[0]).not.toMatch(/flow map/i);
    });

    it('sizes are said in words, not as raw zod text', () => {
      let lines: string[] = [];
      try {
        validateConfig(
          parseConfigText(
            'streams:\n  people:\n    source: { type: simulator }\n    mapping: { key: gate_id, time: time, measurements: [] }\n    detectors: []\n',
          ),
        );
      } catch (err) {
        lines = (err as ConfigError).problems;
      }
      expect(lines).toEqual(['streams.people.mapping.measurements: expected at least 1 item, got an empty list']);
    });

    it("the README's sample error is what validate prints", () => {
      const readme = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
      // The README's sample has the bad detector second; the fixture has it first.
      const sample = /\.type: unknown type "isolation-forest"; expected one of [^\n]+/.exec(readme)?.[0];
      const p = problems(bad('unknown-detector.yaml'));
      expect(sample).toBeDefined();
      expect(p).toContain(`streams.funds.detectors[0]${sample}`);
    });
  });
});

describe('store namespace (state.prefix)', () => {
  const streams = (source: string) =>
    `streams:\n  people:\n    source: ${source}\n    mapping: { key: g, time: t, measurements: [n] }\n    detectors: [{ type: threshold, measurement: n, above: 1 }]\n`;
  it('is derived per deployment, so two configs never share an alert store by accident', () => {
    const kafka = validateConfig(parseConfigText(`kafka: { group_id: city-ops }\n${streams('{ type: kafka, topics: [p] }')}`));
    expect(storeNamespace(kafka)).toBe('fw:city-ops');
    const sim = validateConfig(parseConfigText(streams('{ type: simulator }')));
    expect(storeNamespace(sim)).toBe('fw:local:people');
    expect(
      storeNamespace(validateConfig(parseConfigText(`state: { backend: redis, prefix: fw }\n${streams('{ type: simulator }')}`))),
    ).toBe('fw');
  });
  it('the examples that share a Redis do not share a namespace', () => {
    const dir = path.join(__dirname, '..', 'examples');
    const names = ['alerting.yaml', 'kafka.yaml'].map((f) => storeNamespace(loadConfigFile(path.join(dir, f))));
    expect(new Set(names).size).toBe(2);
  });
});
