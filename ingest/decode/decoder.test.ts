import { mappingSchema } from '../../config/schema';
import { createDecoder } from './decoder';

const funds = createDecoder(
  'funds',
  mappingSchema.parse({
    key: 'account',
    time: { field: 'ts', format: 'epoch_s' },
    id: 'payment_id',
    measurements: ['amount'],
    attributes: ['counterparty'],
    derive: { near_limit: 'amount >= 9000 and amount < 10000' },
  }),
);

describe('JSON decoding by mapping', () => {
  it('decodes a record into an event with derived measurements', () => {
    const d = funds.decode('{"payment_id":"p1","account":"ACC-1","counterparty":"M-7","amount":9500.5,"ts":1764230400}');
    expect(d).toEqual({
      ok: true,
      event: {
        stream: 'funds',
        key: 'ACC-1',
        ts: 1764230400000,
        values: { amount: 9500.5, near_limit: 1 },
        attrs: { counterparty: 'M-7' },
        id: 'p1',
      },
    });
  });

  it('accepts already-parsed objects (simulator) and Buffers (Kafka)', () => {
    expect(funds.decode({ account: 'A', amount: 1, ts: 1 }).ok).toBe(true);
    expect(funds.decode(Buffer.from('{"account":"A","amount":1,"ts":1}')).ok).toBe(true);
  });

  it.each([
    ['{"account":"A","amount":1,', 'malformed', /not valid JSON/],
    ['[1,2]', 'malformed', /expected a JSON object, got an array/],
    ['{"amount":1,"ts":1}', 'missing_field', /key field "account" is missing/],
    ['{"account":"A","ts":1}', 'missing_field', /measurement field "amount" is missing/],
    ['{"account":"A","amount":"lots","ts":1}', 'bad_value', /expected a finite number, got "lots"/],
    ['{"account":"A","amount":"NaN","ts":1}', 'bad_value', /got "NaN"/],
    ['{"account":"A","amount":"Infinity","ts":1}', 'bad_value', /got "Infinity"/],
    ['{"account":"A","amount":1e999,"ts":1}', 'bad_value', /expected a finite number, got a number beyond the double range/],
    ['{"account":"A","amount":NaN,"ts":1}', 'malformed', /not valid JSON/],
    ['{"account":"A","amount":null,"ts":1}', 'missing_field', /measurement field "amount" is null/],
    ['{"account":"A","amount":"","ts":1}', 'missing_field', /measurement field "amount" is empty/],
    ['{"account":"A","amount":[1],"ts":1}', 'bad_value', /expected a finite number, got a list/],
    ['{"account":"A","amount":{"v":1},"ts":1}', 'bad_value', /expected a finite number, got an object/],
    ['{"account":"A","amount":1}', 'bad_time', /field "ts": missing time/],
    ['{"account":"A","amount":1,"ts":"yesterday"}', 'bad_time', /expected epoch seconds, got "yesterday"/],
    ['{"account":{"x":1},"amount":1,"ts":1}', 'bad_value', /key field "account" must be a string or number/],
  ])('%s → %s', (payload, reason, detail) => {
    const d = funds.decode(payload);
    expect(d.ok).toBe(false);
    if (!d.ok) {
      expect(d.reason).toBe(reason);
      expect(d.detail).toMatch(detail);
    }
  });
});

describe('numeric strings (mapping.coerce)', () => {
  const mapping = { key: 'account', time: { field: 'ts', format: 'epoch_s' }, measurements: ['amount'] };
  it('by default a numeric string is read as the number (decimal serialisers write money as "12.5")', () => {
    const d = createDecoder('funds', mappingSchema.parse(mapping)).decode('{"account":"A","amount":"12.5","ts":1}');
    expect(d).toMatchObject({ ok: true, event: { values: { amount: 12.5 } } });
  });
  it('coerce: none refuses it as bad_value, saying what was found and why', () => {
    const d = createDecoder('funds', mappingSchema.parse({ ...mapping, coerce: 'none' })).decode('{"account":"A","amount":"12.5","ts":1}');
    expect(d).toEqual({
      ok: false,
      reason: 'bad_value',
      detail: 'measurement field "amount": expected a number, got the string "12.5" (mapping.coerce is none)',
    });
  });
  it('booleans count as 1/0 either way', () => {
    const d = createDecoder('funds', mappingSchema.parse({ ...mapping, coerce: 'none' })).decode('{"account":"A","amount":true,"ts":1}');
    expect(d).toMatchObject({ ok: true, event: { values: { amount: 1 } } });
  });
});

describe('time formats', () => {
  const dec = (format: string) => createDecoder('s', mappingSchema.parse({ key: 'k', time: { field: 't', format }, measurements: ['v'] }));
  it('auto tells epoch seconds from milliseconds and parses ISO 8601', () => {
    const d = dec('auto');
    const ts = (t: unknown) => {
      const r = d.decode({ k: 'a', v: 1, t });
      return r.ok ? r.event.ts : r.detail;
    };
    expect(ts(1764230400)).toBe(1764230400000);
    expect(ts(1764230400123)).toBe(1764230400123);
    expect(ts('2026-11-27T08:00:00Z')).toBe(Date.UTC(2026, 10, 27, 8));
    expect(ts('2026-11-27T09:00:00+01:00')).toBe(Date.UTC(2026, 10, 27, 8));
    expect(ts('2014-04-10 07:15:00')).toBe(Date.UTC(2014, 3, 10, 7, 15));
    expect(ts('27/11/2026')).toMatch(/expected an ISO 8601 time/);
  });
  it('iso rejects numbers, epoch_ms keeps milliseconds', () => {
    expect(dec('iso').decode({ k: 'a', v: 1, t: 5 })).toMatchObject({ ok: false, reason: 'bad_time' });
    expect(dec('epoch_ms').decode({ k: 'a', v: 1, t: 5 })).toMatchObject({ ok: true, event: { ts: 5 } });
  });
});

describe('mapping features', () => {
  it('joins several key fields, reads nested fields, turns booleans into 1/0, skips optional measurements', () => {
    const d = createDecoder(
      'goods',
      mappingSchema.parse({
        key: ['site', 'device.id'],
        time: 't',
        measurements: { door: 'state.door', temp: { field: 'state.temp', optional: true } },
        attributes: { truck: 'truck_id' },
      }),
    );
    expect(d.decode({ site: 'north', device: { id: 7 }, t: 1764230400, state: { door: true } })).toEqual({
      ok: true,
      event: { stream: 'goods', key: 'north:7', ts: 1764230400000, values: { door: 1 }, attrs: {} },
    });
  });
});

describe('CSV decoding', () => {
  const d = createDecoder(
    'people',
    mappingSchema.parse({
      format: 'csv',
      csv: { columns: ['time', 'gate', 'entries'] },
      key: 'gate',
      time: 'time',
      measurements: ['entries'],
    }),
  );
  it('decodes a line by configured columns, numeric strings to numbers', () => {
    expect(d.decode('2026-11-27T08:00:00Z,g3,130')).toMatchObject({ ok: true, event: { key: 'g3', values: { entries: 130 } } });
    expect(d.decode('"2026-11-27T08:00:00Z","g,3",130')).toMatchObject({ ok: true, event: { key: 'g,3' } });
  });
  it('rejects wrong column counts and non-numbers', () => {
    expect(d.decode('2026-11-27T08:00:00Z,g3')).toMatchObject({ ok: false, reason: 'malformed' });
    expect(d.decode('2026-11-27T08:00:00Z,g3,abc')).toMatchObject({ ok: false, reason: 'bad_value' });
    expect(d.decode('2026-11-27T08:00:00Z,g3,')).toMatchObject({ ok: false, reason: 'missing_field' });
  });
});

describe('fast path (flat JSON bytes) and parsed records agree', () => {
  const d = createDecoder(
    'people',
    mappingSchema.parse({
      key: ['site', 'gate_id'],
      time: { field: 'time', format: 'iso' },
      measurements: ['entries'],
      attributes: ['station', 'toString'],
    }),
  );
  it.each([
    '{"site":"north","gate_id":"g1","time":"2026-11-27T08:00:00.000Z","entries":3,"station":"Riverside"}',
    '{"site":"north","gate_id":7,"time":"2026-11-27T08:00:00Z","entries":"4","station":"Riverside","toString":"x"}',
    '{"site":"north","gate_id":"g1","time":"2026-11-27T08:00:00.000Z","entries":3}',
    '{"site":"north","time":"2026-11-27T08:00:00.000Z","entries":3}',
    '{"site":"north","gate_id":"g1","time":"2026-02-30T08:00:00Z","entries":3}',
    '{"site":"north","gate_id":"g1","time":"2026-11-27T08:00:00.000Z","entries":null}',
    '{"site":"north","gate_id":"g1","time":"2026-11-27T08:00:00.000Z","entries":3,"station":"Zürich"}',
  ])('%s', (text) => {
    const viaBytes = d.decode(Buffer.from(text));
    expect(viaBytes).toEqual(d.decode(text));
    expect(viaBytes).toEqual(d.decode(JSON.parse(text)));
  });

  it('gives equal events for repeated records (reused key and attribute strings)', () => {
    const text = '{"site":"north","gate_id":"g1","time":"2026-11-27T08:00:00.000Z","entries":3,"station":"Riverside"}';
    const a = d.decode(Buffer.from(text));
    const b = d.decode(Buffer.from(text.replace('"entries":3', '"entries":4')));
    expect(a).toMatchObject({ ok: true, event: { key: 'north:g1', attrs: { station: 'Riverside' }, values: { entries: 3 } } });
    expect(b).toMatchObject({ ok: true, event: { key: 'north:g1', attrs: { station: 'Riverside' }, values: { entries: 4 } } });
  });
});
