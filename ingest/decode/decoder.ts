import { isUtf8 } from 'node:buffer';
import { parse as parseCsv } from 'csv-parse/sync';
import type { FlowEvent, Reject, RejectReason } from '../../kernel/types';
import type { MappingConfig } from '../config';
import { compileRestricted } from '../../expression/expression';
import { lastSegment } from '../config';
import { fieldGetter } from './field-path';
import { parseTime, type TimeFormat } from './time';
import { flatReader, type FlatReader } from './flat-json';

/** Result of decoding one record: an event, or the reason it is not one. */
export type Decoded = { ok: true; event: FlowEvent } | { ok: false; reason: RejectReason; detail: string };

export interface Decoder {
  readonly stream: string;
  /** Decodes one payload; never throws for bad data. */
  decode(payload: string | Buffer | Record<string, unknown>): Decoded;
}

/** Turns raw records of one stream into events by the stream's field mapping. Built once at load. */
export function createDecoder(stream: string, m: MappingConfig): Decoder {
  return new MappingDecoder(stream, m);
}

type Payload = string | Buffer | Record<string, unknown>;
type Failure = Extract<Decoded, { ok: false }>;

interface Measurement {
  name: string;
  field: string;
  optional: boolean;
  slot: number;
}

/**
 * Every mapped field path gets a slot; a record is first read into the slots (straight from the
 * bytes, or through getters from a parsed object), then one routine builds the event from them.
 */
class MappingDecoder implements Decoder {
  private readonly paths: string[] = [];
  private readonly keyFields: string[];
  private readonly keySlots: number[];
  private readonly timeField: string;
  private readonly timeFormat: TimeFormat;
  private readonly timeSlot: number;
  private readonly measurements: Measurement[];
  private readonly attributes: Array<{ name: string; slot: number }>;
  private readonly idSlot: number;
  private readonly getters: Array<(rec: Record<string, unknown>) => unknown>;
  private readonly derived: Array<{ name: string; compiled: ReturnType<typeof compileRestricted> }>;
  private readonly fast: FlatReader | null;
  /** CSV fields are always text; JSON strings in numeric fields only when the mapping allows them. */
  private readonly numericStrings: boolean;
  /** The current record's field values by slot; decode() is synchronous, so one array serves every call. */
  private readonly slots: unknown[];

  constructor(
    readonly stream: string,
    private readonly m: MappingConfig,
  ) {
    this.keyFields = Array.isArray(m.key) ? m.key : [m.key];
    this.keySlots = this.keyFields.map((f) => this.slotOf(f));
    this.timeField = typeof m.time === 'string' ? m.time : m.time.field;
    this.timeFormat = typeof m.time === 'string' ? 'auto' : m.time.format;
    this.timeSlot = this.slotOf(this.timeField);
    this.measurements = measurementSpecs(m).map(([name, spec]) => ({
      name,
      field: spec.field,
      optional: spec.optional,
      slot: this.slotOf(spec.field),
    }));
    const attributeFields = Array.isArray(m.attributes)
      ? m.attributes.map((f) => [lastSegment(f), f] as const)
      : Object.entries(m.attributes);
    this.attributes = attributeFields.map(([name, field]) => ({ name, slot: this.slotOf(field) }));
    this.idSlot = m.id ? this.slotOf(m.id) : -1;
    this.getters = this.paths.map(fieldGetter);
    this.derived = compileDerived(m, this.measurements);
    // Flat JSON payloads (the common case) are read from the bytes without JSON.parse when every
    // mapped field is a top-level name; anything unusual falls back to JSON.parse. Key and attribute
    // values repeat from record to record, so their strings are reused.
    this.fast =
      m.format === 'json' && this.paths.every((f) => !f.includes('.') && f !== '__proto__')
        ? flatReader(this.paths, { intern: [...this.keyFields, ...attributeFields.map(([, f]) => f)], internMany: this.keyFields })
        : null;
    this.numericStrings = m.format === 'csv' || m.coerce !== 'none';
    this.slots = new Array(this.paths.length).fill(undefined);
  }

  decode(payload: Payload): Decoded {
    const error = this.readSlots(payload);
    if (error !== null) return { ok: false, reason: 'malformed', detail: error };
    return this.fromSlots();
  }

  private slotOf(field: string): number {
    const i = this.paths.indexOf(field);
    return i >= 0 ? i : this.paths.push(field) - 1;
  }

  /** Fills `slots` from the payload; an error text when it is not a record. */
  private readSlots(payload: Payload): string | null {
    if (this.fast !== null && Buffer.isBuffer(payload) && this.fast.readInto(payload, this.slots)) return null;
    const rec = this.toRecord(payload);
    if (typeof rec === 'string') return rec;
    for (let i = 0; i < this.getters.length; i++) this.slots[i] = this.getters[i](rec);
    return null;
  }

  private toRecord(payload: Payload): Record<string, unknown> | string {
    if (typeof payload === 'object' && !Buffer.isBuffer(payload)) return payload;
    const text = typeof payload === 'string' ? payload : payload.toString('utf8');
    return this.m.format === 'csv' ? csvRecord(text, this.m.csv!.columns!, this.m.csv?.delimiter ?? ',') : jsonRecord(text);
  }

  private fromSlots(): Decoded {
    const key = this.key();
    if (typeof key !== 'string') return key;
    const ts = parseTime(this.slots[this.timeSlot], this.timeFormat);
    if (typeof ts === 'string') return { ok: false, reason: 'bad_time', detail: `field "${this.timeField}": ${ts}` };
    const values: Record<string, number> = {};
    const failure = this.readValues(values);
    if (failure !== null) return failure;
    const event: FlowEvent = { stream: this.stream, key, ts, values, attrs: this.attrs() };
    if (this.idSlot >= 0) {
      const id = this.slots[this.idSlot];
      if (id !== undefined && id !== null) event.id = String(id);
    }
    return { ok: true, event };
  }

  /** The key fields joined with ':'. */
  private key(): string | Failure {
    const { keySlots, keyFields, slots } = this;
    let key = '';
    for (let i = 0; i < keySlots.length; i++) {
      const v = slots[keySlots[i]];
      if (v === undefined || v === null || v === '')
        return { ok: false, reason: 'missing_field', detail: `key field "${keyFields[i]}" is missing` };
      if (typeof v !== 'string' && typeof v !== 'number')
        return { ok: false, reason: 'bad_value', detail: `key field "${keyFields[i]}" must be a string or number, got ${typeof v}` };
      key = i === 0 ? String(v) : key + ':' + String(v);
    }
    return key;
  }

  /** Sets the measurements, then the derived values that come out finite; or says why the record has none. */
  private readValues(values: Record<string, number>): Failure | null {
    for (let i = 0; i < this.measurements.length; i++) {
      const x = this.measurements[i];
      const v = measurementValue(x, this.slots[x.slot], this.numericStrings);
      if (v === null) continue;
      if (typeof v !== 'number') return v;
      values[x.name] = v;
    }
    for (let i = 0; i < this.derived.length; i++) {
      const n = this.derived[i].compiled.evaluate(values);
      if (Number.isFinite(n)) values[this.derived[i].name] = n;
    }
    return null;
  }

  private attrs(): Record<string, string> {
    const attrs: Record<string, string> = {};
    for (let i = 0; i < this.attributes.length; i++) {
      const v = this.slots[this.attributes[i].slot];
      if (v !== undefined && v !== null) attrs[this.attributes[i].name] = typeof v === 'string' ? v : String(v);
    }
    return attrs;
  }
}

/** The mapping's measurements as (name, spec) pairs, in order. */
function measurementSpecs(m: MappingConfig): Array<readonly [string, { field: string; optional: boolean }]> {
  if (Array.isArray(m.measurements)) return m.measurements.map((f) => [lastSegment(f), { field: f, optional: false }] as const);
  return Object.entries(m.measurements).map(
    ([name, spec]) => [name, typeof spec === 'string' ? { field: spec, optional: false } : spec] as const,
  );
}

/** The derived values' expressions, each able to read the measurements and the derived values before it. */
function compileDerived(
  m: MappingConfig,
  measurements: readonly Measurement[],
): Array<{ name: string; compiled: ReturnType<typeof compileRestricted> }> {
  const known = new Set(measurements.map((x) => x.name));
  return Object.entries(m.derive).map(([name, text]) => {
    const compiled = compileRestricted(text, { symbols: (n: string) => known.has(n), knownNames: [...known] });
    known.add(name);
    return { name, compiled };
  });
}

/** A measurement's number; null when an optional one is absent; a failure when it is missing or not a finite number. */
function measurementValue(x: Measurement, v: unknown, numericStrings: boolean): number | null | Failure {
  if (v === undefined || v === null || v === '') {
    if (x.optional) return null;
    return {
      ok: false,
      reason: 'missing_field',
      detail: `measurement field "${x.field}" is ${v === null ? 'null' : v === '' ? 'empty' : 'missing'}`,
    };
  }
  if (typeof v === 'number') {
    if (Number.isFinite(v)) return v;
    // JSON has no NaN or Infinity: a finite-looking literal like 1e309 overflowed the double range.
    return {
      ok: false,
      reason: 'bad_value',
      detail: `measurement field "${x.field}": expected a finite number, got a number beyond the double range (read as ${v})`,
    };
  }
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && !numericStrings) {
    return {
      ok: false,
      reason: 'bad_value',
      detail: `measurement field "${x.field}": expected a number, got the string ${JSON.stringify(v)} (mapping.coerce is none)`,
    };
  }
  const n = typeof v === 'string' ? Number(v.trim() === '' ? NaN : v) : NaN;
  if (!Number.isFinite(n)) {
    const got =
      typeof v === 'string'
        ? JSON.stringify(v.length > 40 ? v.slice(0, 37) + '...' : v)
        : Array.isArray(v)
          ? 'a list'
          : `a${typeof v === 'object' ? 'n object' : ' ' + typeof v}`;
    return { ok: false, reason: 'bad_value', detail: `measurement field "${x.field}": expected a finite number, got ${got}` };
  }
  return n;
}

/** One CSV line as a record by the configured columns, or an error text. */
function csvRecord(text: string, columns: readonly string[], delimiter: string): Record<string, unknown> | string {
  let rows: string[][];
  try {
    rows = parseCsv(text, { delimiter, relax_column_count: false, trim: true }) as string[][];
  } catch (err) {
    return `not valid CSV: ${(err as Error).message}`;
  }
  if (rows.length !== 1) return `expected one CSV line, got ${rows.length}`;
  const row = rows[0];
  if (row.length !== columns.length) return `expected ${columns.length} CSV columns (${columns.join(',')}), got ${row.length}`;
  const rec: Record<string, unknown> = {};
  for (let i = 0; i < row.length; i++) rec[columns[i]] = row[i];
  return rec;
}

/** A JSON object, or an error text. */
function jsonRecord(text: string): Record<string, unknown> | string {
  try {
    const v = JSON.parse(text) as unknown;
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      return `expected a JSON object, got ${Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v}`;
    return v as Record<string, unknown>;
  } catch (err) {
    return `not valid JSON: ${(err as Error).message}`;
  }
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

export function makeReject(
  stream: string,
  reason: RejectReason,
  detail: string,
  payload: string | Buffer | Record<string, unknown>,
  at: number,
  source?: string,
): Reject {
  // Bytes that are not UTF-8 would come back as U+FFFD from a text round trip: keep them exactly.
  if (Buffer.isBuffer(payload) && !isUtf8(payload))
    return { stream, reason, detail, raw: payload.toString('base64'), encoding: 'base64', source, at };
  return { stream, reason, detail, raw: payloadText(payload), source, at };
}
