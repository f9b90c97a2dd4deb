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
  const nf = sortNames(p.fields);
  for (let i = 0; i < nf; i++) {
    const name = scratch[i];
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
  const nt = sortNames(p.tags);
  for (let i = 0; i < nt; i++) {
    const name = scratch[i];
    const v = p.tags[name];
    if (name === '' || typeof v !== 'string' || v === '') continue;
    tags += ',' + escape.tag(name) + '=' + escape.tag(v);
  }
  return `${escape.measurement(p.measurement)}${tags} ${fields} ${Math.floor(p.ts)}`;
}

/**
 * Puts the object's own keys in ascending order into `scratch[0, n)`, reused by every call (valid
 * until the next call), and returns n. `Object.keys(o).sort()` allocated a key array plus the
 * sort's work array per call: measured, a quarter of all the bytes a Kafka worker allocated
 * (heap sampling at 20k events/s). An insertion sort over a point's handful of names, into an
 * array that is never shortened (so never reallocated), allocates nothing.
 */
const scratch: string[] = [];
function sortNames(o: object): number {
  let n = 0;
  for (const k in o) {
    if (!Object.prototype.hasOwnProperty.call(o, k)) continue;
    let i = n++;
    while (i > 0 && scratch[i - 1] > k) {
      scratch[i] = scratch[i - 1];
      i--;
    }
    scratch[i] = k;
  }
  return n;
}
