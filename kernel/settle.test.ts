import { outcomeWithin, settleWithin } from './settle';

describe('settleWithin', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('returns when the promise settles, and leaves no timer behind', async () => {
    let resolve!: () => void;
    const p = new Promise<void>((r) => (resolve = r));
    const out = settleWithin(p, 20_000);
    expect(jest.getTimerCount()).toBe(1);
    resolve();
    await expect(out).resolves.toBe('settled');
    expect(jest.getTimerCount()).toBe(0);
  });

  it('counts a rejection as settled', async () => {
    await expect(settleWithin(Promise.reject(new Error('stopped badly')), 20_000)).resolves.toBe('settled');
    expect(jest.getTimerCount()).toBe(0);
  });

  it('gives up after the time, without waiting for the promise', async () => {
    const out = settleWithin(new Promise(() => undefined), 20_000);
    jest.advanceTimersByTime(20_000);
    await expect(out).resolves.toBe('timeout');
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('outcomeWithin', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('gives the value or the error of a promise that settles in time, and leaves no timer behind', async () => {
    await expect(outcomeWithin(Promise.resolve(42), 1000)).resolves.toEqual({ value: 42 });
    const err = new Error('store down');
    await expect(outcomeWithin(Promise.reject(err), 1000)).resolves.toEqual({ error: err });
    expect(jest.getTimerCount()).toBe(0);
  });

  it('gives timeout when the time passes first, and ignores a later result', async () => {
    let resolve!: (v: number) => void;
    const out = outcomeWithin(new Promise<number>((r) => (resolve = r)), 1000);
    jest.advanceTimersByTime(1000);
    await expect(out).resolves.toBe('timeout');
    resolve(1);
    await expect(out).resolves.toBe('timeout');
    expect(jest.getTimerCount()).toBe(0);
  });
});
