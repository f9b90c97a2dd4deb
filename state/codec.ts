import { FlowwatchError } from '../kernel/errors';

/**
 * The stored form of a state value (a key's row, a watermark): a compact, versioned, tagged binary
 * encoding of the same plain-JSON content, instead of JSON text (issue 22: the commit's
 * JSON.stringify was the worker's dearest function, and a double costs ~18 bytes of digits).
 *
 *   value    = MAGIC VERSION item
 *   item     = NULL | FALSE | TRUE | INT8 i8 | INT32 i32 | F64 f64 | STR len utf8
 *            | ARR count item* | OBJ count (len utf8 item)* | I32S count i32* | F64S count f64*
 *
 * Little-endian; len and count are unsigned LEB128 varints. Arrays of finite numbers are packed
 * (I32S when all are 32-bit integers — pane numbers, counts — else F64S: sums, times), so a pane
 * window is stored as typed arrays. What JSON would not keep is not kept either, so a state reads
 * back as after a JSON round trip: NaN and ±Infinity become null, -0 becomes 0, undefined object
 * members are left out and undefined array items become null.
 *
 * MAGIC (0xF5) cannot start JSON text (it is not even valid UTF-8): a stored value starting with
 * anything else is JSON written by an earlier release, and `decodeStateValue` parses it as such.
 */
const MAGIC = 0xf5;
export const STATE_CODEC_VERSION = 1;

const NULL = 0;
const FALSE = 1;
const TRUE = 2;
const INT8 = 3;
const INT32 = 4;
const F64 = 5;
const STR = 6;
const ARR = 7;
const OBJ = 8;
const I32S = 9;
const F64S = 10;

/**
 * Encodes values into one growing buffer; `finish()` returns each value as a view into one copy of
 * it (one allocation per commit, not per value). Reuse one encoder: its scratch buffer is kept.
 */
export class StateEncoder {
  private buf = Buffer.allocUnsafe(1 << 16);
  private view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  private pos = 0;
  /** Where each value added since the last finish() ends; `count` of them (the array is kept: no regrowth per commit). */
  private readonly ends: number[] = [];
  private count = 0;

  /** Appends one value; its bytes are returned by the next finish(). */
  add(value: unknown): void {
    this.begin();
    this.item(value);
    this.end();
  }

  /**
   * Writing a value piece by piece, without building it first (the pipeline writes a key's row
   * straight from its live state): begin(), then exactly one item — an object through
   * openObject()/key()/…/closeObject(), or value()/number() — then end(). The bytes are the ones
   * add() writes for the same content.
   */
  begin(): void {
    this.ensure(2);
    this.buf[this.pos++] = MAGIC;
    this.buf[this.pos++] = STATE_CODEC_VERSION;
  }

  end(): void {
    this.ends[this.count++] = this.pos;
  }

  /**
   * Values added since the last finish(): the next value's index in finish()'s list. A value
   * written ahead (the pipeline writes a row while it is in cache, at its key's last event of a
   * batch) is found there by its index; one superseded before finish() is left unread.
   */
  get values(): number {
    return this.count;
  }

  /** Forgets the values added since the last finish(), keeping the scratch buffer. */
  discard(): void {
    this.pos = 0;
    this.count = 0;
  }

  /** Starts an object; returns the mark closeObject() needs. */
  openObject(): number {
    this.ensure(2);
    this.buf[this.pos++] = OBJ;
    return this.pos++;
  }

  /** Starts an object of `members` members (fewer than 128), known before them: no closeObject(). */
  objectOf(members: number): void {
    if (members >= 0x80) throw new FlowwatchError('FW_STATE', `objectOf(${members}): at most 127 members (use openObject)`);
    this.ensure(2);
    this.buf[this.pos++] = OBJ;
    this.buf[this.pos++] = members;
  }

  /**
   * The bytes `write` writes (a run of a fixed layout: names, object heads, constant members), made
   * once for raw(): e.g. fragment((e) => { e.objectOf(2); e.key('win'); }).
   */
  static fragment(write: (enc: StateEncoder) => void): Uint8Array {
    const e = new StateEncoder();
    write(e);
    return Uint8Array.from(e.buf.subarray(0, e.pos));
  }

  /** Ends the object opened at `mark`, which got `members` key()+item pairs. */
  closeObject(mark: number, members: number): void {
    if (members < 0x80) this.buf[mark] = members;
    else this.widenCount(mark, members);
  }

  /** Starts an array of `items` items, which follow. */
  openArray(items: number): void {
    this.ensure(1);
    this.buf[this.pos++] = ARR;
    this.varint(items);
  }

  /**
   * An array's tag alone, for a fragment whose array's count is written later with itemCount(): the
   * bytes of openArray(n) are arrayTag() then itemCount(n).
   */
  arrayTag(): void {
    this.ensure(1);
    this.buf[this.pos++] = ARR;
  }

  /** The item count after an arrayTag() (written in a fragment); its items follow. */
  itemCount(items: number): void {
    if (items < 0x80 && this.pos < this.buf.length) this.buf[this.pos++] = items;
    else this.varint(items);
  }

  /** An object member's name; its item follows. */
  key(name: string): void {
    this.text(name);
  }

  /**
   * An object member's name from its precomputed bytes (nameToken): the fixed-layout writers
   * (writePersistedRow, Detector.encode) write the same few names for every row of every commit,
   * so their UTF-8 is made once instead of per member (issue 22: field names were a third of the
   * encoder's time).
   */
  name(tok: NameToken): void {
    this.raw(tok);
  }

  /**
   * Bytes made once by `StateEncoder.fragment` (a constant run of a fixed layout: an object's head
   * and first member name, a window's geometry), written as they are: one call instead of one per
   * piece.
   */
  raw(tok: Uint8Array): void {
    const n = tok.length;
    if (this.pos + n > this.buf.length) this.ensure(n);
    // Past a dozen bytes the native copy wins; below, its call costs more than the loop (measured).
    if (n > 12) {
      this.buf.set(tok, this.pos);
      this.pos += n;
      return;
    }
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = tok[i];
    this.pos = p;
  }

  /** Where the next byte goes: with bytesSince(), the bytes of a run written piece by piece. */
  get position(): number {
    return this.pos;
  }

  /**
   * The bytes written since `mark` (a position), as a one-byte string (each byte one char code,
   * whatever they are as UTF-8): a run kept to be written again with latin1(). A one-byte string
   * is the most compact thing V8 keeps bytes in (a typed array costs ~130 bytes of objects on top).
   */
  bytesSince(mark: number): string {
    return this.buf.toString('latin1', mark, this.pos);
  }

  /** The bytes written since `mark`, as bytes of their own (a run kept to be written again with raw()). */
  copySince(mark: number): Uint8Array {
    return Uint8Array.from(this.buf.subarray(mark, this.pos));
  }

  /** Bytes kept by bytesSince(), written as they were. */
  latin1(s: string): void {
    const n = s.length;
    if (this.pos + n > this.buf.length) this.ensure(n);
    // Below ~40 bytes Buffer.write's call and argument checks cost more than this loop; above, the
    // loop costs ~5 ns a byte and the native copy less than half of it (measured, node 20: 80
    // bytes 634 → 132 ns, 40 bytes 316 → 191 ns, 12 bytes 128 → 177 ns). A row's head is ~30–100 bytes.
    if (n > 40) {
      this.pos += this.buf.write(s, this.pos, n, 'latin1');
      return;
    }
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** A boolean item. */
  bool(v: boolean): void {
    if (this.pos >= this.buf.length) this.ensure(1);
    this.buf[this.pos++] = v ? TRUE : FALSE;
  }

  /**
   * An object of string members (a key's attributes): the bytes value() writes for it, without
   * the generic item dispatch per member.
   */
  strings(o: Readonly<Record<string, string>>): void {
    const at = this.openObject();
    let n = 0;
    for (const k in o) {
      const v: unknown = o[k];
      if (typeof v === 'string') {
        this.text(k);
        this.string(v);
      } else if (v === undefined || typeof v === 'function') continue;
      else {
        this.text(k);
        this.item(v);
      }
      n++;
    }
    this.closeObject(at, n);
  }

  /**
   * The first `n` numbers of `a` as one array item: the bytes value() writes for an array of them
   * (packed when all are finite), without its per-item type checks. For plain arrays (a sketch's
   * hashes); a typed array's run goes through numbersAt(). Two functions, not one: reading both
   * kinds of array in one loop made its element loads polymorphic, ~3× slower for a pane row
   * (issue 22, measured: 29 → 91 ns for 4 numbers).
   */
  numbers(a: ReadonlyArray<number>, n: number = a.length): void {
    let ints = true;
    for (let i = 0; i < n; i++) {
      const x = a[i];
      if ((x | 0) !== x) {
        if (x - x !== 0) return this.unpacked(a, 0, n); // NaN or ±Infinity: JSON's null, item by item
        ints = false;
      }
    }
    if (n === 0) return this.unpacked(a, 0, 0);
    this.ensure(6 + n * 8);
    this.buf[this.pos++] = ints ? I32S : F64S;
    this.varint(n);
    const v = this.view;
    let p = this.pos;
    if (ints) for (let i = 0; i < n; i++, p += 4) v.setInt32(p, a[i], true);
    else
      for (let i = 0; i < n; i++, p += 8) {
        const x = a[i];
        v.setFloat64(p, x === 0 ? 0 : x, true);
      }
    this.pos = p;
  }

  /**
   * numbers() of the `n` numbers of `a` from index `from`: a run of a typed array (a pane window's
   * slot row in its slab) written where it is, without copying it out first.
   */
  numbersAt(a: Float64Array, from: number, n: number): void {
    const to = from + n;
    let ints = true;
    for (let i = from; i < to; i++) {
      const x = a[i];
      if ((x | 0) !== x) {
        if (x - x !== 0) return this.unpacked(a, from, n); // NaN or ±Infinity: JSON's null, item by item
        ints = false;
      }
    }
    if (n === 0) return this.unpacked(a, from, 0);
    this.ensure(6 + n * 8);
    this.buf[this.pos++] = ints ? I32S : F64S;
    this.varint(n);
    const v = this.view;
    let p = this.pos;
    if (ints) for (let i = from; i < to; i++, p += 4) v.setInt32(p, a[i], true);
    else
      for (let i = from; i < to; i++, p += 8) {
        const x = a[i];
        v.setFloat64(p, x === 0 ? 0 : x, true);
      }
    this.pos = p;
  }

  private unpacked(a: ArrayLike<number>, from: number, n: number): void {
    this.ensure(6);
    this.buf[this.pos++] = ARR;
    this.varint(n);
    for (let i = from; i < from + n; i++) this.number(a[i]);
  }

  /** Any plain-JSON item (undefined and non-finite numbers as JSON has them: null). */
  value(v: unknown): void {
    this.item(v);
  }

  /** The values added since the last finish(), in order, as views into one fresh buffer. */
  finish(): Buffer[] {
    const all = Buffer.allocUnsafe(this.pos);
    this.buf.copy(all, 0, 0, this.pos);
    const n = this.count;
    const out = new Array<Buffer>(n);
    let start = 0;
    for (let i = 0; i < n; i++) {
      out[i] = all.subarray(start, this.ends[i]);
      start = this.ends[i];
    }
    this.pos = 0;
    this.count = 0;
    return out;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  private item(v: unknown): void {
    switch (typeof v) {
      case 'number':
        return this.number(v);
      case 'string':
        return this.string(v);
      case 'boolean':
        this.ensure(1);
        this.buf[this.pos++] = v ? TRUE : FALSE;
        return;
      case 'object':
        if (v === null) break;
        if (Array.isArray(v)) return this.array(v);
        return this.object(v as Record<string, unknown>);
      case 'undefined':
        break; // as an array item (object members are skipped before): null, as in JSON
      default:
        throw new FlowwatchError('FW_STATE', `cannot store a ${typeof v} in detector state (plain JSON values only)`);
    }
    this.ensure(1);
    this.buf[this.pos++] = NULL;
  }

  /** A number item. */
  number(v: number): void {
    this.ensure(9);
    if ((v | 0) === v) {
      if (v >= -128 && v <= 127) {
        this.buf[this.pos++] = INT8;
        this.view.setInt8(this.pos++, v);
      } else {
        this.buf[this.pos++] = INT32;
        this.view.setInt32(this.pos, v, true);
        this.pos += 4;
      }
    } else if (Number.isFinite(v)) {
      this.buf[this.pos++] = F64;
      this.view.setFloat64(this.pos, v, true);
      this.pos += 8;
    } else this.buf[this.pos++] = NULL; // JSON keeps no NaN or Infinity either
  }

  private varint(n: number): void {
    this.ensure(5);
    while (n > 0x7f) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.buf[this.pos++] = n;
  }

  private string(s: string): void {
    this.ensure(1);
    this.buf[this.pos++] = STR;
    this.text(s);
  }

  /** varint byte length, then UTF-8. */
  private text(s: string): void {
    const n = s.length;
    this.ensure(5 + n * 3);
    // ASCII (the common case: ids, names) is written directly; anything else through Buffer.write.
    if (n < 128) {
      let i = 0;
      const at = this.pos + 1;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        this.buf[at + i] = c;
      }
      if (i === n) {
        this.buf[this.pos] = n;
        this.pos = at + n;
        return;
      }
    }
    const bytes = Buffer.byteLength(s, 'utf8');
    this.varint(bytes);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  private array(a: unknown[]): void {
    const n = a.length;
    // Packed when every item is a finite number: int32 when all are 32-bit integers.
    let packed = n > 0;
    let ints = true;
    for (let i = 0; i < n && packed; i++) {
      const x = a[i];
      if (typeof x !== 'number' || !Number.isFinite(x)) packed = false;
      else if (ints && (x | 0) !== x) ints = false;
    }
    this.ensure(1);
    if (!packed) {
      this.buf[this.pos++] = ARR;
      this.varint(n);
      for (let i = 0; i < n; i++) this.item(a[i]);
      return;
    }
    this.buf[this.pos++] = ints ? I32S : F64S;
    this.varint(n);
    this.ensure(n * 8);
    const nums = a as number[];
    if (ints) for (let i = 0; i < n; i++, this.pos += 4) this.view.setInt32(this.pos, nums[i], true);
    else for (let i = 0; i < n; i++, this.pos += 8) this.view.setFloat64(this.pos, nums[i] === 0 ? 0 : nums[i], true);
  }

  private object(o: Record<string, unknown>): void {
    // One walk over the members: the count is written after them, into a byte kept for it.
    const at = this.openObject();
    let n = 0;
    for (const k in o) {
      const v = o[k];
      if (v === undefined || typeof v === 'function') continue;
      this.text(k);
      this.item(v);
      n++;
    }
    this.closeObject(at, n);
  }

  /** A count of 128 or more needs more than the one byte kept: the members move right. */
  private widenCount(at: number, n: number): void {
    const end = this.pos;
    let extra = 0;
    for (let m = n; m > 0x7f; m >>>= 7) extra++;
    this.ensure(extra);
    this.buf.copyWithin(at + 1 + extra, at + 1, end);
    this.pos = at;
    this.varint(n);
    this.pos = end + extra;
  }
}

/** A member name's stored bytes (varint byte length, then UTF-8), for StateEncoder.name(). */
export type NameToken = Uint8Array;

/** The bytes key(name) writes, made once (for names written on every commit). */
export function nameToken(name: string): NameToken {
  return StateEncoder.fragment((e) => e.key(name));
}

/**
 * The stored bytes of each change, in order (null: a deletion). A value given as bytes is taken
 * as already encoded (the pipeline serialises rows itself, state/types.ts); anything else is
 * encoded now.
 */
export function encodeChanges(enc: StateEncoder, changes: ReadonlyMap<string, unknown | null>): Array<Buffer | null> {
  for (const v of changes.values()) if (v !== null && !(v instanceof Uint8Array)) enc.add(v);
  const encoded = enc.finish();
  const out: Array<Buffer | null> = [];
  let i = 0;
  for (const v of changes.values()) {
    if (v === null) out.push(null);
    else if (v instanceof Uint8Array) out.push(Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength));
    else out.push(encoded[i++]);
  }
  return out;
}

/** One value in the binary form (tests, re-seeding: few values). */
export function encodeStateValue(value: unknown): Buffer {
  const e = new StateEncoder();
  e.add(value);
  return e.finish()[0];
}

/** Whether stored bytes are in the binary form (else: JSON from an earlier release). */
export function isBinaryStateValue(b: Uint8Array): boolean {
  return b.length > 0 && b[0] === MAGIC;
}

/**
 * A stored value, whichever form it was written in: the binary form, or JSON text (as a string
 * or its bytes) from a release before issue 22. Throws FW_STATE, saying where, when it is neither.
 */
export function decodeStateValue(stored: Uint8Array | string, where = 'state value'): unknown {
  if (typeof stored === 'string') return JSON.parse(stored);
  if (!isBinaryStateValue(stored)) return JSON.parse(Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength).toString('utf8'));
  if (stored[1] !== STATE_CODEC_VERSION)
    throw new FlowwatchError(
      'FW_STATE',
      `${where}: stored by a newer release (state encoding version ${stored[1]}; this release reads ${STATE_CODEC_VERSION} and JSON)`,
    );
  const r = new Reader(stored, where);
  const v = r.item();
  if (r.pos !== stored.length) r.fail(`${stored.length - r.pos} bytes left after the value`);
  return v;
}

class Reader {
  pos = 2;
  private readonly view: DataView;
  private readonly buf: Buffer;

  constructor(
    b: Uint8Array,
    private readonly where: string,
  ) {
    this.buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  fail(what: string): never {
    throw new FlowwatchError('FW_STATE', `${this.where}: damaged binary state at byte ${this.pos}: ${what}`);
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) this.fail(`expected ${n} more bytes, the value ends`);
  }

  private varint(): number {
    let n = 0;
    let shift = 0;
    for (;;) {
      this.need(1);
      const b = this.buf[this.pos++];
      n += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return n;
      shift += 7;
      if (shift > 28) this.fail('a length longer than 5 bytes');
    }
  }

  private text(): string {
    const n = this.varint();
    this.need(n);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  item(): unknown {
    this.need(1);
    const tag = this.buf[this.pos++];
    switch (tag) {
      case NULL:
        return null;
      case FALSE:
        return false;
      case TRUE:
        return true;
      case INT8:
        this.need(1);
        return this.view.getInt8(this.pos++);
      case INT32:
        this.need(4);
        return ((this.pos += 4), this.view.getInt32(this.pos - 4, true));
      case F64:
        this.need(8);
        return ((this.pos += 8), this.view.getFloat64(this.pos - 8, true));
      case STR:
        return this.text();
      default:
        return this.container(tag);
    }
  }

  private container(tag: number): unknown {
    if (tag !== ARR && tag !== OBJ && tag !== I32S && tag !== F64S) this.fail(`unknown tag ${tag}`);
    const n = this.varint();
    if (tag === ARR) {
      const a = new Array<unknown>(n);
      for (let i = 0; i < n; i++) a[i] = this.item();
      return a;
    }
    if (tag === OBJ) {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        const k = this.text();
        // As JSON.parse does: "__proto__" is an own member, not the prototype.
        if (k === '__proto__') Object.defineProperty(o, k, { value: this.item(), enumerable: true, writable: true, configurable: true });
        else o[k] = this.item();
      }
      return o;
    }
    const width = tag === I32S ? 4 : 8;
    this.need(n * width);
    // Stored packed, held as plain number arrays: detector states are plain JSON in memory.
    const a = new Array<number>(n);
    if (width === 4) for (let i = 0; i < n; i++, this.pos += 4) a[i] = this.view.getInt32(this.pos, true);
    else for (let i = 0; i < n; i++, this.pos += 8) a[i] = this.view.getFloat64(this.pos, true);
    return a;
  }
}
