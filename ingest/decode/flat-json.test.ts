import { flatReader } from './flat-json';
import { Rng } from '../simulator/random';

const NAMES = ['account', 'amount', 'ts', 'ok', 'note', 'n', 'ünï'];
const reader = flatReader(NAMES);

/** What JSON.parse gives for the wanted fields (own, top-level), or 'invalid'. */
function reference(text: string): Record<string, unknown> | 'invalid' | 'not-object' {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return 'invalid';
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'not-object';
  const out: Record<string, unknown> = {};
  for (const n of NAMES) if (Object.prototype.hasOwnProperty.call(v, n)) out[n] = (v as Record<string, unknown>)[n];
  return out;
}

function check(text: string): void {
  const fast = reader.read(Buffer.from(text, 'utf8'));
  const ref = reference(text);
  if (ref === 'invalid' || ref === 'not-object') {
    expect({ text, fast }).toEqual({ text, fast: null });
    return;
  }
  if (fast === null) return; // the fast path may decline; JSON.parse then decides
  expect({ text, fast: { ...fast } }).toEqual({ text, fast: ref });
  for (const k of Object.keys(ref)) if (typeof ref[k] === 'number') expect(Object.is(fast[k], ref[k])).toBe(true);
}

describe('flatReader (fast path for flat JSON objects)', () => {
  it('reads the wanted fields exactly as JSON.parse does', () => {
    const text =
      '{"payment_id":"p-1","account":"ACC-1","amount":9999.99,"currency":"EUR","ts":1795761052.123,"ok":true,"note":null,"n":-0}';
    const r = reader.read(Buffer.from(text))!;
    expect(r).toEqual({ account: 'ACC-1', amount: 9999.99, ts: 1795761052.123, ok: true, note: null, n: -0 });
    expect(Object.is(r.n, -0)).toBe(true);
    expect('currency' in r).toBe(false);
  });

  it('parses numbers bit-exactly (fast path and long forms)', () => {
    for (const s of [
      '0',
      '-0',
      '0.1',
      '28.98',
      '-18.4',
      '123456789012345',
      '1234567890123456789',
      '0.30000000000000004',
      '1e3',
      '-2.5E-3',
      '9007199254740993',
      '4.35',
      '0.000001',
      '1795761015677',
      '3.14159265358979',
    ])
      check(`{"amount":${s}}`);
  });

  it('handles whitespace, duplicates (last wins), unicode and empty objects', () => {
    check(' \n{ "account" : "a" , "amount"\t: 1 ,"amount":2 }\r\n');
    check('{"note":"Zürich – 東京","ünï":"x"}');
    check('{}');
    check('{"nested":{"a":1},"amount":1}');
    check('{"note":"with \\"escape\\""}');
    check('{"list":[1,2],"amount":3}');
  });

  it('declines (null) everything JSON.parse rejects', () => {
    for (const bad of [
      '',
      '{',
      '}',
      '{"a":1,}',
      '{"a":1 "b":2}',
      '{"a":01}',
      '{"a":1.}',
      '{"a":.5}',
      '{"a":-}',
      '{"a":1e}',
      '{"a":tru}',
      '{"a":nul}',
      "{'a':1}",
      '{"a":"x\ny"}',
      '{"a":1}x',
      '[1]',
      '"s"',
      '{"a" 1}',
      '{,}',
      '{"a":+1}',
      '\ufeff{"a":1}',
    ])
      check(bad);
  });

  it('agrees with JSON.parse on thousands of random mutations of realistic payloads', () => {
    const rng = new Rng(42);
    const base = [
      '{"payment_id":"p-000001","account":"ACC-00119","counterparty":"M-utility-12","amount":51.7,"currency":"EUR","channel":"online","ts":1795761052}',
      '{"container_id":"RFC-1011","truck_id":"TRK-07","ts":1795761015677,"temp_c":-18,"setpoint_c":-18,"door_open":0,"speed_kmh":29.3,"in_transit":1,"ok":false}',
      '{"gate_id":"riverside-g1","station":"Riverside","gate":"1","time":"2026-11-27T06:30:00.000Z","n":20,"note":"x"}',
    ];
    const alphabet = '{}[]",:-+.eE0123456789 tfnul\\ab\n';
    for (let i = 0; i < 5000; i++) {
      let s = base[i % base.length];
      const edits = 1 + Math.floor(rng.next() * 3);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(rng.next() * s.length);
        const op = rng.next();
        const ch = alphabet[Math.floor(rng.next() * alphabet.length)];
        if (op < 0.33) s = s.slice(0, at) + s.slice(at + 1);
        else if (op < 0.66) s = s.slice(0, at) + ch + s.slice(at);
        else s = s.slice(0, at) + ch + s.slice(at + 1);
      }
      check(s);
    }
  });
});
