import { isUtf8 } from 'node:buffer';
import { parse as parseCsv } from 'csv-parse/sync';
import type { FlowEvent, Reject, RejectReason } from '../../kernel/types';
import type { MappingConfig } from '../config';
import { compileRestricted } from '../../expression/expression';
import { lastSegment } from '../config';
import { fieldGetter } from './field-path';
import { parseTime, type TimeFormat } from './time';
import { flatReader } from './flat-json';


/** Result of decoding one record: an event, or the reason it is not one. */
export type Decoded = { ok: true; event: FlowEvent } | { ok: false; reason: RejectReason; detail: string };

export interface Decoder {
  readonly stream: string;
  /** Decodes one payload; never throws for bad data. */
  decode(payload: string | Buffer | Record<string, unknown>): Decoded;
}

/** Turns raw records of one stream into events by the stream's field mapping. Built once at load. */
export function createDecoder(stream: string, m: MappingConfig): Decoder {
  // Every mapped field path gets a slot; a record is first read into the slots (straight from the
  // bytes, or through getters from a parsed object), then one routine builds the event from them.
  const paths: string[] = [];
  const slotOf = (field: string): number => {
    const i = paths.indexOf(field);
    return i >= 0 ? i : paths.push(field) - 1;
  };
  const keyFields = Array.isArray(m.key) ? m.key : [m.key];
  const keySlots = keyFields.map(slotOf);
  const timeField = typeof m.time === 'string' ? m.time : m.time.field;
  const timeFormat: TimeFormat = typeof m.time === 'string' ? 'auto' : m.time.format;
  const timeSlot = slotOf(timeField);
  const measurements = (Array.isArray(m.measurements)
    ? m.measurements.map((f) => [lastSegment(f), { field: f, optional: false }] as const)
    : Object.entries(m.measurements).map(([name, spec]) => [name, typeof spec === 'string' ? { field: spec, optional: false } : spec] as const)
  ).map(([name, spec]) => ({ name, field: spec.field, optional: spec.optional, slot: slotOf(spec.field) }));
  const attributeFields = Array.isArray(m.attributes) ? m.attributes.map((f) => [lastSegment(f), f] as const) : Object.entries(m.attributes);
  const attributes = attributeFields.map(([name, field]) => ({ name, slot: slotOf(field) }));
  const idSlot = m.id ? slotOf(m.id) : -1;
  const getters = paths.map(fieldGetter);
  const known = new Set(measurements.map((x) => x.name));
  const derived = Object.entries(m.derive).map(([name, text]) => {
    const compiled = compileRestricted(text, { symbols: (n: string) => known.has(n), knownNames: [...known] });
    known.add(name);
    return { name, compiled };
  });
  // Flat JSON payloads (the common case) are read from the bytes without JSON.parse when every
  // mapped field is a top-level name; anything unusual falls back to JSON.parse. Key and attribute
  // values repeat from record to record, so their strings are reused.
  const fast = m.format === 'json' && paths.every((f) => !f.includes('.') && f !== '__proto__')
    ? flatReader(paths, { intern: [...keyFields, ...attributeFields.map(([, f]) => f)] })
    : null;
  // CSV fields are always text; JSON strings in numeric fields only when the mapping allows them.
  const numericStrings = m.format === 'csv' || m.coerce !== 'none';
  const csvColumns = m.csv?.columns;
  const csvDelimiter = m.csv?.delimiter ?? ',';
  /** The current record's field values by slot; decode() is synchronous, so one array serves every call. */
  const slots: unknown[] = new Array(paths.length).fill(undefined);

  function toRecord(payload: string | Buffer | Record<string, unknown>): Record<string, unknown> | string {
    if (typeof payload === 'object' && !Buffer.isBuffer(payload)) return payload;
    const text = typeof payload === 'string' ? payload : payload.toString('utf8');
    if (m.format === 'csv') {
      let rows: string[][];
      try {
        rows = parseCsv(text, { delimiter: csvDelimiter, relax_column_count: false, trim: true }) as string[][];
      } catch (err) {
        return `not valid CSV: ${(err as Error).message}`;
      }
      if (rows.length !== 1) return `expected one CSV line, got ${rows.length}`;
      const row = rows[0];
      if (row.length !== csvColumns!.length) return `expected ${csvColumns!.length} CSV columns (${csvColumns!.join(',')}), got ${row.length}`;
      const rec: Record<string, unknown> = {};
      for (let i = 0; i < row.length; i++) rec[csvColumns![i]] = row[i];
      return rec;
    }
    try {
      const v = JSON.parse(text) as unknown;
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return `expected a JSON object, got ${Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v}`;
      return v as Record<string, unknown>;
    } catch (err) {
      return `not valid JSON: ${(err as Error).message}`;
    }
  }

  /** Fills `slots` from the payload; an error text when it is not a record. */
  function readSlots(payload: string | Buffer | Record<string, unknown>): string | null {
    if (fast !== null && Buffer.isBuffer(payload) && fast.readInto(payload, slots)) return null;
    const rec = toRecord(payload);
    if (typeof rec === 'string') return rec;
    for (let i = 0; i < getters.length; i++) slots[i] = getters[i](rec);
    return null;
  }

  function fromSlots(): Decoded {
    let key = '';
    for (let i = 0; i < keySlots.length; i++) {
      const v = slots[keySlots[i]];
      if (v === undefined || v === null || v === '') return { ok: false, reason: 'missing_field', detail: `key field "${keyFields[i]}" is missing` };
      if (typeof v !== 'string' && typeof v !== 'number') return { ok: false, reason: 'bad_value', detail: `key field "${keyFields[i]}" must be a string or number, got ${typeof v}` };
      key = i === 0 ? String(v) : key + ':' + String(v);
    }

    const ts = parseTime(slots[timeSlot], timeFormat);
    if (typeof ts === 'string') return { ok: false, reason: 'bad_time', detail: `field "${timeField}": ${ts}` };

    const values: Record<string, number> = {};
    for (let i = 0; i < measurements.length; i++) {
      const x = measurements[i];
      const v = slots[x.slot];
      if (v === undefined || v === null || v === '') {
        if (x.optional) continue;
        return { ok: false, reason: 'missing_field', detail: `measurement field "${x.field}" is ${v === null ? 'null' : v === '' ? 'empty' : 'missing'}` };
      }
      if (typeof v === 'number') {
        if (Number.isFinite(v)) {
          values[x.name] = v;
          continue;
        }
        // JSON has no NaN or Infinity: a finite-looking literal like 1e309 overflowed the double range.
        return { ok: false, reason: 'bad_value', detail: `measurement field "${x.field}": expected a finite number, got a number beyond the double range (read as ${v})` };
      }
      if (typeof v === 'boolean') {
        values[x.name] = v ? 1 : 0;
        continue;
      }
      if (typeof v === 'string' && !numericStrings) {
        return { ok: false, reason: 'bad_value', detail: `measurement field "${x.field}": expected a number, got the string ${JSON.stringify(v)} (mapping.coerce is none)` };
      }
      const n = typeof v === 'string' ? Number(v.trim() === '' ? NaN : v) : NaN;
      if (!Number.isFinite(n)) {
        const got = typeof v === 'string' ? JSON.stringify(v.length > 40 ? v.slice(0, 37) + '...' : v) : Array.isArray(v) ? 'a list' : `a${typeof v === 'object' ? 'n object' : ' ' + typeof v}`;
        return { ok: false, reason: 'bad_value', detail: `measurement field "${x.field}": expected a finite number, got ${got}` };
      }
      values[x.name] = n;
    }
    for (let i = 0; i < derived.length; i++) {
      const n = derived[i].compiled.evaluate(values);
      if (Number.isFinite(n)) values[derived[i].name] = n;
    }

    const attrs: Record<string, string> = {};
    for (let i = 0; i < attributes.length; i++) {
      const v = slots[attributes[i].slot];
      if (v !== undefined && v !== null) attrs[attributes[i].name] = typeof v === 'string' ? v : String(v);
    }

    const event: FlowEvent = { stream, key, ts, values, attrs };
    if (idSlot >= 0) {
      const id = slots[idSlot];
      if (id !== undefined && id !== null) event.id = String(id);
    }
    return { ok: true, event };
  }

  return {
    stream,
    decode(payload) {
      const error = readSlots(payload);
      if (error !== null) return { ok: false, reason: 'malformed', detail: error };
      return fromSlots();
    },
  };
}

/** Payload as text for the dead-letter output (objects from the simulator are serialised). */
export function payloadText(payload: string | Buffer | Record<string, unknown>): string {
  if (typeof payload === 'string') return payload;
  if (Buffer.isBuffer(payload)) return payload.toString('utf8');
  try {
    return JSON.stringify(payload);
  } catch {
    return String(payload);
  }
}

export function makeReject(stream: string, reason: RejectReason, detail: string, payload: string | Buffer | Record<string, unknown>, at: number, source?: string): Reject {
  // Bytes that are not UTF-8 would come back as U+FFFD from a text round trip: keep them exactly.
  if (Buffer.isBuffer(payload) && !isUtf8(payload)) return { stream, reason, detail, raw: payload.toString('base64'), encoding: 'base64', source, at };
  return { stream, reason, detail, raw: payloadText(payload), source, at };
}
