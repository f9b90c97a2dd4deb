import { KEY_BUCKETS, StringInterner } from './intern';

describe('StringInterner', () => {
  it('returns the text of the bytes, the same string for the same bytes', () => {
    const i = new StringInterner();
    const buf = Buffer.from('xx"gate-1","gate-1","gate-2"');
    const a = i.get(buf, 3, 9);
    expect(a).toBe('gate-1');
    expect(i.get(buf, 12, 18)).toBe('gate-1');
    expect(i.get(buf, 21, 27)).toBe('gate-2');
    expect(i.get(buf, 3, 3)).toBe('');
  });

  it('stays correct when many values share buckets', () => {
    const i = new StringInterner();
    for (let round = 0; round < 3; round++)
      for (let k = 0; k < 20_000; k++) {
        const s = `ACC-${k}`;
        expect(i.get(Buffer.from(s), 0, s.length)).toBe(s);
      }
  });

  it('keeps tens of thousands of values with a key-sized table', () => {
    // Strings compare by content, so what is counted is the strings made: a hit makes none.
    const keys = Array.from({ length: 20_000 }, (_, k) => `ACC-${k}`);
    const buf = Buffer.from(keys.join(''));
    const made = (table: StringInterner) => {
      const toString = jest.spyOn(buf, 'toString');
      for (let round = 0; round < 2; round++)
        for (let k = 0, at = 0; k < keys.length; at += keys[k].length, k++) expect(table.get(buf, at, at + keys[k].length)).toBe(keys[k]);
      const n = toString.mock.calls.length;
      toString.mockRestore();
      return n - keys.length; // the first round makes every string
    };
    // Direct-mapped at a load of 0.3, most values keep their bucket; 4,096 buckets keep few.
    expect(made(new StringInterner(KEY_BUCKETS))).toBeLessThan(6_000);
    expect(made(new StringInterner())).toBeGreaterThan(15_000);
  });

  it('rejects a table size that is not a power of two', () => {
    expect(() => new StringInterner(1000)).toThrow(/power of two, got 1000/);
  });
});
