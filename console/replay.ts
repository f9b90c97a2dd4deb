import type { SeriesAnswer } from './series';

/** What the card's "Replay in backtest" shows: where the key's history comes from, and the command that replays it. */
export interface Replay {
  /** The API path of the key's recent series as timestamp,value CSV (the input format of `flowwatch backtest`). */
  csv: string;
  /** A file name for it. */
  file: string;
  command: string;
  /** Why the CSV would be empty, when it would. */
  note?: string;
}

/** One shell word: left bare when safe, else single-quoted. */
function sh(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The exact `flowwatch backtest` command that replays an alert's key through the stream's
 * detectors with the config the workers run: the key's recent values (the chart's series, from
 * InfluxDB) as the input, the stream and measure the alert names. An analyst runs it on a
 * machine with flowwatch and gets per-row scores, the alerts it would raise, and an HTML report.
 */
export function replayOf(
  a: { id: string; stream: string; key: string; evidence?: { measure?: string } },
  series: SeriesAnswer,
  configFile: string | undefined,
): Replay {
  const base = `${a.stream}-${a.key}`.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
  const file = `${base}.csv`;
  const args = [
    'flowwatch',
    'backtest',
    '-c',
    configFile ?? '<the workers’ config file>',
    '--stream',
    a.stream,
    ...(a.evidence?.measure ? ['--measurement', a.evidence.measure] : []),
    '-i',
    file,
    '-o',
    `${base}.scores.csv`,
    '-a',
    `${base}.alerts.jsonl`,
    '-r',
    `${base}.html`,
  ];
  const note =
    series.source === 'influxdb'
      ? undefined
      : 'the history comes from the InfluxDB sink, which is not configured or did not answer: export the key’s timestamp,value rows to the file yourself';
  return {
    csv: `/api/alerts/${encodeURIComponent(a.id)}/series.csv`,
    file,
    command: args.map((w) => (w.startsWith('<') ? w : sh(w))).join(' '),
    ...(note ? { note } : {}),
  };
}

/** The series as the CSV `flowwatch backtest` reads: timestamp (ISO 8601, UTC), value. */
export function seriesCsv(series: SeriesAnswer): string {
  const rows = series.points.filter((p) => p.value !== undefined).map((p) => `${new Date(p.t).toISOString()},${p.value}`);
  return ['timestamp,value', ...rows].join('\n') + '\n';
}
