import pino, { Logger } from 'pino';

export type { Logger };

/** Paths redacted from every log line: secrets come from the environment and never reach logs. */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'sasl',
  '*.sasl',
  'hmacSecret',
  '*.hmacSecret',
];

/** The one root logger. Components get children: log.child({ component: 'sink', sink: 'influxdb' }). */
export function createRootLogger(opts: { level?: string; destination?: pino.DestinationStream } = {}): Logger {
  const level = opts.level ?? process.env.FLOWWATCH_LOG_LEVEL ?? 'info';
  return pino(
    { name: 'flowwatch', level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { pid: process.pid } },
    opts.destination ?? pino.destination({ fd: 2, sync: false }),
  );
}

/** For unit tests: a logger that writes nowhere. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
