/**
 * The binary form of stored state (issue 22): every plain-JSON value reads back as after a JSON
 * round trip, smaller than its JSON text; JSON written by earlier releases is still read; damaged
 * or newer bytes fail with FW_STATE saying where.
 */
import { STATE_CODEC_VERSION, StateEncoder, decodeStateValue, encodeStateValue, isBinaryStateValue, nameToken } from './codec';

const viaJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

/** A funds row of examples/kafka.yaml as the pipeline writes it (rate windows, a distinct sketch). */
const fundsRow = {
  attrs: { counterparty: 'ACC-00060', channel: 'transfer', currency: 'EUR' },
  touched: 1796615342941,
  entries: {
    'velocity-burst': {
      detector: { win: { t: 1796615342941, w: 60000, p: 10, s: [[29943589, 33]] }, firing: true },
      lifecycle: { phase: 2, since: 1796615341092, peak: 0.7674418604651163 },
    },
    structuring: { detector: { win: { t: 1796615342941, w: 3600000, p: 24, s: [[499059, 33, 33, 0]] }, firing: false } },
    'fan-out': {
      detector: {
        sketch: { maxTs: 1796615342941, hash: [2601212653], seen: [5988717], overflowPane: -1e21, reg: [], w: 300000 },
        firing: false,
      },
    },
  },
};

it.each([
  ['a row', fundsRow],
  ['scalars', [null, true, false, 0, 1, -1, 127, -128, 128, -129, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 0.1, -1e21, 1e300, 5e-324]],
  ['what JSON drops or changes', { a: undefined, b: [undefined, NaN, Infinity, -Infinity, -0], c: -0, d: [1, NaN, 2], e: [0.5, -0] }],
  [
    'strings',
    { ascii: 'gate-1', empty: '', utf8: 'Zürich → 東京 🚉', long: 'x'.repeat(300), ['é'.repeat(200)]: 'key longer than 127 bytes' },
  ],
  [
    'packed and mixed arrays',
    { ints: [1, -2, 3e9 - 3e9, 2 ** 31 - 1], floats: [1.5, 1e21, -3], mixed: [1, 'a', null, [2, 3]], empty: [], nested: [[], [[]]] },
  ],
  ['odd member names', JSON.parse('{"__proto__": {"x": 1}, "constructor": 2, "": 3}')],
])('%s reads back as after a JSON round trip', (_name, value) => {
  const bytes = encodeStateValue(value);
  expect(isBinaryStateValue(bytes)).toBe(true);
  expect(decodeStateValue(bytes)).toEqual(viaJson(value));
  // Same key order too: what a caller iterates comes back in the order JSON gives.
  expect(JSON.stringify(decodeStateValue(bytes))).toBe(JSON.stringify(value));
});

it('__proto__ comes back as an own member, not as the prototype (as JSON.parse does)', () => {
  const v = decodeStateValue(encodeStateValue(JSON.parse('{"__proto__": {"polluted": true}}'))) as Record<string, unknown>;
  expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
  expect(Object.keys(v)).toEqual(['__proto__']);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

it('a row is smaller than its JSON text (pane numbers and counts as int32, times and sums as float64)', () => {
  const json = Buffer.byteLength(JSON.stringify(fundsRow));
  const bin = encodeStateValue(fundsRow).length;
  // Strings (rule, field and attribute names) are most of both, so the gain is the numbers': 557 → 419 bytes.
  expect(json).toBe(557);
  expect(bin).toBeLessThan(json * 0.8);
});

it('numbers take 1 (int8), 4 (int32) or 8 (float64) bytes after their tag', () => {
  // magic, version, tag, payload
  expect(encodeStateValue(5)).toEqual(Buffer.from([0xf5, STATE_CODEC_VERSION, 3, 5]));
  expect(encodeStateValue(-300).length).toBe(2 + 1 + 4);
  expect(encodeStateValue(0.25).length).toBe(2 + 1 + 8);
  // A packed array: tag, count, then 4 bytes per 32-bit integer.
  expect(encodeStateValue([1, 2, 3]).length).toBe(2 + 1 + 1 + 12);
  expect(encodeStateValue([1, 2, 3.5]).length).toBe(2 + 1 + 1 + 24);
});

it('one encoder serves many values and many commits: each value is its own view', () => {
  const e = new StateEncoder();
  for (let round = 0; round < 3; round++) {
    const values = Array.from({ length: 2000 }, (_, i) => ({ i, round, s: 'k'.repeat(i % 50), f: [i / 7, round] }));
    for (const v of values) e.add(v);
    const out = e.finish();
    expect(out.map((b) => decodeStateValue(b))).toEqual(values.map(viaJson));
  }
});

it('JSON written by an earlier release is read, as text or as bytes', () => {
  const text = JSON.stringify(fundsRow);
  expect(decodeStateValue(text)).toEqual(viaJson(fundsRow));
  expect(decodeStateValue(Buffer.from(text, 'utf8'))).toEqual(viaJson(fundsRow));
  expect(isBinaryStateValue(Buffer.from(text, 'utf8'))).toBe(false);
});

it('damaged bytes fail with FW_STATE saying where and what', () => {
  const bytes = encodeStateValue(fundsRow);
  expect(() => decodeStateValue(bytes.subarray(0, bytes.length - 3), 'state of t:0, entry "funds\\u0000A"')).toThrow(
    /state of t:0, entry "funds\\u0000A": damaged binary state at byte 412: expected 6 more bytes, the value ends/,
  );
  expect(() => decodeStateValue(Buffer.concat([bytes, Buffer.from([0])]))).toThrow(/1 bytes left after the value/);
  expect(() => decodeStateValue(Buffer.from([0xf5, STATE_CODEC_VERSION, 42]))).toThrow(/unknown tag 42/);
});

it('bytes from a newer encoding version are refused, not misread', () => {
  const err = (() => {
    try {
      decodeStateValue(Buffer.from([0xf5, STATE_CODEC_VERSION + 1, 0]), 'entry x');
    } catch (e) {
      return e as { code?: string; message: string };
    }
    return null;
  })();
  expect(err?.code).toBe('FW_STATE');
  expect(err?.message).toMatch(/entry x: stored by a newer release \(state encoding version 2; this release reads 1 and JSON\)/);
});

it('refuses what JSON state may not hold (functions are left out of objects as JSON does; a bigint is an error)', () => {
  expect(decodeStateValue(encodeStateValue({ f: () => 1, a: 1 }))).toEqual({ a: 1 });
  expect(() => encodeStateValue({ a: 1n })).toThrow(/cannot store a bigint in detector state/);
});

it('objects with 128 members and more (a count wider than one byte) read back', () => {
  for (const size of [127, 128, 129, 20000]) {
    const o = Object.fromEntries(Array.from({ length: size }, (_, i) => [`m${i}`, i % 2 ? i / 3 : { x: [i] }]));
    expect(decodeStateValue(encodeStateValue({ before: 1, o, after: 'z' }))).toEqual({ before: 1, o: viaJson(o), after: 'z' });
  }
});

/** The bytes one write makes, framed as a value (begin … end). */
function written(write: (e: StateEncoder) => void): Buffer {
  const e = new StateEncoder();
  e.begin();
  write(e);
  e.end();
  return e.finish()[0];
}

it.each([
  ['int8 and int32', [0, 1, -1, 127, -129, 2 ** 31 - 1, -(2 ** 31)]],
  ['float64', [1.5, 1e21, -3, 2 ** 31]],
  ['-0 (stored as 0, as JSON has it)', [-0, 0.5, -0]],
  ['non-finite (item by item, null as in JSON)', [1, NaN, Infinity, -Infinity, 2.5]],
  ['empty', []],
])('numbers() writes what value() writes for a number array: %s', (_name, a) => {
  expect(written((e) => e.numbers(a)).equals(encodeStateValue(a))).toBe(true);
  // Only the first n: a scratch row longer than its content.
  expect(written((e) => e.numbers([...a, 99, 98], a.length)).equals(encodeStateValue(a))).toBe(true);
});

it('strings() writes what value() writes for an attribute object', () => {
  for (const o of [{}, { station: 'Northgate', gate: '4' }, { city: 'Zürich → 東京', long: 'x'.repeat(300) }, { a: 'x', b: undefined }])
    expect(written((e) => e.strings(o as Record<string, string>)).equals(encodeStateValue(o))).toBe(true);
  // Not only strings (a store written by hand): each member as value() writes it.
  const odd = { a: 'x', n: 3, nested: { b: [1] } } as unknown as Record<string, string>;
  expect(written((e) => e.strings(odd)).equals(encodeStateValue(odd))).toBe(true);
});

it('fragments, names and objectOf() write what key() and openObject() write', () => {
  const head = StateEncoder.fragment((e) => {
    e.objectOf(2);
    e.key('win');
  });
  const firing = nameToken('firing');
  const viaFragments = written((e) => {
    e.raw(head);
    e.numbers([1, 2]);
    e.name(firing);
    e.bool(true);
  });
  expect(viaFragments.equals(encodeStateValue({ win: [1, 2], firing: true }))).toBe(true);
  // A long name (raw() copies natively past a dozen bytes) and one past 127 bytes (two-byte length).
  for (const name of ['a-rather-long-member-name', 'é'.repeat(100)])
    expect(written((e) => (e.objectOf(1), e.name(nameToken(name)), e.number(1))).equals(encodeStateValue({ [name]: 1 }))).toBe(true);
  expect(() => StateEncoder.fragment((e) => e.objectOf(128))).toThrow(/at most 127 members/);
});
