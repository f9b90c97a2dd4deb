/** The telemetry section of the config and the --telemetry / FLOWWATCH_TELEMETRY value. */
import { validateConfig } from './load';
import { listenOption } from '../cli/options';

const streams = { people: { mapping: { format: 'json', key: 'gate', time: 'ts', measurements: ['entries'] } } };

describe('telemetry config', () => {
  it('listens on 127.0.0.1:9465 by default, next to the alerting API (9464)', () => {
    expect(validateConfig({ streams }).telemetry).toEqual({ listen: '127.0.0.1:9465' });
    expect(validateConfig({ streams, telemetry: { listen: 'off' } }).telemetry.listen).toBe('off');
    expect(validateConfig({ streams, telemetry: { listen: '0.0.0.0:0' } }).telemetry.listen).toBe('0.0.0.0:0');
  });

  it('rejects a malformed address and one shared with the alerting API, naming the path', () => {
    expect(() => validateConfig({ streams, telemetry: { listen: '9465' } })).toThrow(
      /telemetry\.listen: expected "host:port" \(e\.g\. "127\.0\.0\.1:9465"\) or "off"/,
    );
    expect(() =>
      validateConfig({ streams, telemetry: { listen: '127.0.0.1:9464' }, alerting: { api: { listen: '127.0.0.1:9464' } } }),
    ).toThrow(/telemetry\.listen: the telemetry listener and the alerting API cannot share 127\.0\.0\.1:9464/);
  });

  it('--telemetry takes HOST:PORT or off', () => {
    expect(listenOption('127.0.0.1:0')).toBe('127.0.0.1:0');
    expect(listenOption('off')).toBe('off');
    expect(() => listenOption('localhost')).toThrow(/expected HOST:PORT \(e\.g\. 127\.0\.0\.1:9465\) or "off", got "localhost"/);
    expect(() => listenOption('h:70000')).toThrow(/expected HOST:PORT/);
  });
});
