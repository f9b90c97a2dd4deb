import { withIdleTicks } from './idle-ticks';

/** A source whose next batch is released by the test. */
function gated<T>() {
  const queue: Array<(v: IteratorResult<T>) => void> = [];
  let reads = 0;
  const source: AsyncIterable<T> = {
    [Symbol.asyncIterator]: () => ({
      next: () => {
        reads++;
        return new Promise<IteratorResult<T>>((resolve) => queue.push(resolve));
      },
    }),
  };
  return { source, release: (v: IteratorResult<T>) => queue.shift()!(v), reads: () => reads };
}

describe('withIdleTicks', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('yields null while the source is quiet, keeps the one pending read, then the batches in order', async () => {
    const g = gated<string>();
    const it = withIdleTicks(g.source, 1000)[Symbol.asyncIterator]();
    const first = it.next();
    await jest.advanceTimersByTimeAsync(1000);
    expect(await first).toEqual({ value: null, done: false });
    const second = it.next();
    await jest.advanceTimersByTimeAsync(1000);
    expect(await second).toEqual({ value: null, done: false });
    expect(g.reads()).toBe(1); // the quiet read was not repeated
    const third = it.next();
    g.release({ value: 'a', done: false });
    expect(await third).toEqual({ value: 'a', done: false });
    const fourth = it.next();
    g.release({ value: undefined, done: true });
    expect(await fourth).toEqual({ value: undefined, done: true });
    expect(g.reads()).toBe(2);
  });

  it('does not tick while batches keep coming', async () => {
    const g = gated<number>();
    const it = withIdleTicks(g.source, 1000)[Symbol.asyncIterator]();
    for (let i = 0; i < 5; i++) {
      const n = it.next();
      await jest.advanceTimersByTimeAsync(900);
      g.release({ value: i, done: false });
      expect(await n).toEqual({ value: i, done: false });
    }
  });
});
