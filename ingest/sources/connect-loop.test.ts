/** connectLoop: retries until it connects, and a stop request ends it at once, even mid-attempt. */
import { silentLogger } from '../../kernel/logger';
import { ConnectAborted, connectLoop } from './connect-loop';
import { isPermanentKafkaError } from './kafka-source';

describe('connectLoop', () => {
  it('retries failed attempts, reporting each failure, and returns the first success', async () => {
    const failures: string[] = [];
    let n = 0;
    const value = await connectLoop(
      async () => {
        if (++n < 3) throw new Error(`refused ${n}`);
        return 'connected';
      },
      {
        what: 'test',
        signal: new AbortController().signal,
        log: silentLogger(),
        backoff: () => 0,
        onFailure: (e) => failures.push((e as Error).message),
      },
    );
    expect(value).toBe('connected');
    expect(failures).toEqual(['refused 1', 'refused 2']);
  });

  it('a stop request ends the loop at once, without waiting for an attempt that never settles', async () => {
    const c = new AbortController();
    const attempts: number[] = [];
    const loop = connectLoop(
      () => {
        attempts.push(attempts.length);
        return new Promise<never>(() => undefined); // a broker that never answers
      },
      { what: 'Kafka consumer', signal: c.signal, log: silentLogger() },
    );
    c.abort();
    await expect(loop).rejects.toBeInstanceOf(ConnectAborted);
    expect(attempts).toEqual([0]);
  });

  it('a stop request during the backoff ends it before the next attempt', async () => {
    const c = new AbortController();
    let n = 0;
    const loop = connectLoop(
      async () => {
        n++;
        c.abort(); // stopped while this attempt fails: the loop must not sleep out its backoff
        throw new Error('refused');
      },
      { what: 'test', signal: c.signal, log: silentLogger(), backoff: () => 3_600_000 },
    );
    await expect(loop).rejects.toBeInstanceOf(ConnectAborted);
    expect(n).toBe(1);
  });

  it('a permanent failure (wrong credentials) is thrown at once, not retried', async () => {
    let n = 0;
    const auth = Object.assign(new Error('SASL PLAIN authentication failed'), { name: 'KafkaJSSASLAuthenticationError' });
    const loop = connectLoop(
      async () => {
        n++;
        throw new Error('cannot consume', { cause: auth });
      },
      { what: 'test', signal: new AbortController().signal, log: silentLogger(), backoff: () => 0, permanent: isPermanentKafkaError },
    );
    await expect(loop).rejects.toThrow('cannot consume');
    expect(n).toBe(1);
  });
});
