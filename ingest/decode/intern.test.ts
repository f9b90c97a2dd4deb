import { StringInterner } from './intern';

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
});
