import { escape } from '@influxdata/influxdb-client';
import type { Point } from '../types';

/**
 * A point as one InfluxDB line-protocol line with a millisecond timestamp, or null when
 * InfluxDB would reject it: empty measurement, no usable field, non-finite time.
 *
 * - Numbers are always floats (no `i` suffix): one field never changes type between points.
 *   InfluxDB 1.8 answers a batch with a field type conflict with 400 and writes none of it.
 * - Non-finite numbers and fields with empty names are left out; NaN would make the server
 *   answer 400 for the whole batch.
 * - Tags with an empty name or value are left out (line protocol has no empty tag value).
 */
export function toLine(p: Point): string | null {
  if (typeof p.measurement !== 'string' || p.measurement === '' || !Number.isFinite(p.ts)) return null;
  let fields = '';
  for (const name of Object.keys(p.fields).sort()) {
    if (name === '') continue;
    const v = p.fields[name];
    let text: string;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) continue;
      text = String(v);
    } else if (typeof v === 'boolean') {
      text = v ? 'true' : 'false';
    } else if (typeof v === 'string') {
      text = escape.quoted(v);
    } else {
      continue;
    }
    if (fields !== '') fields += ',';
    fields += escape.tag(name) + '=' + text;
  }
  if (fields === '') return null;
  let tags = '';
  for (const name of Object.keys(p.tags).sort()) {
    const v = p.tags[name];
    if (name === '' || typeof v !== 'string' || v === '') continue;
    tags += ',' + escape.tag(name) + '=' + escape.tag(v);
  }
  return `${escape.measurement(p.measurement)}${tags} ${fields} ${Math.floor(p.ts)}`;
}
