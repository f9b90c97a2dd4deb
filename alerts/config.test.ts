import * as path from 'node:path';
import { loadConfigFile, validateConfig } from '../config/load';
import { ConfigError } from '../kernel/errors';
import { Router } from './route/route';

const base = { streams: { people: { mapping: { key: 'gate', time: 'ts', measurements: ['entries'] } } } };

function problems(raw: object): string[] {
  try {
    validateConfig({ ...base, ...raw });
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

describe('alerting config', () => {
  it('examples/alerting.yaml is valid and routes as its comments say', () => {
    const c = loadConfigFile(path.join(__dirname, '..', 'examples', 'alerting.yaml'));
    const r = new Router(c.route!, c.receivers[0].name);
    const to = (labels: Record<string, string>) => r.match(labels).map((x) => x.receiver);
    expect(to({ stream: 'people', detector: 'crowd-surge', severity: 'critical', team: 'station-ops' })).toEqual([
      'archive',
      'alerts-topic',
      'oncall',
      'console',
    ]);
    expect(to({ stream: 'people', detector: 'stuck-sensor', severity: 'warning', team: 'maintenance' })).toEqual([
      'archive',
      'alerts-topic',
      'console',
    ]);
    expect(r.match({ team: 'maintenance' }).at(-1)!.groupWait).toBe(30_000);
    expect(c.alerting.escalation).toEqual([{ matchers: ['severity="critical"'], after: 15 * 60_000, receiver: 'duty-lead' }]);
    expect(c.receivers.find((x) => x.name === 'oncall')).toMatchObject({ type: 'webhook', secret_env: 'FW_WEBHOOK_SECRET', timeout: 5000 });
  });

  it('defaults: console receiver, no route (fan-out), flap detection on, no API', () => {
    const c = validateConfig(base);
    expect(c.receivers).toEqual([{ type: 'console', name: 'console' }]);
    expect(c.route).toBeUndefined();
    expect(c.inhibit_rules).toEqual([]);
    expect(c.alerting).toMatchObject({
      flap: { window: 3_600_000, threshold: 6, quiet: 1_800_000 },
      escalation: [],
      retention: 86_400_000,
    });
    expect(c.alerting.api).toBeUndefined();
    expect(validateConfig({ ...base, alerting: { api: {} } }).alerting.api).toEqual({
      listen: '127.0.0.1:9464',
      token_env: 'FLOWWATCH_API_TOKEN',
      max_silence: 30 * 86_400_000,
      users: [],
      teams: [],
      session_idle: 30 * 60_000,
      session_max: 12 * 3_600_000,
    });
  });

  it('one line per problem, naming its path', () => {
    expect(
      problems({
        receivers: [{ type: 'console' }, { type: 'console' }, { type: 'webhook', name: 'hook', url: 'ftp://x', secret_env: 'not a var' }],
        route: { receiver: 'pager', routes: [{ matchers: ['severity'], receiver: 'console' }, { receiver: 'nobody' }] },
        inhibit_rules: [{ source_matchers: ['a=~"("'], target_matchers: [] }],
        alerting: { escalation: [{ after: '10m', receiver: 'lead' }], flap: { window: 'soon' }, api: { listen: 'everywhere' } },
      }),
    ).toEqual(
      expect.arrayContaining([
        'receivers[2].url: expected an http(s) URL, got "ftp://x"',
        expect.stringMatching(/^receivers\[2\]\.secret_env: expected an environment variable name/),
        expect.stringMatching(/^route\.routes\[0\]\.matchers\[0\]: bad matcher "severity"/),
        expect.stringMatching(/^inhibit_rules\[0\]\.source_matchers\[0\]: bad matcher .*invalid regex/),
        'inhibit_rules[0].target_matchers: expected at least one matcher',
        expect.stringMatching(/^alerting\.flap\.window: expected a duration like "5m"/),
        expect.stringMatching(/^alerting\.api\.listen: expected host:port/),
      ]),
    );
    expect(
      problems({
        receivers: [{ type: 'console' }, { type: 'console' }],
        route: { receiver: 'pager', routes: [{ receiver: 'nobody' }] },
        alerting: { escalation: [{ after: '10m', receiver: 'lead' }] },
      }),
    ).toEqual([
      'receivers[1].name: duplicate receiver name "console"; give each receiver a unique name',
      'route.receiver: unknown receiver "pager"; receivers are console',
      'route.routes[0].receiver: unknown receiver "nobody"; receivers are console',
      'alerting.escalation[0].receiver: unknown receiver "lead"; receivers are console',
    ]);
  });

  it('config/testdata/bad/alerting.yaml: every mistake, one line each', () => {
    let lines: string[] = [];
    try {
      loadConfigFile(path.join(__dirname, '..', 'config', 'testdata', 'bad', 'alerting.yaml'));
    } catch (err) {
      lines = (err as ConfigError).problems;
    }
    expect(lines).toEqual([
      'receivers[1].secret_env: expected an environment variable name like FW_WEBHOOK_SECRET, got "s3cr3t-value!"',
      'route.routes[0].matchers[0]: bad matcher "severity == \\"critical\\"": quote the value (label="value"), and write = or =~, not == or ~=',
      'alerting.escalation[0].receiver: required (expected string)',
    ]);
  });
});

describe('alerting.api users and teams', () => {
  it('names what is wrong: unknown teams and receivers, a user with neither teams nor admin, a token in the file', () => {
    const got = problems({
      receivers: [{ type: 'console' }],
      alerting: {
        api: {
          users: [{ name: 'rita', token_env: 'FW_RITA', teams: ['riverside'] }],
          teams: [{ name: 'ops', receivers: ['pager'] }],
        },
      },
    }).join('\n');
    expect(got).toMatch(/alerting\.api\.users\[0\]\.teams\[0\].*unknown team "riverside"/);
    expect(got).toMatch(/alerting\.api\.teams\[0\]\.receivers\[0\].*unknown receiver "pager"/);
    expect(problems({ alerting: { api: { users: [{ name: 'n', token_env: 'FW_N' }] } } }).join('\n')).toMatch(
      /alerting\.api\.users\[0\].*needs teams or admin: true/,
    );
    expect(problems({ alerting: { api: { users: [{ name: 'a', token: 'secret', admin: true }] } } }).join('\n')).toMatch(/token/);
  });
});
